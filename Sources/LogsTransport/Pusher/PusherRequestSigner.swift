import CurlClient
import Foundation
import LogsCore

/// Pusher's HTTP API request signature, version 1.0.
///
/// The string to sign is `<METHOD>\n<path>\n<query>`, where the query contains `auth_key`,
/// `auth_timestamp`, `auth_version=1.0` and `body_md5` sorted by name and not percent-encoded. The
/// signature is the hex HMAC-SHA256 of that string under the app secret, sent as `auth_signature`.
struct PusherRequestSigner: Sendable {
    var key: String
    var secret: String

    /// Returns the signed query string, with `auth_signature` among the other parameters in name order,
    /// as Pusher's libraries send it.
    ///
    /// - Parameter timestamp: Seconds since 1970; Pusher rejects timestamps more than 600 s off.
    func signedQuery(method: String, path: String, body: Data, timestamp: Int64) -> String {
        var parameters = [
            ("auth_key", key),
            ("auth_timestamp", String(timestamp)),
            ("auth_version", "1.0"),
            ("body_md5", MD5.hexDigest(of: body)),
        ]
        let stringToSign = [method, path, Self.query(parameters)].joined(separator: "\n")
        let signature = Digest.hex(Digest.hmacSHA256(key: Data(secret.utf8), message: Data(stringToSign.utf8)))
        parameters.append(("auth_signature", signature))
        return Self.query(parameters)
    }

    private static func query(_ parameters: [(String, String)]) -> String {
        parameters.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }
}
