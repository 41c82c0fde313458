import Foundation
import LogsCore

extension LogsAPI {
    func addStreamRoute(to router: inout Router) {
        router.add("GET", "/logs/:job_id/stream") { request in try await stream(request) }
    }

    /// `GET /logs/:job_id/stream`: server-sent events of the job's parts, stored ones first.
    ///
    /// Each part is `id: <number>`, `event: part`, and the Pusher event's JSON as `data`; `event:
    /// end` follows the final part. With `Last-Event-ID`, parts up to that number are skipped. A log
    /// that is already aggregated is sent whole as one `event: log`, then `end`.
    private func stream(_ request: HTTPRequest) async throws -> HTTPResponse {
        try authenticator.requireToken(request)
        try await checkMaintenance()
        let jobID = try RequestParsing.jobID(request)
        var lastEventID: Int?
        if let header = request.header("Last-Event-ID"), !header.isEmpty {
            guard let value = RequestParsing.nonNegativeInteger(header) else {
                throw HTTPError.rejected(
                    400, "Last-Event-ID must be a part number, got \(RequestParsing.shown(header))")
            }
            lastEventID = value
        }
        guard let liveEvents else {
            return .error(501, "live streams are not available: this server has no live event source")
        }
        // Subscribing before reading the stored parts means a part stored meanwhile arrives at
        // least once; the session drops repeats.
        let live = await liveEvents.subscribe(jobID: jobID)
        let start = try await streamStart(jobID: jobID, after: lastEventID)
        let heartbeat = settings.streamHeartbeat
        let fetcher = pipeline.fetcher
        let session = StreamSession(jobID: jobID, lastEventID: lastEventID) { numbers in
            let query = LogPartsQuery(numbers: numbers)
            guard case .parts(let parts) = try? await fetcher.parts(jobID: jobID, query: query, requireAll: false)
            else { return [] }
            return parts
        }
        return HTTPResponse(
            status: 200,
            headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"],
            body: .stream { writer in await session.run(start: start, live: live, heartbeat: heartbeat, writer: writer)
            }
        )
    }

    private func streamStart(jobID: JobID, after: Int?) async throws -> StreamSession.Start {
        guard let logID = try await pipeline.fetcher.logID(forJobID: jobID) else { return .parts([]) }
        if let log = try await pipeline.store.log(id: logID), log.aggregatedAt != nil, let content = log.content {
            return .aggregated(content)
        }
        let query = LogPartsQuery(after: after)
        switch try await pipeline.fetcher.parts(jobID: jobID, query: query, requireAll: false) {
        case .parts(let parts): return .parts(parts)
        case .missingParts, .logNotFound: return .parts([])
        }
    }
}

/// One client's event stream: the stored start, then live events, each part once.
struct StreamSession: Sendable {
    enum Start: Sendable {
        case parts([StoredLogPart])
        case aggregated(String)
    }

    let jobID: JobID
    let lastEventID: Int?
    /// Reads stored parts by number, for parts the live events have not brought by the final part.
    let storedParts: @Sendable ([Int]) async -> [StoredLogPart]

    /// How long the stream waits for missing earlier parts after the final one before it ends.
    static let missingPartsWait: Duration = .seconds(5)

    func run(start: Start, live: AsyncStream<LogPartEvent>, heartbeat: Duration, writer: any ResponseStreamWriter)
        async
    {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled, !writer.isClosed {
                    try? await Task.sleep(for: heartbeat)
                    guard !Task.isCancelled, writer.write(Data(": keep-alive\n\n".utf8)) else { return }
                }
            }
            await send(start: start, live: live, writer: writer)
            group.cancelAll()
        }
    }

    private func send(start: Start, live: AsyncStream<LogPartEvent>, writer: any ResponseStreamWriter) async {
        var sent = Set<Int>()
        switch start {
        case .aggregated(let content):
            let data = JSONValue.object(["id": .integer(jobID.rawValue), "content": .string(content)]).jsonString()
            writer.write(Data("event: log\ndata: \(data)\n\n".utf8))
            writer.write(Data("event: end\ndata: {}\n\n".utf8))
            return
        case .parts(let parts):
            for part in parts {
                let event = LogPartEvent(
                    channel: "", jobID: jobID, content: part.content ?? "", number: part.number, isFinal: part.isFinal)
                guard deliver(event, sent: &sent, writer: writer) else { return }
            }
        }
        for await event in live {
            if event.isFinal {
                await deliverMissing(before: event.number, sent: &sent, writer: writer)
            }
            guard deliver(event, sent: &sent, writer: writer) else { return }
        }
    }

    /// Sends the parts numbered below the final one that were not sent yet, reading them from the
    /// store until they are there or `missingPartsWait` passes.
    ///
    /// Forwarding jobs run side by side, so the final part's live event can come before an earlier
    /// part's. A part that stays missing (never sent by the worker) does not hold the stream open.
    private func deliverMissing(before final: Int, sent: inout Set<Int>, writer: any ResponseStreamWriter) async {
        let first = (lastEventID ?? 0) + 1
        let highest = final == PartNumber.lastValue ? (sent.filter { $0 < final }.max() ?? 0) : final - 1
        // A worker numbers parts from 1 without gaps, so a wider range means odd numbering: skip it.
        guard highest >= first, highest - first < 10_000 else { return }
        let deadline = ContinuousClock.now + Self.missingPartsWait
        while true {
            let missing = (first...highest).filter { !sent.contains($0) }
            guard !missing.isEmpty else { return }
            for part in await storedParts(missing).sorted(by: { $0.number < $1.number }) where !part.isFinal {
                let event = LogPartEvent(
                    channel: "", jobID: jobID, content: part.content ?? "", number: part.number, isFinal: false)
                guard deliver(event, sent: &sent, writer: writer) else { return }
            }
            guard ContinuousClock.now < deadline, !writer.isClosed else { return }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Writes one part unless it was sent already or is not after `Last-Event-ID`.
    ///
    /// - Returns: false when the stream is over: the final part was sent or the client has gone.
    private func deliver(_ event: LogPartEvent, sent: inout Set<Int>, writer: any ResponseStreamWriter) -> Bool {
        if let lastEventID, event.number <= lastEventID { return true }
        guard sent.insert(event.number).inserted else { return true }
        let data = String(decoding: event.data(), as: UTF8.self)
        guard writer.write(Data("id: \(event.number)\nevent: part\ndata: \(data)\n\n".utf8)) else { return false }
        if event.isFinal {
            writer.write(Data("event: end\ndata: {}\n\n".utf8))
            return false
        }
        return true
    }
}
