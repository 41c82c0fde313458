import Foundation
import LogsCore
import Synchronization
import Testing

@testable import LogsTransport

/// Messages nested deeper than `MessageJSONParser` reads, which go to `JSONDecoder` only up to
/// `DrainMessageDecoder.maximumFallbackDepth` levels.
@Suite("Drain nesting")
struct DrainNestingTests {
    /// Returns a part message whose `meta` nests objects so that the message is `depth` levels deep.
    static func nestedMessage(depth: Int, log: String = "deep") -> String {
        let inner = depth - 1
        let meta = String(repeating: #"{"a":"#, count: inner) + "1" + String(repeating: "}", count: inner)
        return #"{"id":7,"log":"\#(log)","number":1,"meta":\#(meta)}"#
    }

    /// Decodes on a thread with the 1 MiB stack of `ThreadExecutor`, where the drain decodes.
    static func decodeOnSmallStack(_ body: String) -> Result<RawLogPart, DrainRejection> {
        let result = Mutex<Result<RawLogPart, DrainRejection>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let decoded = DrainMessageDecoder.decode(Data(body.utf8))
            result.withLock { $0 = decoded }
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
        done.wait()
        return result.withLock { $0! }
    }

    @Test("500 levels rejected on a small stack")
    func rejectsDeepMessage() {
        // Before the depth check this crashed the process with SIGSEGV in a debug build.
        let result = Self.decodeOnSmallStack(Self.nestedMessage(depth: 501))
        #expect(result == .failure(DrainRejection(reason: "invalid_json")))
    }

    @Test("depth limit boundary")
    func depthBoundary() throws {
        let limit = DrainMessageDecoder.maximumFallbackDepth
        let accepted = Self.decodeOnSmallStack(Self.nestedMessage(depth: limit))
        #expect(try accepted.get().jobID == JobID(7))
        let rejected = Self.decodeOnSmallStack(Self.nestedMessage(depth: limit + 1))
        #expect(rejected == .failure(DrainRejection(reason: "invalid_json")))
    }

    @Test("brackets in strings not counted")
    func bracketsInStrings() throws {
        // 80 levels go past `MessageJSONParser` to the fallback, where the brackets and escaped
        // quotes inside the log must not count as nesting.
        let log = String(repeating: #"[{\"["#, count: 200)
        let result = Self.decodeOnSmallStack(Self.nestedMessage(depth: 80, log: log))
        #expect(try result.get().log == String(repeating: #"[{"["#, count: 200))
    }
}

@Suite(
    "Drain nesting on a queue",
    .enabled(if: RabbitMQTestServer.isEnabled, RabbitMQTestServer.skipReason),
    .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct DrainNestingQueueTests {
    @Test("deep messages go to the dead queue")
    func deadLettersDeepMessages() async throws {
        let harness = try await DrainHarness("nesting")
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        let deep = DrainNestingTests.nestedMessage(depth: 501)
        try await harness.publish(deep)
        try await harness.publish(deep)
        try await harness.publish(#"{"id": 5, "log": "good", "number": 1}"#)
        try await harness.wait("dead-lettered messages") {
            try await harness.readyMessages(in: harness.settings.deadQueueName) == 2
        }
        try await harness.wait("the good part") { try await harness.storedParts().count == 1 }
        drain.stop()
        await running.value

        #expect(try await harness.readyMessages() == 0)
        #expect(try await harness.storedParts().map(\.jobID) == [JobID(5)])
        try await harness.cleanUp()
    }
}
