import Foundation
import LogsCore
import TestSupport
import Testing

@testable import LogsTransport

@Suite("Redis connection", .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct RedisConnectionTests {
    let namespace = RedisTestServer.uniqueNamespace("connection")

    @Test("reply types")
    func replyTypes() async throws {
        let pool = try RedisTestServer.makePool()
        defer { pool.close() }
        let key = namespace + "list"

        #expect(try await pool.send("SET", namespace + "text", "ünïcode\n{\"a\":1}") == .status("OK"))
        #expect(try await pool.send("GET", namespace + "text") == .string("ünïcode\n{\"a\":1}"))
        #expect(try await pool.send("GET", namespace + "missing") == .null)
        #expect(try await pool.send("RPUSH", key, "a", "b") == .integer(2))
        #expect(try await pool.send("LRANGE", key, "0", "-1") == .array([.string("a"), .string("b")]))
        try await RedisTestServer.deleteKeys(prefix: namespace, in: pool)
    }

    @Test("error reply names command, not arguments")
    func errorReplyNamesCommand() async throws {
        let pool = try RedisTestServer.makePool()
        defer { pool.close() }
        _ = try await pool.send("SET", namespace + "string", "x")
        let error = try await #require(throws: RedisError.self) {
            try await pool.send("LPUSH", namespace + "string", "secret-argument")
        }
        #expect(error.code == .serverError)
        #expect(error.command == "LPUSH")
        #expect(error.message.hasPrefix("WRONGTYPE"))
        #expect(!error.description.contains("secret-argument"))
        try await RedisTestServer.deleteKeys(prefix: namespace, in: pool)
    }

    @Test("pipeline keeps order and errors in place")
    func pipelineKeepsOrder() async throws {
        let pool = try RedisTestServer.makePool()
        defer { pool.close() }
        let key = namespace + "counter"
        let commands = [
            RedisCommand("INCR", key), RedisCommand("LPUSH", key, "x"), RedisCommand("INCRBY", key, "5"),
        ]
        let replies = try await pool.pipeline(commands)
        #expect(replies.count == 3)
        #expect(replies[0] == .integer(1))
        #expect(replies[1].stringValue == nil)
        #expect(replies[2] == .integer(6))
        try await RedisTestServer.deleteKeys(prefix: namespace, in: pool)
    }

    @Test("script reloaded after SCRIPT FLUSH")
    func scriptReloadedAfterFlush() async throws {
        let pool = try RedisTestServer.makePool(size: 1)
        defer { pool.close() }
        let script = RedisScript(name: "echo", source: "return ARGV[1] .. '-' .. KEYS[1]")
        #expect(try await pool.evaluate(script, keys: ["k"], arguments: ["v"]) == .string("v-k"))
        _ = try await pool.send("SCRIPT", "FLUSH")
        #expect(try await pool.evaluate(script, keys: ["k2"], arguments: ["w"]) == .string("w-k2"))
    }

    @Test("idle connection closed by server replaced")
    func idleClosedConnectionReplaced() async throws {
        let pool = try RedisTestServer.makePool(size: 2)
        defer { pool.close() }
        try await pool.withConnection { connection in
            let id = try #require(try await connection.send("CLIENT", "ID").integerValue)
            _ = try await pool.send("CLIENT", "KILL", "ID", String(id))

            #expect(try await connection.send("PING") == .status("PONG"))
            let newID = try #require(try await connection.send("CLIENT", "ID").integerValue)
            #expect(newID != id)
        }
    }

    @Test("pool replaces every connection the server closed")
    func poolReplacesClosedConnections() async throws {
        let pool = try RedisTestServer.makePool(size: 2)
        let admin = try RedisTestServer.makePool(size: 1)
        defer {
            pool.close()
            admin.close()
        }
        // Each lease lasts 100 ms, so both connections open, and their ids are those that a restart
        // of the server would close.
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    try await pool.withConnection { connection in
                        let id = try await connection.send("CLIENT", "ID").integerValue ?? -1
                        try await Task.sleep(for: .milliseconds(100))
                        return id
                    }
                }
            }
            var ids: [Int64] = []
            for try await id in group { ids.append(id) }
            return ids
        }
        #expect(Set(ids).count == 2)

        for id in ids { _ = try await admin.send("CLIENT", "KILL", "ID", String(id)) }

        #expect(try await pool.send("PING") == .status("PONG"))
        #expect(try await pool.send("PING") == .status("PONG"))
        async let first = pool.send("PING")
        async let second = pool.send("PING")
        #expect(try await [first, second] == [.status("PONG"), .status("PONG")])
    }

    @Test("ACL user, password and database")
    func aclUserPasswordAndDatabase() async throws {
        let admin = try RedisTestServer.makePool()
        defer { admin.close() }
        let user = "test-user-\(UUID().uuidString.prefix(8))"
        _ = try await admin.send("ACL", "SETUSER", user, "on", ">p@ss word", "~*", "+@all")
        defer { Task { _ = try? await admin.send("ACL", "DELUSER", user) } }
        var components = try #require(URLComponents(string: try RedisTestServer.url()))
        components.percentEncodedUser = user
        components.percentEncodedPassword = "p%40ss%20word"
        components.path = "/5"
        let endpoint = try RedisEndpoint(url: try #require(components.string))
        let pool = RedisConnectionPool(endpoint: endpoint, logger: Logger(label: "test"))
        defer { pool.close() }
        let database = try await pool.send("CLIENT", "INFO")
        #expect(database.stringValue?.contains("db=5") == true)
        #expect(database.stringValue?.contains("user=\(user)") == true)

        components.percentEncodedPassword = "wrong"
        let wrong = RedisConnectionPool(
            endpoint: try RedisEndpoint(url: try #require(components.string)), logger: Logger(label: "test"))
        defer { wrong.close() }
        let error = try await #require(throws: RedisError.self) { try await wrong.send("PING") }
        #expect(error.code == .authenticationFailed)
        #expect(!error.description.contains("wrong"))
        _ = try await admin.send("ACL", "DELUSER", user)
    }

    @Test("pool waits when every connection is leased")
    func poolWaitsWhenFull() async throws {
        let pool = try RedisTestServer.makePool(size: 1)
        defer { pool.close() }
        let (held, holder) = AsyncStream<Void>.makeStream()
        async let first: ContinuousClock.Instant = pool.withConnection { connection in
            holder.yield()
            try await Task.sleep(for: .milliseconds(200))
            _ = try await connection.send("PING")
            return ContinuousClock.now
        }
        for await _ in held { break }
        _ = try await pool.send("PING")
        let secondDone = ContinuousClock.now
        let firstDone = try await first
        #expect(secondDone >= firstDone)
    }

    @Test("unreachable server logs each retry round once")
    func unreachableServerLogsOnce() async throws {
        let recorder = RecordingLogHandler()
        let logger = Logger(label: "test", factory: { _ in recorder })
        let endpoint = RedisEndpoint(address: .tcp(host: "127.0.0.1", port: try freeLoopbackPort()))
        let settings = RedisConnectionPool.Settings(
            size: 3, reconnectInitialDelay: .milliseconds(300), reconnectMaximumDelay: .seconds(1))
        let pool = RedisConnectionPool(endpoint: endpoint, settings: settings, logger: logger)
        defer { pool.close() }

        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    let error = await #expect(throws: RedisError.self) { try await pool.send("PING") }
                    #expect(error?.code == .connectionFailed)
                }
            }
        }
        let started = ContinuousClock.now
        _ = try? await pool.send("PING")
        // Four failed calls in at most a few rounds: each round is logged once, by whichever
        // connection failed first in it.
        let attempts = recorder.entries.filter { $0.level == .warning }.compactMap { $0.metadata["attempt"] }
        #expect(attempts.map { "\($0)" } == (1...max(1, attempts.count)).map(String.init))
        #expect(attempts.count < 4)
        #expect(started.duration(to: .now) >= .milliseconds(250))
    }
}
