import Foundation
import LogsCore
import TestSupport

/// A throwaway bucket on the S3 server that `script/services/seaweedfs` starts, made and removed
/// with boto3 so the archive under test is checked by another client.
struct S3TestBucket {
    /// The settings of the archive under test, pointing at the throwaway bucket.
    let settings: LogsConfiguration.S3

    /// Whether the S3 variables and the Python oracle are available, or the run is under CI.
    static var isAvailable: Bool {
        TestEnvironment.shouldRun(
            needing: "TRAVIS_S3_ENDPOINT", "TRAVIS_S3_ACCESS_KEY_ID", "TRAVIS_S3_SECRET_ACCESS_KEY", "LOGS_TEST_PYTHON")
    }

    /// Creates a bucket with a unique name, runs `body` with its settings, and deletes the bucket and
    /// its objects, also when `body` throws.
    static func with(_ body: (S3TestBucket) async throws -> Void) async throws {
        _ = try TestEnvironment.require("TRAVIS_S3_ENDPOINT")
        let configuration = try LogsConfiguration(environment: ProcessInfo.processInfo.environment)
        var settings = configuration.s3
        settings.bucket = "travis-logs-test-" + UUID().uuidString.lowercased().prefix(13)
        let bucket = S3TestBucket(settings: settings)
        try await bucket.boto3("create")
        do {
            try await body(bucket)
        } catch {
            _ = try? await bucket.boto3("delete")
            throw error
        }
        try await bucket.boto3("delete")
    }

    /// Returns the object's `Content-Type` as boto3 reads it.
    func contentType(ofKey key: String) async throws -> String {
        String(decoding: try await boto3("content-type", key), as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    /// Overwrites an object with boto3, bypassing the archive.
    func putObject(key: String, content: Data) async throws {
        try await boto3("put", key, input: content)
    }

    @discardableResult
    private func boto3(_ action: String, _ key: String = "", input: Data = Data()) async throws -> Data {
        try await PythonProcess.run(Self.script, arguments: [action, settings.bucketName, key], input: input)
    }

    private static let script = #"""
        import os, sys
        import boto3
        from botocore.config import Config

        action, bucket, key = sys.argv[1:4]
        s3 = boto3.client(
            "s3", endpoint_url=os.environ["TRAVIS_S3_ENDPOINT"],
            aws_access_key_id=os.environ["TRAVIS_S3_ACCESS_KEY_ID"],
            aws_secret_access_key=os.environ["TRAVIS_S3_SECRET_ACCESS_KEY"],
            region_name=os.environ.get("TRAVIS_S3_REGION", "us-east-1"),
            config=Config(s3={"addressing_style": "path"}))
        if action == "create":
            s3.create_bucket(Bucket=bucket)
        elif action == "delete":
            for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=item["Key"])
            s3.delete_bucket(Bucket=bucket)
        elif action == "content-type":
            print(s3.head_object(Bucket=bucket, Key=key)["ContentType"])
        elif action == "put":
            s3.put_object(Bucket=bucket, Key=key, Body=sys.stdin.buffer.read(), ContentType="text/plain")
        """#
}
