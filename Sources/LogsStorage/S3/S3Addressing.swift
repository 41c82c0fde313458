import Foundation
import LogsCore

/// The request target of each object in one bucket: its URL and `Host` header.
///
/// With an endpoint (an S3-compatible server), requests are path-style: `<endpoint>/<bucket>/<key>`.
/// Without one, they go to AWS over https, virtual-hosted-style (`<bucket>.s3.<region>.amazonaws.com`)
/// when the bucket name is a valid DNS label without dots, else path-style on
/// `s3.<region>.amazonaws.com`. A name with dots, such as the original's `archive.travis-ci.org`,
/// would not match the wildcard TLS certificate as a host name; AWS's SDKs fall back the same way.
struct S3Addressing: Sendable, Equatable {
    /// `https` or `http`.
    var scheme: String
    /// The `Host` header value: the host name, plus `:port` when it is not the scheme's default.
    var host: String
    /// The percent-encoded path in front of every key, such as `/bucket`, or empty.
    var pathPrefix: String

    init(settings: LogsConfiguration.S3) throws {
        let bucket = settings.bucketName
        guard !bucket.isEmpty else {
            throw S3Error(
                code: .invalidConfiguration, operation: "configure", key: "",
                message: "no bucket; set TRAVIS_LOG_OPTIONS_S3_BUCKET or TRAVIS_S3_HOSTNAME")
        }
        if let endpoint = settings.endpoint {
            try self.init(endpoint: endpoint, bucket: bucket)
        } else if Self.isVirtualHostCompatible(bucket) {
            self.init(scheme: "https", host: "\(bucket).s3.\(settings.region).amazonaws.com", pathPrefix: "")
        } else {
            self.init(
                scheme: "https", host: "s3.\(settings.region).amazonaws.com",
                pathPrefix: "/" + S3RequestSigner.encodePath(bucket))
        }
    }

    init(scheme: String, host: String, pathPrefix: String) {
        self.scheme = scheme
        self.host = host
        self.pathPrefix = pathPrefix
    }

    private init(endpoint: URL, bucket: String) throws {
        guard let components = URLComponents(url: endpoint, resolvingAgainstBaseURL: false),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let hostName = components.host, !hostName.isEmpty
        else {
            throw S3Error(
                code: .invalidConfiguration, operation: "configure", key: "",
                message: "TRAVIS_S3_ENDPOINT \(endpoint) is not an absolute http or https URL")
        }
        let defaultPort = scheme == "https" ? 443 : 80
        var host = hostName.contains(":") ? "[\(hostName)]" : hostName
        if let port = components.port, port != defaultPort {
            host += ":\(port)"
        }
        var basePath = components.percentEncodedPath
        while basePath.hasSuffix("/") { basePath.removeLast() }
        self.init(scheme: scheme, host: host, pathPrefix: basePath + "/" + S3RequestSigner.encodePath(bucket))
    }

    /// Returns the percent-encoded request path of an object key.
    func path(forKey key: String) -> String {
        pathPrefix + "/" + S3RequestSigner.encodePath(key)
    }

    func url(forKey key: String) -> String {
        "\(scheme)://\(host)\(path(forKey: key))"
    }

    /// Returns whether `bucket` can be a host name label under an AWS wildcard certificate: 3 to 63 lower-case
    /// letters, digits and hyphens, starting and ending with a letter or digit.
    static func isVirtualHostCompatible(_ bucket: String) -> Bool {
        let bytes = Array(bucket.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard isAlphanumeric(bytes.first!), isAlphanumeric(bytes.last!) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }
}
