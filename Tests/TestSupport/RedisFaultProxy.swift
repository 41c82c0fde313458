import Foundation
import LogsCore

/// A TCP proxy on 127.0.0.1 in front of a Redis server that drops or delays chosen replies.
///
/// Each rule watches the bytes that clients write. A write that contains all of the rule's markers,
/// such as a command name and a key, arms the rule for that connection. The next reply from Redis on
/// that connection then gets the fault. `dropReply` closes the connection instead of forwarding the
/// reply, so Redis has run the commands but the client never learns their result. `dropRequest`
/// closes the connection instead of forwarding the write itself, so Redis never receives it. `delayReply`
/// forwards the reply after the given duration. A rule skips its first `skip` matching writes and
/// then applies to `count` writes. With a `probability` below 1, each matching write after the
/// skipped ones arms the rule only with that probability. The rules are fixed when the proxy starts.
public final class RedisFaultProxy: Sendable {
    public enum Fault: Sendable {
        case dropReply
        case dropRequest
        case delayReply(Duration)
    }

    public struct Rule: Sendable {
        public var markers: [String]
        public var fault: Fault
        public var skip: Int
        public var count: Int
        /// The chance, from 0 to 1, that a matching write arms the rule.
        public var probability: Double

        public init(markers: [String], fault: Fault, skip: Int = 0, count: Int = 1, probability: Double = 1) {
            self.markers = markers
            self.fault = fault
            self.skip = skip
            self.count = count
            self.probability = probability
        }
    }

    private let server: LocalPythonServer
    private let database: String
    /// The file to which the proxy appends a rule's index each time a write arms it.
    private let armingLog: URL

    /// Starts the proxy in front of the Redis server at `upstream`, a `redis://` URL.
    ///
    /// - Throws: `PythonError` when the interpreter is missing or the proxy does not start.
    public init(upstream: URL, rules: [Rule]) async throws {
        let specifications = rules.map { rule -> JSONValue in
            var specification: [String: JSONValue] = [
                "markers": .array(rule.markers.map(JSONValue.string)),
                "skip": .integer(Int64(rule.skip)), "count": .integer(Int64(rule.count)),
                "probability": .double(rule.probability),
            ]
            switch rule.fault {
            case .dropReply:
                specification["fault"] = "drop"
                specification["seconds"] = .double(0)
            case .dropRequest:
                specification["fault"] = "drop_request"
                specification["seconds"] = .double(0)
            case .delayReply(let delay):
                specification["fault"] = "delay"
                specification["seconds"] = .double(delay.timeInterval)
            }
            return .object(specification)
        }
        let armingLog = FileManager.default.temporaryDirectory.appendingPathComponent(
            "redis-fault-proxy-\(UUID().uuidString).log")
        server = try await LocalPythonServer.start(
            script: Self.script,
            arguments: [
                upstream.host ?? "127.0.0.1", "\(upstream.port ?? 6379)", JSONValue.array(specifications).jsonString(),
                armingLog.path,
            ])
        database = upstream.path
        self.armingLog = armingLog
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(at: armingLog)
    }

    /// Returns how many writes have armed the rule at `index` of the rules given to `init`. Once a
    /// write has armed it, the write is on its way to Redis.
    public func armedCount(ofRule index: Int) -> Int {
        guard let text = try? String(contentsOf: armingLog, encoding: .utf8) else { return 0 }
        return text.split(separator: "\n").filter { $0 == "\(index)" }.count
    }

    /// The URL to give clients instead of the Redis server's, with the same database number.
    public var url: String {
        "redis://127.0.0.1:\(server.port)\(database)"
    }

    private static let script = #"""
        import json, random, socket, sys, threading, time

        upstream = (sys.argv[1], int(sys.argv[2]))
        rules = json.loads(sys.argv[3])
        arming_log = sys.argv[4]
        lock = threading.Lock()

        def take_rule(data):
            with lock:
                for index, rule in enumerate(rules):
                    if rule["count"] <= 0 or not all(m.encode() in data for m in rule["markers"]):
                        continue
                    if rule["skip"] > 0:
                        rule["skip"] -= 1
                        continue
                    if random.random() >= rule["probability"]:
                        continue
                    rule["count"] -= 1
                    with open(arming_log, "a") as log:
                        log.write("%d\n" % index)
                    return rule
            return None

        def shut(*sockets):
            for s in sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        def serve(client):
            try:
                server = socket.create_connection(upstream)
            except OSError:
                client.close()
                return
            # A client writes its next request only after it has read every reply to the previous
            # one, so the reply bytes that follow an armed write all belong to that write.
            armed = [None]

            def forward_requests():
                try:
                    while True:
                        data = client.recv(65536)
                        if not data:
                            break
                        rule = take_rule(data)
                        if rule and rule["fault"] == "drop_request":
                            break
                        if rule:
                            with lock:
                                armed[0] = rule
                        server.sendall(data)
                except OSError:
                    pass
                shut(client, server)

            def forward_replies():
                try:
                    while True:
                        data = server.recv(65536)
                        if not data:
                            break
                        with lock:
                            rule, armed[0] = armed[0], None
                        if rule and rule["fault"] == "drop":
                            break
                        if rule and rule["fault"] == "delay":
                            time.sleep(rule["seconds"])
                        client.sendall(data)
                except OSError:
                    pass
                shut(client, server)

            threading.Thread(target=forward_requests, daemon=True).start()
            threading.Thread(target=forward_replies, daemon=True).start()

        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        print(listener.getsockname()[1], flush=True)
        while True:
            connection, _ = listener.accept()
            serve(connection)
        """#
}
