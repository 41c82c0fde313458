import Foundation
import LogsCore
import LogsHTTP

/// A `LogsAPI` on an in-memory pipeline, served on a loopback port the kernel picks.
///
/// Requests go through real sockets on a dedicated thread, so the blocking client never runs on
/// the cooperative pool that the server's handlers need.
final class APITestServer: Sendable {
    static let authToken = "very-secret"
    static let pusherKey = "pusher-key"
    static let pusherSecret = "pusher-secret"

    let pipeline: Pipeline
    let server: HTTPServer
    let logs: RecordingLogHandler
    private let clientThread = ThreadExecutor(name: "http-test-client")

    var port: UInt16 { UInt16(server.port) }
    var store: InMemoryPartStore { pipeline.store as! InMemoryPartStore }
    var queue: InMemoryJobQueue { pipeline.queue as! InMemoryJobQueue }
    var liveStream: InMemoryLiveStream { pipeline.liveStream as! InMemoryLiveStream }

    init(
        authToken: String? = APITestServer.authToken, publicKey: Bool = true, clock: any LogsClock = SystemClock(),
        configure: (inout LogsConfiguration) -> Void = { _ in },
        liveEvents: (Pipeline) -> (any LiveEventSource)? = { _ in nil },
        adjustPipeline: (inout Pipeline) -> Void = { _ in },
        settings: LogsAPI.Settings = LogsAPI.Settings(),
        server serverConfiguration: HTTPServerConfiguration = HTTPServerConfiguration()
    ) throws {
        var configuration = LogsConfiguration.defaults
        configuration.authToken = authToken
        if publicKey { configuration.jwtRSAPublicKey = try Fixtures.publicKeyPEM() }
        configuration.pusher.key = Self.pusherKey
        configuration.pusher.secret = Self.pusherSecret
        configure(&configuration)
        let logs = RecordingLogHandler()
        self.logs = logs
        let logger = Logger(label: "test") { _ in logs }
        var pipeline = Pipeline.inMemory(configuration: configuration, clock: clock, logger: logger)
        adjustPipeline(&pipeline)
        self.pipeline = pipeline
        let api = try LogsAPI.configured(pipeline: pipeline, liveEvents: liveEvents(pipeline), settings: settings)
        var serverSettings = serverConfiguration
        serverSettings.port = 0
        serverSettings.bindAddress = "127.0.0.1"
        serverSettings.threadCount = 2
        server = HTTPServer(
            router: api.makeRouter(), configuration: serverSettings, logger: logger, metrics: pipeline.metrics)
        try server.start()
    }

    deinit {
        clientThread.shutdown()
    }

    /// Sends a request; `token` adds `Authorization: token <AUTH_TOKEN>`.
    func send(
        _ method: String, _ path: String, token: Bool = false, headers: [String: String] = [:], body: Data = Data()
    ) async throws -> TestResponse {
        var allHeaders = headers
        if token { allHeaders["Authorization"] = "token \(Self.authToken)" }
        let port = self.port
        let finalHeaders = allHeaders
        return try await clientThread.run {
            try LoopbackHTTPClient.request(method, path, port: port, headers: finalHeaders, body: body)
        }
    }

    func send(_ method: String, _ path: String, token: Bool = false, json: Any) async throws -> TestResponse {
        let body = try JSONSerialization.data(withJSONObject: json)
        return try await send(method, path, token: token, headers: ["Content-Type": "application/json"], body: body)
    }

    /// Runs blocking socket code on the client thread.
    func onClientThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await clientThread.run(body)
    }

    func stop() async {
        await server.shutdown()
    }
}

/// The committed JWT fixtures that `Fixtures/make_tokens.py` wrote with PyJWT.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures")

    static func publicKeyPEM() throws -> String {
        try String(contentsOf: directory.appendingPathComponent("jwt_public_key.pem"), encoding: .utf8)
    }

    static func token(_ name: String) throws -> String {
        let data = try Data(contentsOf: directory.appendingPathComponent("tokens.json"))
        let tokens = try JSONSerialization.jsonObject(with: data) as! [String: String]
        guard let token = tokens[name] else { throw FixtureError(name: name) }
        return token
    }

    struct FixtureError: Error, CustomStringConvertible {
        let name: String
        var description: String { "tokens.json has no token named \(name); rerun Fixtures/make_tokens.py" }
    }
}
