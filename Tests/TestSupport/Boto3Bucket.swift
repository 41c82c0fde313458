import Foundation

/// Bucket and object calls made with boto3 on the S3 server of `TRAVIS_S3_ENDPOINT`, so that what
/// the archive under test wrote is checked by another S3 client.
public enum Boto3Bucket {
    public static func create(_ bucket: String) async throws {
        _ = try await run("create", bucket)
    }

    /// Deletes every object of the bucket, then the bucket.
    public static func delete(_ bucket: String) async throws {
        _ = try await run("delete", bucket)
    }

    /// Writes an object directly, bypassing the archive, as a faulty S3 or an operator might.
    public static func putObject(_ bucket: String, key: String, content: Data) async throws {
        _ = try await run("put", bucket, key, input: content)
    }

    /// Returns the object's `Content-Type` as boto3 reads it.
    public static func contentType(_ bucket: String, key: String) async throws -> String {
        let output = try await run("content-type", bucket, key)
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func run(_ action: String, _ bucket: String, _ key: String = "", input: Data = Data())
        async throws -> Data
    {
        try await PythonProcess.run(script, arguments: [action, bucket, key], input: input)
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
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    s3.delete_object(Bucket=bucket, Key=item["Key"])
            s3.delete_bucket(Bucket=bucket)
        elif action == "content-type":
            print(s3.head_object(Bucket=bucket, Key=key)["ContentType"])
        elif action == "put":
            s3.put_object(Bucket=bucket, Key=key, Body=sys.stdin.buffer.read(), ContentType="text/plain")
        """#
}
