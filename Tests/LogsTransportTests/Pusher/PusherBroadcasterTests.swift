import CurlClient
import Foundation
import LogsCore
import TestSupport
import Testing

@testable import LogsTransport

@Suite(
    "Pusher broadcaster against a local server",
    .enabled(if: TestEnvironment.shouldRun(needing: "LOGS_TEST_PYTHON"), "LOGS_TEST_PYTHON is not set")
)
struct PusherBroadcasterTests {
    let server: LocalPythonServer
    let recorder = RecordingLogHandler()
    let metrics = MetricsRegistry()

    init() async throws {
        server = try await PusherTestServer.start()
    }

    func makeBroadcaster(secret: String = PusherTestServer.secret) throws -> PusherBroadcaster {
        var settings = LogsConfiguration.Pusher()
        settings.appID = PusherTestServer.appID
        settings.key = PusherTestServer.key
        settings.secret = secret
        settings.scheme = "http"
        settings.host = "127.0.0.1"
        settings.port = server.port
        let recorder = self.recorder
        return try PusherBroadcaster(
            settings: settings, logger: Logger(label: "test") { _ in recorder }, metrics: metrics)
    }

    static func event(_ number: Int, content: String = "line\n") -> LogPartEvent {
        LogPartEvent(channel: "job-77", jobID: JobID(77), content: content, number: number, isFinal: false)
    }

    @Test("one event goes to events")
    func oneEvent() async throws {
        let event = Self.event(1, content: "\u{1B}[32mcaf\u{E9} \u{2713}\u{1B}[0m\r\n")

        try await makeBroadcaster().broadcast([event])

        let received = try await receivedRequests()
        try #require(received.count == 1)
        #expect(received[0].path == "/apps/4242/events")
        let body = received[0].body
        #expect(body["name"]?.stringValue == "job:log")
        #expect(body["channels"] == .array([.string("job-77")]))
        let data = try JSONValue(parsing: Data(try #require(body["data"]?.stringValue).utf8))
        #expect(data == (try JSONValue(parsing: event.data())))
    }

    @Test("25 events go in batches of 10")
    func batches() async throws {
        let events = (1...25).map { Self.event($0) }

        try await makeBroadcaster().broadcast(events)

        let received = try await receivedRequests()
        #expect(received.map(\.path) == Array(repeating: "/apps/4242/batch_events", count: 3))
        let batches = received.map { $0.body["batch"]?.arrayValue ?? [] }
        #expect(batches.map(\.count) == [10, 10, 5])
        let numbers = batches.joined().compactMap { entry -> Int64? in
            guard let data = entry["data"]?.stringValue else { return nil }
            return (try? JSONValue(parsing: Data(data.utf8)))?["number"]?.integerValue
        }
        #expect(numbers == Array(1...25))
        #expect(batches.joined().allSatisfy { $0["channel"]?.stringValue == "job-77" })
        #expect(batches.joined().allSatisfy { $0["name"]?.stringValue == "job:log" })
    }

    @Test("wrong secret gets 401")
    func wrongSecret() async throws {
        let broadcaster = try makeBroadcaster(secret: "other-secret")

        let error = try await #require(throws: PusherError.self) {
            try await broadcaster.broadcast([Self.event(1)])
        }

        #expect(error.code == .errorStatus)
        #expect(error.httpStatus == 401)
        #expect(error.message == "invalid signature")
        #expect(!error.description.contains("other-secret"))
    }

    @Test("failures are counted")
    func failuresAreCounted() async throws {
        let broadcaster = try makeBroadcaster()
        try await control(status: 500, count: 3)

        for number in 1...3 {
            await #expect(throws: PusherError.self) {
                try await broadcaster.broadcast([Self.event(number)])
            }
        }
        try await broadcaster.broadcast([Self.event(4)])

        let failures = metrics.counter("travis_logs_pusher_failures_total", labels: ["code": "error_status"])
        #expect(failures.value == 3)
        #expect(try await receivedRequests().count == 1)
        #expect(recorder.entries.filter { $0.level > .debug }.isEmpty)
    }

    @Test("LiveForwarder logs a Pusher outage once")
    func forwarderLogsOutageOnce() async throws {
        let broadcaster = try makeBroadcaster()
        let forwarderLog = RecordingLogHandler()
        let forwarder = LiveForwarder(
            pusher: broadcaster, liveStream: nil, presence: InMemoryChannelPresence(), checksExistence: false,
            usesPrivateChannels: false, logger: Logger(label: "test") { _ in forwarderLog }, metrics: metrics)
        try await control(status: 500, count: 3)

        for number in 1...4 {
            await forwarder.forward([RawLogPart(jobID: JobID(77), log: "part \(number)", number: .number(number))])
        }

        let errors = forwarderLog.entries.filter { $0.level == .error }
        let recoveries = forwarderLog.entries.filter { $0.level == .info }
        #expect(errors.count == 1)
        #expect(errors.first?.metadata["error"]?.description.contains("500") == true)
        #expect(recoveries.count == 1)
        #expect(recoveries.first?.metadata["failed_sends"]?.description == "3")
        #expect(try await receivedRequests().count == 1)
    }

    @Test("LiveForwarder counts Pusher failures without throwing")
    func forwarderCountsFailures() async throws {
        let broadcaster = try makeBroadcaster()
        try await control(status: 503, count: 1)
        let forwarder = LiveForwarder(
            pusher: broadcaster, liveStream: nil, presence: InMemoryChannelPresence(), checksExistence: false,
            usesPrivateChannels: false, logger: Logger(label: "test"), metrics: metrics)
        let part = RawLogPart(jobID: JobID(77), log: "hello", number: .number(1))

        await forwarder.forward([part])
        await forwarder.forward([part])

        let failed = metrics.counter(
            "travis_logs_live_events_total", labels: ["target": "pusher", "result": "failed"])
        let sent = metrics.counter("travis_logs_live_events_total", labels: ["target": "pusher", "result": "sent"])
        #expect(failed.value == 1)
        #expect(sent.value == 1)
    }

    @Test("refused connection is requestFailed")
    func refusedConnection() async throws {
        let broadcaster = try makeBroadcaster()
        server.stop()

        let error = try await #require(throws: PusherError.self) {
            try await broadcaster.broadcast([Self.event(1)])
        }

        #expect(error.code == .requestFailed)
        #expect(error.curlCode == 7)
    }

    private struct ReceivedRequest {
        var path: String
        var body: JSONValue
    }

    private func receivedRequests() async throws -> [ReceivedRequest] {
        let client = try CurlHTTPClient(name: "pusher-test")
        let response = try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/_received"))
        let list = try JSONValue(parsing: response.body).arrayValue ?? []
        return list.map { ReceivedRequest(path: $0["path"]?.stringValue ?? "", body: $0["body"] ?? .null) }
    }

    private func control(status: Int, count: Int) async throws {
        let client = try CurlHTTPClient(name: "pusher-test")
        let body = JSONValue.object(["status": .integer(Int64(status)), "count": .integer(Int64(count))]).jsonData()
        _ = try await client.execute(HTTPRequest(method: "POST", url: server.baseURL + "/_control", body: body))
    }
}
