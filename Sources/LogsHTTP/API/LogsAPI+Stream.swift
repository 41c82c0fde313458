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
        // least once; the session drops repeats and sends the parts in order.
        let live = await liveEvents.subscribe(jobID: jobID)
        let start = try await streamStart(jobID: jobID, after: lastEventID)
        let heartbeat = settings.streamHeartbeat
        let fetcher = pipeline.fetcher
        let session = StreamSession(jobID: jobID, lastEventID: lastEventID) { query in
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
