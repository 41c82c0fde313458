import Foundation
import LogSending
import LogsCore
import LogsTransport
import TestSupport
import Testing

/// `travis-logs send` run as a child process against a `travis-logs web` process on the Redis of
/// script/services. The parts are read back from the `log_parts` jobs that web queued.
@Suite(
    "travis-logs send against web",
    .enabled(if: TestEnvironment.shouldRun(needing: "REDIS_URL", "LOGS_TEST_PYTHON"), "REDIS_URL is not set"))
struct SendCommandTests {
    static let token = "send-test-token"

    /// One web process with its own Redis namespace, a key pair, and a log file.
    final class Fixture {
        let namespace = "test-send-\(UUID().uuidString.prefix(8)):"
        let keys: TestKeys.KeyPair
        let directory: URL
        let pool: RedisConnectionPool
        let queue: RedisJobQueue
        let port: Int
        var web: WebProcess?

        init() async throws {
            keys = try await TestKeys.rsa()
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("send-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let logger = Logger(label: "send-test") { _ in RecordingLogHandler() }
            pool = RedisConnectionPool(
                endpoint: try RedisEndpoint(url: try TestEnvironment.require("REDIS_URL")), logger: logger)
            queue = RedisJobQueue(pool: pool, namespace: namespace, logger: logger)
            port = try freeLoopbackPort()
            try await startWeb()
        }

        var webEnvironment: [String: String] {
            var environment = [
                "REDIS_URL": TestEnvironment.value("REDIS_URL") ?? "", "AUTH_TOKEN": SendCommandTests.token,
                "JWT_RSA_PUBLIC_KEY": keys.publicKeyPEM, "TRAVIS_SIDEKIQ_NAMESPACE": namespace,
            ]
            environment["DATABASE_URL"] = TestEnvironment.value("DATABASE_URL")
            return environment
        }

        var baseURL: String { "http://127.0.0.1:\(port)" }

        func startWeb() async throws {
            web = try await WebProcess(port: port, environment: webEnvironment)
        }

        func writeFile(_ name: String, _ contents: Data) throws -> String {
            let url = directory.appendingPathComponent(name)
            try contents.write(to: url)
            return url.path
        }

        func received(jobID: JobID) async throws -> ReceivedParts {
            try ReceivedParts(jobs: try await queue.jobs(in: JobPayload.Queue.logParts), jobID: jobID)
        }

        func tearDown() async throws {
            try await web?.stop()
            var cursor = "0"
            repeat {
                let reply = try await pool.send("SCAN", cursor, "MATCH", "\(namespace)*", "COUNT", "1000")
                cursor = reply.arrayValue?.first?.stringValue ?? "0"
                let keys = reply.arrayValue?.last?.arrayValue?.compactMap(\.stringValue) ?? []
                if !keys.isEmpty { _ = try await pool.send(["DEL"] + keys) }
            } while cursor != "0"
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// 15092 bytes in 11 parts, one of whose cuts falls inside a multi-byte character.
    static let log = Data((1...400).map { "line \($0): ünïcödé ✓ \u{1B}[32mok\u{1B}[0m\n" }.joined().utf8)

    @Test("token mode delivers every part once")
    func tokenMode() async throws {
        try await withFixture { fixture in
            let file = try fixture.writeFile("log.txt", Self.log)
            let result = try await BuiltTool.run([
                "send", file, "--job-id", "101", "--url", fixture.baseURL, "--token", Self.token,
            ])
            #expect(result.status == 0, "\(result.errorOutput)")
            let parts = OutgoingLogPart.split(Self.log)
            #expect(result.output.hasPrefix("sent \(parts.count) parts, \(Self.log.count) bytes in "))
            #expect(result.output.hasSuffix(", 0 retries\n"))
            try await fixture.received(jobID: JobID(101)).expectExactlyOnce(parts)
        }
    }

    @Test("JWT mode delivers every part once")
    func jwtMode() async throws {
        try await withFixture { fixture in
            let file = try fixture.writeFile("log.txt", Self.log)
            let key = try fixture.writeFile("key.pem", Data(fixture.keys.privateKeyPEM.utf8))
            let result = try await BuiltTool.run([
                "send", file, "--job-id", "102", "--url", fixture.baseURL, "--jwt-key", key, "--concurrency", "2",
            ])
            #expect(result.status == 0, "\(result.errorOutput)")
            try await fixture.received(jobID: JobID(102)).expectExactlyOnce(OutgoingLogPart.split(Self.log))
            #expect(!fixture.web!.log.contains("dropped unauthorized log part"))
        }
    }

    @Test("standard input is read for -")
    func standardInput() async throws {
        try await withFixture { fixture in
            let file = try fixture.writeFile("log.txt", Self.log)
            let result = try await BuiltTool.run(
                ["send", "-", "--job-id", "103", "--url", fixture.baseURL], environment: ["AUTH_TOKEN": Self.token],
                input: URL(fileURLWithPath: file))
            #expect(result.status == 0, "\(result.errorOutput)")
            try await fixture.received(jobID: JobID(103)).expectExactlyOnce(OutgoingLogPart.split(Self.log))
        }
    }

    @Test("web killed mid-send loses no part")
    func webRestartMidSend() async throws {
        try await withFixture { fixture in
            let log = Data(repeating: UInt8(ascii: "z"), count: 1653 * 60) + Data("é".utf8)
            let file = try fixture.writeFile("log.txt", log)
            let baseURL = fixture.baseURL
            async let sending = BuiltTool.run([
                "send", file, "--job-id", "104", "--url", baseURL, "--token", Self.token, "--rate", "20",
            ])
            let started = try await Self.eventually { try await fixture.received(jobID: JobID(104)).parts.count >= 5 }
            #expect(started, "no part arrived before the restart")
            try await fixture.web?.stop(signal: SIGKILL)
            try await Task.sleep(for: .milliseconds(500))
            try await fixture.startWeb()
            let result = try await sending
            #expect(result.status == 0, "\(result.errorOutput)")
            #expect(!result.output.hasSuffix(", 0 retries\n"), "\(result.output)")
            try await fixture.received(jobID: JobID(104)).expectComplete(OutgoingLogPart.split(log))
        }
    }

    @Test("rejected token exits 1 naming the status")
    func rejectedTokenExitsOne() async throws {
        try await withFixture { fixture in
            let file = try fixture.writeFile("log.txt", Self.log)
            let result = try await BuiltTool.run([
                "send", file, "--job-id", "105", "--url", fixture.baseURL, "--token", "not-the-token",
            ])
            #expect(result.status == 1)
            #expect(result.errorOutput.contains("returned 403"))
            #expect(!result.errorOutput.contains("not-the-token"))
            #expect(result.output.hasPrefix("sent 0 parts, 0 bytes in "))
            #expect(try await fixture.received(jobID: JobID(105)).parts.isEmpty)
        }
    }

    @Test("missing file exits 2 naming it")
    func missingFileExitsTwo() async throws {
        let result = try await BuiltTool.run([
            "send", "/nonexistent/log.txt", "--job-id", "1", "--url", "http://127.0.0.1:9", "--token", "t",
        ])
        #expect(result.status == 2)
        #expect(result.errorOutput.contains("cannot read the log file '/nonexistent/log.txt'"))
    }

    @Test("invalid key file exits 2 naming it")
    func invalidKeyExitsTwo() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("send-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = directory.appendingPathComponent("key.pem")
        try Data("not a key".utf8).write(to: key)
        let log = directory.appendingPathComponent("log.txt")
        try Data("x".utf8).write(to: log)
        let result = try await BuiltTool.run([
            "send", log.path, "--job-id", "1", "--url", "http://127.0.0.1:9", "--jwt-key", key.path,
        ])
        #expect(result.status == 2)
        #expect(result.errorOutput.contains("invalid key file '\(key.path)'"))
    }

    /// Runs `body` with a new fixture and tears the fixture down even when `body` throws.
    func withFixture(_ body: (Fixture) async throws -> Void) async throws {
        let fixture = try await Fixture()
        do {
            try await body(fixture)
        } catch {
            try? await fixture.tearDown()
            throw error
        }
        try await fixture.tearDown()
    }

    /// Polls `condition` every 50 ms for up to 20 seconds and returns its last value.
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}
