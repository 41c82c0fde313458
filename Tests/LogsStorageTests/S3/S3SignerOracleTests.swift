import CurlClient
import Foundation
import LogsCore
import TestSupport
import Testing

@testable import LogsStorage

@Suite(
    "S3 signature against botocore",
    .enabled(if: TestEnvironment.shouldRun(needing: "LOGS_TEST_PYTHON"), "LOGS_TEST_PYTHON is not set")
)
struct S3SignerOracleTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var settings: LogsConfiguration.S3
        var method: String
        var headers: [(name: String, value: String)]
        var body: Data?

        var testDescription: String { name }
    }

    static let fixedDate = Date(timeIntervalSince1970: 1_796_300_000)

    static let cases: [Case] = [
        Case(
            name: "PUT path-style with ACL", settings: settings(endpoint: "http://127.0.0.1:8333", bucket: "logs"),
            method: "PUT",
            headers: [
                ("Content-Type", "text/plain"), ("Content-MD5", "XUFAKrxLKna5cZ2REBfFkg=="),
                ("x-amz-acl", "public-read"),
            ],
            body: Data("hello\n\u{1B}[32mgreen\u{1B}[0m\r\n".utf8)),
        Case(
            name: "HEAD virtual-hosted",
            settings: settings(endpoint: nil, bucket: "travis-archive", region: "eu-west-1"),
            method: "HEAD", headers: [], body: nil),
        Case(
            name: "GET path-style dotted bucket", settings: settings(endpoint: nil, bucket: "archive.travis-ci.org"),
            method: "GET", headers: [], body: nil),
        Case(
            name: "PUT endpoint with path and port",
            settings: settings(endpoint: "https://storage.example.com:9443/s3/", bucket: "b"), method: "PUT",
            headers: [("Content-Type", "text/plain"), ("X-Amz-Meta-Note", "  two   spaces ")],
            body: Data(repeating: 0x41, count: 70_000)),
    ]

    @Test("signature matches botocore", arguments: cases)
    func signatureMatchesBotocore(_ testCase: Case) async throws {
        let addressing = try S3Addressing(settings: testCase.settings)
        let key = ArchiveKey.key(for: JobID(1_234_567))
        let signer = S3RequestSigner(
            accessKeyID: testCase.settings.accessKeyID, secretAccessKey: testCase.settings.secretAccessKey,
            region: testCase.settings.region)
        let payloadHash = testCase.body.map { Digest.hex(Digest.sha256($0)) } ?? S3RequestSigner.emptyPayloadHash

        let signed = signer.sign(
            method: testCase.method, host: addressing.host, path: addressing.path(forKey: key),
            headers: testCase.headers, payloadHash: payloadHash, date: Self.fixedDate)
        let expected = try await botocoreHeaders(for: testCase, url: addressing.url(forKey: key))

        #expect(value("Authorization", in: signed) == expected["Authorization"])
        #expect(value("x-amz-date", in: signed) == expected["X-Amz-Date"])
        #expect(value("x-amz-content-sha256", in: signed) == expected["X-Amz-Content-SHA256"])
        #expect(value("x-amz-date", in: signed) == "20261203T121320Z")
    }

    @Test("addressing by settings")
    func addressingBySettings() throws {
        let key = "jobs/1/log.txt"

        let endpoint = try S3Addressing(settings: Self.settings(endpoint: "http://127.0.0.1:8333", bucket: "logs"))
        let virtualHost = try S3Addressing(settings: Self.settings(endpoint: nil, bucket: "logs-archive"))
        let dotted = try S3Addressing(settings: Self.settings(endpoint: nil, bucket: "archive.travis-ci.org"))
        let defaultPort = try S3Addressing(settings: Self.settings(endpoint: "https://minio.local:443", bucket: "b"))

        #expect(endpoint.url(forKey: key) == "http://127.0.0.1:8333/logs/jobs/1/log.txt")
        #expect(endpoint.host == "127.0.0.1:8333")
        #expect(virtualHost.url(forKey: key) == "https://logs-archive.s3.us-east-1.amazonaws.com/jobs/1/log.txt")
        #expect(dotted.url(forKey: key) == "https://s3.us-east-1.amazonaws.com/archive.travis-ci.org/jobs/1/log.txt")
        #expect(defaultPort.host == "minio.local")
    }

    @Test("missing bucket is invalid configuration")
    func missingBucket() throws {
        let error = try #require(throws: S3Error.self) {
            try S3Addressing(settings: Self.settings(endpoint: nil, bucket: ""))
        }
        #expect(error.code == .invalidConfiguration)
    }

    @Test(
        "ETag parsing",
        arguments: [
            ("\"5d41402abc4b2a76b9719d911017c592\"", "5d41402abc4b2a76b9719d911017c592"),
            ("5d41402abc4b2a76b9719d911017c592", "5d41402abc4b2a76b9719d911017c592"),
            ("\"5d41402abc4b2a76b9719d911017c592-2\"", nil),
            ("W/\"5d41402abc4b2a76b9719d911017c592\"", nil),
            ("\"zz41402abc4b2a76b9719d911017c592\"", nil),
        ])
    func etagParsing(etag: String, expectedHex: String?) {
        #expect(S3Archive.md5(fromETag: etag).map(MD5.hex) == expectedHex)
    }

    @Test(
        "error status parsing and retry classes",
        arguments: [(500, true), (503, true), (429, true), (403, false), (400, false), (404, false)])
    func errorStatusParsing(status: Int, isTransient: Bool) {
        let body =
            "<?xml version=\"1.0\"?><Error><Code>SomeCode</Code><Message>Some message.</Message>"
            + "<RequestId>ABC</RequestId></Error>"
        let response = HTTPResponse(status: status, headers: [], body: Data(body.utf8))

        let error = S3Error(response: response, operation: "PUT", key: "jobs/1/log.txt")

        #expect(error.httpStatus == status)
        #expect(error.serviceCode == "SomeCode")
        #expect(error.message == "Some message.")
        #expect(error.requestID == "ABC")
        #expect(error.isTransient == isTransient)
        #expect(error.description == "S3 PUT jobs/1/log.txt failed: \(status) SomeCode: Some message. (request id ABC)")
    }

    @Test("backoff grows, has jitter and is capped")
    func backoffGrowsAndIsCapped() {
        let policy = S3Archive.RetryPolicy(
            attempts: 10, initialBackoff: .milliseconds(100), maximumBackoff: .seconds(1))

        for _ in 0..<50 {
            let first = policy.backoff(afterAttempt: 1)
            let third = policy.backoff(afterAttempt: 3)
            let tenth = policy.backoff(afterAttempt: 10)
            #expect(first >= .milliseconds(50))
            #expect(first <= .milliseconds(100))
            #expect(third >= .milliseconds(200))
            #expect(third <= .milliseconds(400))
            #expect(tenth >= .milliseconds(500))
            #expect(tenth <= .seconds(1))
        }
    }

    static func settings(
        endpoint: String?, bucket: String, region: String = "us-east-1"
    ) -> LogsConfiguration.S3 {
        var settings = LogsConfiguration.S3()
        settings.accessKeyID = "AKIDEXAMPLE"
        settings.secretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        settings.bucket = bucket
        settings.region = region
        settings.endpoint = endpoint.flatMap(URL.init(string:))
        return settings
    }

    private func value(_ name: String, in headers: [(name: String, value: String)]) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Returns the headers botocore's S3 signer adds for the same request, credentials and date.
    private func botocoreHeaders(for testCase: Case, url: String) async throws -> [String: String] {
        let input: [String: Any] = [
            "method": testCase.method, "url": url, "headers": testCase.headers.map { [$0.name, $0.value] },
            "body": testCase.body.map { Digest.hex($0) } ?? "", "has_body": testCase.body != nil,
            "access": testCase.settings.accessKeyID, "secret": testCase.settings.secretAccessKey,
            "region": testCase.settings.region, "time": Self.fixedDate.timeIntervalSince1970,
        ]
        let output = try await PythonProcess.run(
            Self.botocoreScript, input: try JSONSerialization.data(withJSONObject: input))
        return try JSONDecoder().decode([String: String].self, from: output)
    }

    private static let botocoreScript = #"""
        import datetime, json, sys
        from unittest import mock
        import botocore.auth
        from botocore.awsrequest import AWSRequest
        from botocore.config import Config
        from botocore.credentials import Credentials

        case = json.load(sys.stdin)
        request = AWSRequest(
            method=case["method"], url=case["url"], headers=dict(case["headers"]),
            data=bytes.fromhex(case["body"]) if case["has_body"] else None)
        # Sign the payload over https too, as the archive does, instead of sending UNSIGNED-PAYLOAD.
        request.context["client_config"] = Config(s3={"payload_signing_enabled": True})
        signer = botocore.auth.S3SigV4Auth(Credentials(case["access"], case["secret"]), "s3", case["region"])
        frozen = datetime.datetime.fromtimestamp(case["time"], datetime.timezone.utc).replace(tzinfo=None)
        with mock.patch("botocore.auth.get_current_datetime", return_value=frozen):
            signer.add_auth(request)
        print(json.dumps(dict(request.headers.items())))
        """#
}
