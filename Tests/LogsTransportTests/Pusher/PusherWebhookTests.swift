import CurlClient
import Foundation
import LogsCore
import LogsTransport
import TestSupport
import Testing

@Suite(
    "Pusher webhook verification against the pusher library",
    .enabled(if: TestEnvironment.shouldRun(needing: "LOGS_TEST_PYTHON"), "LOGS_TEST_PYTHON is not set")
)
struct PusherWebhookTests {
    static let key = "webhook-key"
    static let secret = "webhook-secret"
    static let now = Date(timeIntervalSince1970: 1_796_300_000)
    static let nowMilliseconds: Int64 = 1_796_300_000_000

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var key: String?
        var signature: String?
        var body: String

        var testDescription: String { name }
    }

    static func body(timeMilliseconds: Int64?) -> String {
        let time = timeMilliseconds.map { "\"time_ms\":\($0)," } ?? ""
        return "{\(time)\"events\":[{\"name\":\"channel_occupied\",\"channel\":\"job-42\"},"
            + "{\"name\":\"channel_vacated\",\"channel\":\"private-job-7\"}]}"
    }

    static func sign(_ body: String, secret: String = secret) -> String {
        Digest.hex(Digest.hmacSHA256(key: Data(secret.utf8), message: Data(body.utf8)))
    }

    static let cases: [Case] = {
        let valid = body(timeMilliseconds: nowMilliseconds - 1_000)
        let old = body(timeMilliseconds: nowMilliseconds - 301_000)
        let edge = body(timeMilliseconds: nowMilliseconds - 299_000)
        let future = body(timeMilliseconds: nowMilliseconds + 301_000)
        let untimed = body(timeMilliseconds: nil)
        let notJSON = "time_ms=1"
        return [
            Case(name: "valid", key: key, signature: sign(valid), body: valid),
            Case(name: "299 s old", key: key, signature: sign(edge), body: edge),
            Case(name: "wrong key", key: "other-key", signature: sign(valid), body: valid),
            Case(name: "missing key", key: nil, signature: sign(valid), body: valid),
            Case(name: "wrong secret", key: key, signature: sign(valid, secret: "other"), body: valid),
            Case(name: "missing signature", key: key, signature: nil, body: valid),
            Case(name: "upper-case signature", key: key, signature: sign(valid).uppercased(), body: valid),
            Case(name: "body changed", key: key, signature: sign(valid), body: valid + " "),
            Case(name: "301 s old", key: key, signature: sign(old), body: old),
            Case(name: "301 s ahead", key: key, signature: sign(future), body: future),
            Case(name: "no time_ms", key: key, signature: sign(untimed), body: untimed),
            Case(name: "not JSON", key: key, signature: sign(notJSON), body: notJSON),
        ]
    }()

    @Test("verdict matches validate_webhook", arguments: cases)
    func verdictMatchesLibrary(_ testCase: Case) async throws {
        let verifier = PusherWebhookVerifier(key: Self.key, secret: Self.secret, clock: ManualClock(now: Self.now))

        let swiftResult = Result {
            try verifier.verify(key: testCase.key, signature: testCase.signature, body: Data(testCase.body.utf8))
        }
        let libraryAccepts = try await libraryValidates(testCase)

        let swiftAccepts = (try? swiftResult.get()) != nil
        #expect(swiftAccepts == libraryAccepts)
        if case .failure(let error) = swiftResult {
            #expect((error as? PusherError)?.code == .invalidWebhook)
        }
    }

    @Test("valid webhook returns its events")
    func validWebhookEvents() throws {
        let verifier = PusherWebhookVerifier(key: Self.key, secret: Self.secret, clock: ManualClock(now: Self.now))
        let body = Self.body(timeMilliseconds: Self.nowMilliseconds)

        let webhook = try verifier.verify(key: Self.key, signature: Self.sign(body), body: Data(body.utf8))

        #expect(webhook.timeMilliseconds == Self.nowMilliseconds)
        #expect(
            webhook.events == [
                PusherWebhook.Event(name: "channel_occupied", channel: "job-42"),
                PusherWebhook.Event(name: "channel_vacated", channel: "private-job-7"),
            ])
    }

    private func libraryValidates(_ testCase: Case) async throws -> Bool {
        let input: [String: Any] = [
            "key": testCase.key ?? "", "signature": testCase.signature ?? "", "body": testCase.body,
        ]
        let output = try await PythonProcess.run(
            Self.script, arguments: [String(Self.now.timeIntervalSince1970), Self.key, Self.secret],
            input: try JSONSerialization.data(withJSONObject: input))
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "valid"
    }

    private static let script = #"""
        import json, sys
        from unittest import mock
        import pusher

        now, key, secret = float(sys.argv[1]), sys.argv[2], sys.argv[3]
        case = json.load(sys.stdin)
        client = pusher.Pusher(app_id="1", key=key, secret=secret)
        with mock.patch("time.time", return_value=now):
            try:
                result = client.validate_webhook(case["key"], case["signature"], case["body"])
            except Exception:
                result = None
        print("valid" if result is not None else "invalid")
        """#
}
