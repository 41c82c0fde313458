import Foundation
import Synchronization
import Testing

@testable import LogsCore

/// The broadcaster that merges concurrent live forwarding calls into fewer Pusher requests and
/// Redis round trips, and the forwarder's two targets running side by side.
@Suite("Coalescing broadcaster", .timeLimit(.minutes(1)))
struct CoalescingBroadcasterTests {
    /// Records each call and keeps it waiting until `open()`, so a test can make calls pile up.
    final class GatedBroadcaster: Broadcaster {
        private struct State {
            var calls: [[LogPartEvent]] = []
            var held: [CheckedContinuation<Void, Never>] = []
            var isOpen = false
            var running = 0
            var maximumRunning = 0
        }

        private let state = Mutex(State())
        let failure: (any Error)?

        init(failure: (any Error)? = nil) {
            self.failure = failure
        }

        var calls: [[LogPartEvent]] { state.withLock { $0.calls } }
        var maximumRunning: Int { state.withLock { $0.maximumRunning } }

        func broadcast(_ events: [LogPartEvent]) async throws {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let isOpen = state.withLock { state -> Bool in
                    state.calls.append(events)
                    state.running += 1
                    state.maximumRunning = max(state.maximumRunning, state.running)
                    if !state.isOpen { state.held.append(continuation) }
                    return state.isOpen
                }
                if isOpen { continuation.resume() }
            }
            state.withLock { $0.running -= 1 }
            if let failure { throw failure }
        }

        func open() {
            let held = state.withLock { state in
                state.isOpen = true
                defer { state.held.removeAll() }
                return state.held
            }
            for continuation in held { continuation.resume() }
        }
    }

    struct InjectedFailure: Error {}

    static func event(_ job: Int64, _ number: Int) -> LogPartEvent {
        LogPartEvent(
            channel: LogPartEvent.channel(for: JobID(job), isPrivate: false), jobID: JobID(job), content: "part",
            number: number, isFinal: false)
    }

    /// Polls until `condition` holds, for up to 5 seconds.
    static func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        for _ in 0..<500 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("timed out waiting until \(what)")
    }

    @Test("calls made during a send share the next send")
    func callsShareNextSend() async throws {
        let gated = GatedBroadcaster()
        let coalescing = CoalescingBroadcaster(gated, maximumBatchSize: 100, maximumConcurrentSends: 1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await coalescing.broadcast([Self.event(1, 1)]) }
            try await Self.waitUntil("the first send starts") { gated.calls.count == 1 }
            for job in 2...10 {
                group.addTask { try await coalescing.broadcast([Self.event(Int64(job), 1)]) }
            }
            try await Self.waitUntil("nine calls wait") { coalescing.waitingCallCount == 9 }
            gated.open()
            try await group.waitForAll()
        }
        #expect(gated.calls.map(\.count) == [1, 9])
        #expect(Set(gated.calls[1].map(\.jobID.rawValue)) == Set(2...10))
    }

    @Test("batch size bounds each send")
    func batchSizeBoundsSends() async throws {
        let gated = GatedBroadcaster()
        let coalescing = CoalescingBroadcaster(gated, maximumBatchSize: 3, maximumConcurrentSends: 1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await coalescing.broadcast([Self.event(1, 1)]) }
            try await Self.waitUntil("the first send starts") { gated.calls.count == 1 }
            for job in 2...8 {
                group.addTask { try await coalescing.broadcast([Self.event(Int64(job), 1)]) }
            }
            try await Self.waitUntil("seven calls wait") { coalescing.waitingCallCount == 7 }
            group.addTask { try await coalescing.broadcast((1...5).map { Self.event(9, $0) }) }
            try await Self.waitUntil("eight calls wait") { coalescing.waitingCallCount == 8 }
            gated.open()
            try await group.waitForAll()
        }
        // The call of 5 events is sent whole and alone, because it is larger than the maximum.
        #expect(gated.calls.map(\.count) == [1, 3, 3, 1, 5])
    }

    @Test("sends run at most the maximum at once")
    func concurrentSendsBounded() async throws {
        let gated = GatedBroadcaster()
        let coalescing = CoalescingBroadcaster(gated, maximumBatchSize: 1, maximumConcurrentSends: 2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for job in 1...6 {
                group.addTask { try await coalescing.broadcast([Self.event(Int64(job), 1)]) }
            }
            try await Self.waitUntil("two sends start and four calls wait") {
                gated.calls.count == 2 && coalescing.waitingCallCount == 4
            }
            gated.open()
            try await group.waitForAll()
        }
        #expect(gated.calls.count == 6)
        #expect(gated.maximumRunning == 2)
    }

    @Test("failed send fails each of its calls")
    func failureReachesEveryCaller() async throws {
        let gated = GatedBroadcaster(failure: InjectedFailure())
        let coalescing = CoalescingBroadcaster(gated, maximumBatchSize: 100, maximumConcurrentSends: 1)
        let failures = await withTaskGroup(of: Bool.self) { group in
            for job in 1...4 {
                group.addTask {
                    do {
                        try await coalescing.broadcast([Self.event(Int64(job), 1)])
                        return false
                    } catch {
                        return error is InjectedFailure
                    }
                }
            }
            try? await Self.waitUntil("every call was sent or waits") {
                gated.calls.flatMap { $0 }.count + coalescing.waitingCallCount == 4
            }
            gated.open()
            var failures = 0
            for await failed in group where failed { failures += 1 }
            return failures
        }
        #expect(failures == 4)
    }

    @Test("each job's parts ordered by number")
    func partsOrderedWithinJob() {
        let events = [Self.event(1, 3), Self.event(2, 7), Self.event(1, 1), Self.event(2, 5), Self.event(1, 2)]
        let ordered = CoalescingBroadcaster.orderedByPartNumber(events)
        #expect(ordered.map(\.jobID.rawValue) == [1, 2, 1, 2, 1])
        #expect(ordered.map(\.number) == [1, 5, 2, 7, 3])
    }

    @Test("forwarder sends to Pusher while the stream waits")
    func targetsRunSideBySide() async throws {
        let stream = GatedBroadcaster()
        let pusher = RecordingBroadcaster()
        let forwarder = LiveForwarder(
            pusher: pusher, liveStream: stream, presence: InMemoryChannelPresence(), checksExistence: false,
            usesPrivateChannels: false, logger: Logger(label: "test") { _ in RecordingLogHandler() },
            metrics: MetricsRegistry())
        let part = RawLogPart(
            jobID: JobID(3), log: Data("hello".utf8).base64EncodedString(), number: .number(1), isFinal: false,
            encoding: "base64")
        let forwarding = Task { await forwarder.forward([part]) }
        var pusherEvents: [LogPartEvent] = []
        for _ in 0..<500 where pusherEvents.isEmpty {
            pusherEvents = await pusher.events
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(pusherEvents.map(\.number) == [1])
        #expect(stream.calls.count == 1)
        stream.open()
        await forwarding.value
    }
}
