import CurlClient
import Foundation

/// AWS Signature Version 4 for S3 requests, with the payload hash sent in `x-amz-content-sha256`.
///
/// libcurl 7.88's `CURLOPT_AWS_SIGV4` does not send `x-amz-content-sha256`, which S3 requires, so
/// the signature is computed here. The canonical request follows AWS's S3 rules: the path is used as
/// sent (already percent-encoded, not normalized), header values are trimmed with inner runs of
/// spaces collapsed, and the signed headers are every header given plus `host`,
/// `x-amz-content-sha256` and `x-amz-date`.
struct S3RequestSigner: Sendable {
    var accessKeyID: String
    var secretAccessKey: String
    var region: String
    var service = "s3"

    /// The SHA-256 of an empty body, which HEAD and GET requests sign.
    static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Returns `headers` with `Host`, `x-amz-date`, `x-amz-content-sha256` and `Authorization` added.
    ///
    /// - Parameters:
    ///   - path: The percent-encoded path, such as `/bucket/jobs/1/log.txt`.
    ///   - query: The query string without `?`, or empty. Its pairs must already be percent-encoded.
    ///   - host: The `Host` header value: the host name, plus `:port` when the port is not the
    ///     scheme's default.
    func sign(
        method: String, host: String, path: String, query: String = "", headers: [(name: String, value: String)],
        payloadHash: String, date: Date
    ) -> [(name: String, value: String)] {
        let timestamp = Self.timestamp(date)
        var signed = headers
        signed.append((name: "Host", value: host))
        signed.append((name: "x-amz-date", value: timestamp))
        signed.append((name: "x-amz-content-sha256", value: payloadHash))

        let canonical = canonicalHeaders(signed)
        let canonicalRequest = [
            method, path, canonicalQuery(query), canonical.lines + "\n", canonical.names, payloadHash,
        ].joined(separator: "\n")
        let day = String(timestamp.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", timestamp, scope, Digest.hex(Digest.sha256(Data(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        let signature = Digest.hex(Digest.hmacSHA256(key: signingKey(day: day), message: Data(stringToSign.utf8)))

        signed.append(
            (
                name: "Authorization",
                value: "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=\(canonical.names), "
                    + "Signature=\(signature)"
            ))
        return signed
    }

    /// Derives the key for one day, region and service from the secret.
    private func signingKey(day: String) -> [UInt8] {
        var key = Digest.hmacSHA256(key: Data("AWS4\(secretAccessKey)".utf8), message: Data(day.utf8))
        for part in [region, service, "aws4_request"] {
            key = Digest.hmacSHA256(key: key, message: Data(part.utf8))
        }
        return key
    }

    /// Returns the canonical header lines and the `;`-joined signed header names. Fields with the same
    /// name are joined with commas in the order given.
    private func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (lines: String, names: String) {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let trimmed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            values[name.lowercased(), default: []].append(trimmed)
        }
        let names = values.keys.sorted()
        let lines = names.map { "\($0):\(values[$0]!.joined(separator: ","))" }.joined(separator: "\n")
        return (lines, names.joined(separator: ";"))
    }

    /// Sorts the query's pairs by name, then value.
    private func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        let pairs = query.split(separator: "&").map { pair -> (String, String) in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        return pairs.sorted { $0 < $1 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Formats `date` as `yyyyMMdd'T'HHmmss'Z'` in UTC.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(parts.year, 4) + pad(parts.month, 2) + pad(parts.day, 2) + "T" + pad(parts.hour, 2)
            + pad(parts.minute, 2) + pad(parts.second, 2) + "Z"
    }

    /// Percent-encodes a path or key for S3: every byte except `A-Z a-z 0-9 - . _ ~` and `/`.
    static func encodePath(_ path: String) -> String {
        var encoded = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"), UInt8(ascii: "/"):
                encoded.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                encoded += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return encoded
    }
}
