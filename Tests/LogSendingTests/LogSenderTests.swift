import Foundation
import LogSending
import LogsCore
import Testing

@Suite("Sending parts to the API")
struct LogSenderTests {
    static let jobID = JobID(42)
    static let logger = Logger(label: "send-test") { _ in RecordingLogHandler() }

    /// A log of several parts whose first part ends inside a multi-byte character.
    static let log =
        Data(String(repeating: "x", count: 1652).utf8) + Data(String(repeating: "ü ✓ line\n", count: 900).utf8)

    static func sender(
        _ server: InProcessWebServer, authentication: LogSender.Authentication, rate: Double? = nil,
        retryTimeout: Duration = .seconds(30)
    ) throws -> LogSender {
        let settings = LogSender.Settings(
            baseURL: server.baseURL, jobID: jobID, authentication: authentication, rate: rate, concurrency: 3,
            partsPerRequest: 4, retryTimeout: retryTimeout, initialBackoff: .milliseconds(20),
            maximumBackoff: .milliseconds(200))
        return try LogSender(settings: settings, logger: logger)
    }

    @Test("token sends every part once")
    func tokenSendsEveryPart() async throws {
        let server = try InProcessWebServer()
        defer { Task { await server.stop() } }
        let parts = OutgoingLogPart.split(Self.log)
        #expect(parts.count > 5)
        let summary = try await Self.sender(server, authentication: .token(InProcessWebServer.authToken)).send(parts)
        #expect(summary.parts == parts.count)
        #expect(summary.bytes == Self.log.count)
        #expect(summary.retries == 0)
        try await server.receivedParts(jobID: Self.jobID).expectExactlyOnce(parts)
    }

    @Test("part tokens send every part once", .enabled(if: TestKeys.isAvailable, TestKeys.skipReason))
    func partTokensSendEveryPart() async throws {
        let keys = try await TestKeys.rsa()
        let server = try InProcessWebServer(publicKeyPEM: keys.publicKeyPEM)
        defer { Task { await server.stop() } }
        let parts = OutgoingLogPart.split(Self.log)
        let signer = try PartTokenSigner(privateKeyPEM: keys.privateKeyPEM)
        let summary = try await Self.sender(server, authentication: .partTokens(signer)).send(parts)
        #expect(summary.parts == parts.count)
        try await server.receivedParts(jobID: Self.jobID).expectExactlyOnce(parts)
        let dropped = server.pipeline.metrics.renderPrometheus().contains("unauthorized")
        #expect(!dropped, "the server dropped parts as unauthorized")
    }

    @Test("empty log sends the final part")
    func emptyLog() async throws {
        let server = try InProcessWebServer()
        defer { Task { await server.stop() } }
        let parts = OutgoingLogPart.split(Data())
        let summary = try await Self.sender(server, authentication: .token(InProcessWebServer.authToken)).send(parts)
        #expect(summary.parts == 1)
        #expect(summary.bytes == 0)
        try await server.receivedParts(jobID: Self.jobID).expectExactlyOnce(parts)
    }

    @Test("maintenance 503 is retried until it ends")
    func retriesDuringMaintenance() async throws {
        let server = try InProcessWebServer()
        defer { Task { await server.stop() } }
        await server.maintenance.enable(for: .seconds(1))
        let parts = OutgoingLogPart.split(Self.log)
        let summary = try await Self.sender(server, authentication: .token(InProcessWebServer.authToken)).send(parts)
        #expect(summary.retries > 0)
        #expect(summary.parts == parts.count)
        try await server.receivedParts(jobID: Self.jobID).expectExactlyOnce(parts)
    }

    @Test("wrong token fails without the final part")
    func wrongTokenRejected() async throws {
        let server = try InProcessWebServer()
        defer { Task { await server.stop() } }
        let parts = OutgoingLogPart.split(Self.log)
        let sender = try Self.sender(server, authentication: .token("wrong-token"))
        await #expect {
            try await sender.send(parts)
        } throws: { error in
            let error = try #require(error as? SendError)
            return error.code == .rejected && error.status == 403 && !error.message.contains("wrong-token")
                && error.delivered?.parts == 0
        }
        let received = try await server.receivedParts(jobID: Self.jobID)
        #expect(received.parts.isEmpty)
    }

    @Test("unreachable server times out")
    func unreachableServerTimesOut() async throws {
        let server = try InProcessWebServer()
        await server.stop()
        let sender = try Self.sender(
            server, authentication: .token(InProcessWebServer.authToken), retryTimeout: .milliseconds(500))
        await #expect {
            try await sender.send(OutgoingLogPart.split(Data("short log".utf8)))
        } throws: { error in
            let error = try #require(error as? SendError)
            return error.code == .timedOut && error.message.contains("127.0.0.1")
        }
    }

    @Test("rate spaces the parts")
    func rateSpacesParts() async throws {
        let server = try InProcessWebServer()
        defer { Task { await server.stop() } }
        let parts = OutgoingLogPart.split(Data(repeating: 0x61, count: 1653 * 10))
        let sender = try Self.sender(server, authentication: .token(InProcessWebServer.authToken), rate: 50)
        let summary = try await sender.send(parts)
        // The eleventh part is due 10 / 50 s after the first; only this lower bound is certain.
        #expect(summary.elapsed >= .milliseconds(200))
        try await server.receivedParts(jobID: Self.jobID).expectExactlyOnce(parts)
    }
}
