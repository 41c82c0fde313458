import Foundation
import LogsCore
import TestSupport
import Testing

@testable import LogsTransport

@Suite(
    "Pusher signatures against the pusher library",
    .enabled(if: TestEnvironment.shouldRun(needing: "LOGS_TEST_PYTHON"), "LOGS_TEST_PYTHON is not set")
)
struct PusherOracleTests {
    static let timestamp: Int64 = 1_796_300_000
    static let signer = PusherRequestSigner(key: "278d425bdf160c739803", secret: "7ad3773142a6692b25b8")

    static let events: [LogPartEvent] = [
        LogPartEvent(channel: "job-1", jobID: JobID(1), content: "plain\n", number: 1, isFinal: false),
        LogPartEvent(
            channel: "private-job-2", jobID: JobID(2), content: "\u{1B}[31mcaf\u{E9} \u{2713} \"q\"\r\n", number: 2,
            isFinal: true),
        LogPartEvent(channel: "job-3", jobID: JobID(3), content: "", number: 2_147_483_647, isFinal: true),
    ]

    @Test("trigger query matches the library", arguments: 0..<3)
    func triggerQueryMatches(index: Int) async throws {
        let event = Self.events[index]
        let oracle = try await library(
            "trigger", ["channel": event.channel, "data": String(decoding: event.data(), as: UTF8.self)])
        let (path, body) = PusherBroadcaster.request(for: [event], appID: "3")

        let query = Self.signer.signedQuery(
            method: "POST", path: oracle.path, body: oracle.body, timestamp: Self.timestamp)

        #expect(query == oracle.query)
        #expect(path == oracle.path)
        #expect(try JSONValue(parsing: body) == (try JSONValue(parsing: oracle.body)))
    }

    @Test("batch query matches the library")
    func batchQueryMatches() async throws {
        let batch = Self.events.map { event in
            ["channel": event.channel, "name": "job:log", "data": String(decoding: event.data(), as: UTF8.self)]
        }
        let oracle = try await library("trigger_batch", ["batch": batch])
        let (path, body) = PusherBroadcaster.request(for: Self.events[...], appID: "3")

        let query = Self.signer.signedQuery(
            method: "POST", path: oracle.path, body: oracle.body, timestamp: Self.timestamp)

        #expect(query == oracle.query)
        #expect(path == oracle.path)
        #expect(try JSONValue(parsing: body) == (try JSONValue(parsing: oracle.body)))
    }

    @Test("own body signs like the library's")
    func ownBodySigns() async throws {
        let (path, body) = PusherBroadcaster.request(for: Self.events[1...1], appID: "3")
        let oracle = try await library("sign_body", ["path": path, "body": Data(body).base64EncodedString()])

        let query = Self.signer.signedQuery(method: "POST", path: path, body: body, timestamp: Self.timestamp)

        #expect(query == oracle.query)
    }

    private struct Oracle {
        var path: String
        var body: Data
        var query: String
    }

    /// Builds the request with the `pusher` library at the fixed time and returns its path, body and
    /// signed query string.
    private func library(_ action: String, _ arguments: [String: Any]) async throws -> Oracle {
        let input = try JSONSerialization.data(withJSONObject: ["action": action, "arguments": arguments])
        let output = try await PythonProcess.run(
            Self.script, arguments: [String(Self.timestamp)], input: input)
        let json = try JSONValue(parsing: output)
        return Oracle(
            path: json["path"]?.stringValue ?? "",
            body: Data(base64Encoded: json["body"]?.stringValue ?? "") ?? Data(),
            query: json["query"]?.stringValue ?? "")
    }

    private static let script = #"""
        import base64, json, sys
        from unittest import mock
        import pusher
        from pusher.http import Request

        timestamp = float(sys.argv[1])
        spec = json.load(sys.stdin)
        arguments = spec["arguments"]
        client = pusher.Pusher(app_id="3", key="278d425bdf160c739803", secret="7ad3773142a6692b25b8")
        inner = client._pusher_client
        with mock.patch("time.time", return_value=timestamp):
            if spec["action"] == "trigger":
                request = inner.trigger.make_request([arguments["channel"]], "job:log", arguments["data"])
            elif spec["action"] == "trigger_batch":
                request = inner.trigger_batch.make_request(arguments["batch"])
            else:
                request = Request(inner, "POST", arguments["path"], {})
                request.body = base64.b64decode(arguments["body"])
                request.query_params = {}
                request._generate_auth()
        print(json.dumps({
            "path": request.path,
            "body": base64.b64encode(request.body).decode(),
            "query": request.query_string,
        }))
        """#
}
