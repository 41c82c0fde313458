import Foundation
import LogsCore
import LogsStorage
import Synchronization
import TestSupport
import Testing

extension PostgresClientTests {
    static let backendPID = PostgresStatement(name: "test_backend_pid", sql: "SELECT pg_backend_pid() AS pid")
    static let terminateOwnBackend = PostgresStatement(
        name: "test_terminate_own_backend", sql: "SELECT pg_terminate_backend(pg_backend_pid())")

    @Test("idle connections closed by server replaced", arguments: [1, 3])
    func idleClosedConnectionsReplaced(poolSize: Int) async throws {
        try await withDatabase(.empty) { database in
            let logHandler = RecordingLogHandler()
            let client = database.makeClient(maximumConnections: poolSize, logHandler: logHandler)
            defer { Task { await client.close() } }
            let oldPIDs = try await Self.openConnections(poolSize, of: client)
            try #require(oldPIDs.count == poolSize)

            // Given a timeout (PostgreSQL 14 and later), pg_terminate_backend returns true only once
            // the backend has exited, so every pooled socket is closed before the next call.
            let pidList = oldPIDs.map(String.init).joined(separator: ",")
            let terminated = try await database.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) AS count FROM unnest(ARRAY[\(pidList)]) AS pid"
            )
            try #require(try terminated.rows.first?.integer("count") == Int64(poolSize))

            for call in 1...(poolSize + 1) {
                let pid = try #require(try await client.query(Self.backendPID).rows.first?.integer("pid"))
                #expect(!oldPIDs.contains(pid), "call \(call) ran on a terminated backend")
            }
            let warnings = logHandler.entries.filter { $0.level == .warning }.map(\.message)
            #expect(warnings.isEmpty)
            let replacements = logHandler.entries.filter { $0.message.contains("closed an idle connection") }
            #expect(replacements.count == poolSize)
        }
    }

    @Test("connections closed by idle timeout replaced")
    func idleTimeoutConnectionsReplaced() async throws {
        try await withDatabase(.empty) { database in
            try await database.execute("ALTER DATABASE \(database.name) SET idle_session_timeout = '100ms'")
            let logHandler = RecordingLogHandler()
            let client = database.makeClient(maximumConnections: 2, logHandler: logHandler)
            defer { Task { await client.close() } }
            let oldPIDs = try await Self.openConnections(2, of: client)
            try #require(oldPIDs.count == 2)

            try await Task.sleep(for: .milliseconds(500))

            for call in 1...3 {
                let pid = try #require(try await client.query(Self.backendPID).rows.first?.integer("pid"))
                #expect(!oldPIDs.contains(pid), "call \(call) ran on a timed-out backend")
            }
            let warnings = logHandler.entries.filter { $0.level == .warning }.map(\.message)
            #expect(warnings.isEmpty)
            let replacements = logHandler.entries.filter { $0.message.contains("closed an idle connection") }
            #expect(replacements.count == 2)
        }
    }

    @Test("connections closed before use stop the call")
    func closedBeforeUseBounded() async throws {
        let server = try await LocalPythonServer.start(script: Self.closingServerScript)
        let client = PostgresClient(
            configuration: PostgresConfiguration(
                url: "postgres://travis_logs@127.0.0.1:\(server.port)/logs?sslmode=disable&gssencmode=disable",
                maximumConnections: 2),
            logger: Logger(label: "tests", factory: { _ in RecordingLogHandler() }))
        defer { Task { await client.close() } }
        let attempts = AttemptLog()
        let error = await #expect(throws: PostgresError.self) {
            try await client.withConnection { _ in attempts.record(nil) }
        }
        #expect(error?.code == .connectionLost)
        #expect(error?.message.contains("closed 4 connections") == true)
        #expect(attempts.pids.isEmpty)
    }

    @Test("connection lost during a statement retried once")
    func lostDuringStatementRetriedOnce() async throws {
        try await withDatabase(.empty) { database in
            let logHandler = RecordingLogHandler()
            let client = database.makeClient(maximumConnections: 1, logHandler: logHandler)
            defer { Task { await client.close() } }
            let attempts = AttemptLog()
            let pid = try await client.withConnection { connection in
                let pid = try connection.query(Self.backendPID).rows.first?.integer("pid")
                if attempts.record(pid) == 1 {
                    try connection.query(Self.terminateOwnBackend)
                }
                return pid
            }
            let pids = attempts.pids
            try #require(pids.count == 2)
            #expect(pids[0] != pids[1])
            #expect(pid == pids[1])
            let warnings = logHandler.entries.filter { $0.level == .warning }
            #expect(warnings.count == 1)
            #expect(warnings.first?.message.contains("retrying on a fresh connection") == true)
        }
    }

    @Test("second connection loss thrown to caller")
    func secondLossThrown() async throws {
        try await withDatabase(.empty) { database in
            let client = database.makeClient(maximumConnections: 1)
            defer { Task { await client.close() } }
            let attempts = AttemptLog()
            let error = await #expect(throws: PostgresError.self) {
                try await client.withConnection { connection in
                    _ = attempts.record(Int64(connection.backendPID))
                    try connection.query(Self.terminateOwnBackend)
                }
            }
            #expect(error?.isConnectionLoss == true)
            #expect(attempts.pids.count == 2)
            let rows = try await client.query(Self.backendPID)
            #expect(rows.count == 1)
        }
    }

    @Test("outage logs one loss warning")
    func outageLogsOneLossWarning() async throws {
        try await withDatabase(.empty) { database in
            let logHandler = RecordingLogHandler()
            let client = database.makeClient(maximumConnections: 1, logHandler: logHandler)
            defer { Task { await client.close() } }
            // Each call loses its connection on both attempts, as during an outage.
            for _ in 0..<3 {
                await #expect(throws: PostgresError.self) {
                    try await client.withConnection { connection in try connection.query(Self.terminateOwnBackend) }
                }
            }
            _ = try await client.query(Self.backendPID)

            let warnings = logHandler.entries.filter { $0.level == .warning }
            #expect(warnings.count == 1)
            let repeats = logHandler.entries.filter { $0.message.contains("lost again") }
            #expect(repeats.count == 2)
            #expect(repeats.allSatisfy { $0.level == .debug })
            let recoveries = logHandler.entries.filter { $0.message.contains("work again") }
            #expect(recoveries.count == 1)
            #expect(recoveries.first?.metadata["lost_connections"] == "3")
        }
    }

    /// A server that completes every PostgreSQL login, then sends a FATAL error and closes the
    /// socket at once, so each connection is closed by the time a client would use it.
    static let closingServerScript = #"""
        import socket, struct, threading

        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        print(listener.getsockname()[1], flush=True)

        def message(kind, payload):
            return kind + struct.pack("!i", len(payload) + 4) + payload

        def receive(connection, count):
            data = b""
            while len(data) < count:
                chunk = connection.recv(count - len(data))
                if not chunk:
                    raise EOFError
                data += chunk
            return data

        def serve(connection):
            with connection:
                while True:
                    length, code = struct.unpack("!ii", receive(connection, 8))
                    if code in (80877103, 80877104):  # SSLRequest, GSSENCRequest
                        connection.sendall(b"N")
                        continue
                    receive(connection, length - 8)
                    break
                fatal = b"SFATAL\0VFATAL\0C57P01\0Mterminating connection due to administrator command\0\0"
                # On Linux, TCP_CORK holds the reply until the shutdown sends it together with the
                # FIN, so the client cannot read ReadyForQuery before the end of stream is there too.
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
                connection.sendall(message(b"R", struct.pack("!i", 0)) + message(b"Z", b"I") + message(b"E", fatal))
                connection.shutdown(socket.SHUT_WR)

        while True:
            connection, _ = listener.accept()
            threading.Thread(target=serve, args=(connection,), daemon=True).start()
        """#

    /// Leases `count` connections at the same time and returns their backend process ids.
    ///
    /// Each lease keeps its connection for 200 ms, so the leases overlap and the pool, when its
    /// maximum is `count`, ends up with `count` idle connections.
    static func openConnections(_ count: Int, of client: PostgresClient) async throws -> Set<Int64> {
        let sleep = PostgresStatement(name: "test_sleep_briefly", sql: "SELECT pg_sleep(0.2)")
        return try await withThrowingTaskGroup(of: Int64?.self) { group in
            for _ in 0..<count {
                group.addTask {
                    try await client.withConnection { connection in
                        try connection.query(sleep)
                        return try connection.query(Self.backendPID).rows.first?.integer("pid")
                    }
                }
            }
            var pids: Set<Int64> = []
            for try await pid in group {
                if let pid { pids.insert(pid) }
            }
            return pids
        }
    }
}

/// The backend process id of each attempt of a closure, shared across the threads that run it.
private final class AttemptLog: Sendable {
    private let values = Mutex<[Int64?]>([])

    var pids: [Int64?] {
        values.withLock { $0 }
    }

    /// Records one more attempt and returns how many there have been.
    func record(_ pid: Int64?) -> Int {
        values.withLock {
            $0.append(pid)
            return $0.count
        }
    }
}
