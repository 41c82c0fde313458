import Foundation
import LogsCore
import Synchronization
import Testing

@testable import LogsTransport

@Suite("Redis pipeline batcher", .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct RedisPipelineBatcherTests {
    let namespace = RedisTestServer.uniqueNamespace("batcher")
    let pool: RedisConnectionPool

    init() throws {
        pool = try RedisTestServer.makePool(size: 4)
    }

    /// The reply of a submitted command, nil until it arrives.
    final class Reply: Sendable {
        private let reply = Mutex<RedisReply?>(nil)
        var value: RedisReply? { reply.withLock { $0 } }
        func set(_ value: RedisReply?) { reply.withLock { $0 = value } }
    }

    /// Submits `INCR key` as a command that waits for company.
    func submitWaitingIncrement(_ key: String, to batcher: RedisPipelineBatcher) -> Reply {
        let reply = Reply()
        batcher.submit([RedisCommand("INCR", key)], waitsForCompany: true) { result in
            reply.set(try? result.get().first)
        }
        return reply
    }

    @Test("a command waiting for company rides with the next command")
    func waitingCommandRidesWithNextCommand() async throws {
        let batcher = RedisPipelineBatcher(pool: pool, linger: .seconds(2))
        let key = namespace + ":count"
        // The drain task now lingers on its connection's thread.
        _ = try await batcher.send(RedisCommand("PING"))

        let reply = submitWaitingIncrement(key, to: batcher)
        try await Task.sleep(for: .milliseconds(200))
        let sentAlone = try await pool.send("GET", key)
        let repliedAlone = reply.value != nil

        let ping = try await batcher.send(RedisCommand("PING"))

        #expect(sentAlone == .null, "the waiting command was sent without company")
        #expect(!repliedAlone)
        #expect(ping == .status("PONG"))
        // Its reply is handed out before the reply of the command it rode with.
        #expect(reply.value == .integer(1))
        _ = try await pool.send("DEL", key)
        pool.close()
    }

    @Test("a command waiting for company goes out alone when the linger ends")
    func waitingCommandGoesOutAfterLinger() async throws {
        let batcher = RedisPipelineBatcher(pool: pool, linger: .milliseconds(100))
        let key = namespace + ":alone"

        let reply = submitWaitingIncrement(key, to: batcher)
        let start = ContinuousClock.now
        let arrived = try await eventually(within: .seconds(5)) { reply.value != nil }
        let waited = ContinuousClock.now - start

        #expect(arrived)
        #expect(reply.value == .integer(1))
        #expect(waited >= .milliseconds(90), "the command did not wait for company")
        _ = try await pool.send("DEL", key)
        pool.close()
    }
}
