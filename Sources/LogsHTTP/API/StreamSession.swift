import Foundation
import LogsCore

/// One client's event stream: the stored start, then live events, each part once and in order.
struct StreamSession: Sendable {
    enum Start: Sendable {
        case parts([StoredLogPart])
        case aggregated(String)
    }

    let jobID: JobID
    let lastEventID: Int?
    /// Reads stored parts with their content as clients see it, or returns none when the read fails.
    let storedParts: @Sendable (LogPartsQuery) async -> [StoredLogPart]

    /// How long parts after a gap wait for the gap to fill before they are sent anyway, when the
    /// store has the first part after the gap, so the missing parts are likely never to come.
    static let missingPartsWait: Duration = .seconds(5)
    /// How long parts after a gap wait at most while the store lacks the first of them too, or
    /// cannot be read. A store that lags behind the live events, for example behind a `log_parts`
    /// backlog, may still get the missing parts. Some parts come only from the store: those
    /// forwarded before the job's mark, or up to a second after it while forwarders still keep the
    /// job as unwatched.
    static let longestMissingPartsWait: Duration = .seconds(60)
    /// How often a waiting stream reads the store for the parts of a gap.
    static let storePollInterval: Duration = .milliseconds(250)
    /// How long after a resubscription the stream reads the store a second time, for parts that
    /// were published while the subscription was down but stored only after the first read.
    static let recheckDelay: Duration = .seconds(1)
    /// How long the stream waits without a live part before it reads the store for parts after
    /// the last one sent. The wait doubles after each such read, up to `longestQuietWait`, and
    /// starts again at this value when a live part comes. So a part that reached no live event, for
    /// example because a forwarder learned of this stream's client late, is sent from the store.
    static let quietWait: Duration = .milliseconds(1_500)
    static let longestQuietWait: Duration = .seconds(60)

    private enum Input: Sendable {
        case live(LiveEvent)
        case liveEnded
        case tick
    }

    func run(start: Start, live: AsyncStream<LiveEvent>, heartbeat: Duration, writer: any ResponseStreamWriter)
        async
    {
        if case .aggregated(let content) = start {
            let data = JSONValue.object(["id": .integer(jobID.rawValue), "content": .string(content)]).jsonString()
            writer.write(Data("event: log\ndata: \(data)\n\n".utf8))
            writer.write(Data("event: end\ndata: {}\n\n".utf8))
            return
        }
        guard case .parts(let stored) = start else { return }
        let (inputs, input) = AsyncStream.makeStream(of: Input.self)
        let tick = min(heartbeat, Self.storePollInterval)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in live { input.yield(.live(event)) }
                input.yield(.liveEnded)
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: tick)
                    input.yield(.tick)
                }
            }
            var output = Output(writer: writer, heartbeat: heartbeat)
            await send(stored: stored, inputs: inputs, output: &output)
            group.cancelAll()
            input.finish()
        }
    }

    /// Sends the stored start and then each input's parts until the final part is sent, the
    /// client goes, or the live events end with no part left waiting.
    private func send(stored: [StoredLogPart], inputs: AsyncStream<Input>, output: inout Output) async {
        var sequencer = PartSequencer(lastEventID: lastEventID, gapWait: Self.missingPartsWait)
        var liveEnded = false
        var recheckAt: ContinuousClock.Instant?
        var quiet = QuietReads(firstWait: Self.quietWait, longestWait: Self.longestQuietWait)
        guard output.send(sequencer.receive(stored.map(event), now: .now)) else { return }
        for await input in inputs {
            var ready: [LogPartEvent] = []
            switch input {
            case .live(.part(let part)):
                quiet.reset()
                if part.number == PartNumber.lastValue {
                    // No event names the parts before `last`, so the store is read for them first.
                    ready = sequencer.receive(await partsAfterLastSent(sequencer), now: .now)
                }
                ready += sequencer.receive([part], now: .now)
            case .live(.resubscribed):
                ready = sequencer.receive(await partsAfterLastSent(sequencer), now: .now)
                recheckAt = .now + Self.recheckDelay
            case .liveEnded:
                liveEnded = true
            case .tick:
                output.keepAlive()
                ready = await fillGap(&sequencer)
                if let deadline = recheckAt, deadline <= .now {
                    recheckAt = nil
                    ready += sequencer.receive(await partsAfterLastSent(sequencer), now: .now)
                } else if quiet.isDue() {
                    ready += sequencer.receive(await partsAfterLastSent(sequencer), now: .now)
                }
            }
            guard output.send(ready), !(liveEnded && !sequencer.isHolding) else { return }
        }
    }

    /// Reads the parts of the current gap from the store, and releases every held part once the
    /// gap has waited `missingPartsWait` since the store last lacked the first held part too, or
    /// `longestMissingPartsWait` in all.
    ///
    /// A part that stays missing, for example one the worker never sent, does not hold the
    /// stream back for longer than that. The wait restarts while the store is behind, because
    /// workers store a backlog's parts side by side, so the first held part may be stored a
    /// moment before the missing ones.
    private func fillGap(_ sequencer: inout PartSequencer) async -> [LogPartEvent] {
        guard sequencer.isHolding else { return [] }
        var ready: [LogPartEvent] = []
        var storeIsBehind = false
        let missing = sequencer.missingNumbers(limit: 1_000)
        if !missing.isEmpty, let firstHeld = sequencer.lowestHeldNumber {
            let stored = await storedParts(LogPartsQuery(numbers: missing + [firstHeld]))
            storeIsBehind = !stored.contains { $0.number == firstHeld }
            ready = sequencer.receive(stored.map(event), now: .now)
        }
        if storeIsBehind, let start = sequencer.gapStart {
            sequencer.postponeGapDeadline(to: min(.now + Self.missingPartsWait, start + Self.longestMissingPartsWait))
        }
        guard let deadline = sequencer.gapDeadline, deadline <= .now else { return ready }
        return ready + sequencer.releaseAll()
    }

    private func partsAfterLastSent(_ sequencer: PartSequencer) async -> [LogPartEvent] {
        await storedParts(LogPartsQuery(after: sequencer.lastSent)).map(event)
    }

    private func event(_ part: StoredLogPart) -> LogPartEvent {
        LogPartEvent(channel: "", jobID: jobID, content: part.content ?? "", number: part.number, isFinal: part.isFinal)
    }

    /// When a stream without live parts reads the store next: after a wait that doubles with each
    /// read, up to a limit.
    private struct QuietReads {
        let firstWait: Duration
        let longestWait: Duration
        var wait: Duration
        var dueAt: ContinuousClock.Instant

        init(firstWait: Duration, longestWait: Duration) {
            self.firstWait = firstWait
            self.longestWait = longestWait
            wait = firstWait
            dueAt = .now + firstWait
        }

        /// Starts the waits again from the first, as a live part just came.
        mutating func reset() {
            wait = firstWait
            dueAt = .now + firstWait
        }

        /// Returns whether a read is due, and if so schedules the next one.
        mutating func isDue() -> Bool {
            let now = ContinuousClock.now
            guard dueAt <= now else { return false }
            wait = min(wait * 2, longestWait)
            dueAt = now + wait
            return true
        }
    }

    /// Writes events and keep-alive comments to the client.
    private struct Output {
        let writer: any ResponseStreamWriter
        let heartbeat: Duration
        var lastWrite = ContinuousClock.now

        /// Writes the parts, and `end` after the final one.
        ///
        /// - Returns: false when the stream is over: the final part was sent or the client has gone.
        mutating func send(_ parts: [LogPartEvent]) -> Bool {
            for part in parts {
                let data = String(decoding: part.data(), as: UTF8.self)
                guard writer.write(Data("id: \(part.number)\nevent: part\ndata: \(data)\n\n".utf8)) else {
                    return false
                }
                lastWrite = .now
                if part.isFinal {
                    writer.write(Data("event: end\ndata: {}\n\n".utf8))
                    return false
                }
            }
            return !writer.isClosed
        }

        /// Writes a comment when nothing was written for `heartbeat`, so proxies keep the
        /// connection open and a client that has gone is noticed.
        mutating func keepAlive() {
            guard ContinuousClock.now - lastWrite >= heartbeat else { return }
            writer.write(Data(": keep-alive\n\n".utf8))
            lastWrite = .now
        }
    }
}
