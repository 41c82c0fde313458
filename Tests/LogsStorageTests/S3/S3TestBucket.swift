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
        try await Boto3Bucket.create(settings.bucketName)
        do {
            try await body(bucket)
        } catch {
            try? await Boto3Bucket.delete(settings.bucketName)
            throw error
        }
        try await Boto3Bucket.delete(settings.bucketName)
    }

    /// Returns the object's `Content-Type` as boto3 reads it.
    func contentType(ofKey key: String) async throws -> String {
        try await Boto3Bucket.contentType(settings.bucketName, key: key)
    }

    /// Overwrites an object with boto3, bypassing the archive.
    func putObject(key: String, content: Data) async throws {
        try await Boto3Bucket.putObject(settings.bucketName, key: key, content: content)
    }
}
