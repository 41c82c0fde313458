import CurlClient
import Foundation
import LogsCore

/// Pusher's HTTP API request signature, version 1.0.
///
/// The string to sign is `<METHOD>\n<path>\n<query>`, where the query contains `auth_key`,
/// `auth_timestamp`, `auth_version=1.0` and `body_md5` sorted by name and not percent-encoded. The
/// signature is the hex HMAC-SHA256 of that string under the app secret, sent as `auth_signature`.
struct PusherRequestSigner: Sendable {
    let key: String
    private let secretKey: HMACSHA256Key

    init(key: String, secret: String) {
        self.key = key
        secretKey = HMACSHA256Key(Array(secret.utf8))
    }

    /// Returns the signed query string, with `auth_signature` among the other parameters in name order,
    /// as Pusher's libraries send it.
    ///
    /// The parameter names are fixed, so their sorted order is written out: `auth_key`,
    /// `auth_signature`, `auth_timestamp`, `auth_version`, `body_md5`.
    ///
    /// - Parameter timestamp: Seconds since 1970; Pusher rejects timestamps more than 600 s off.
    func signedQuery(method: String, path: String, body: Data, timestamp: Int64) -> String {
        // The parameters after auth_key, which the string to sign and the query share.
        var parameters: [UInt8] = []
        parameters.reserveCapacity(96)
        parameters.append(contentsOf: "&auth_timestamp=\(timestamp)&auth_version=1.0&body_md5=".utf8)
        Self.appendHex(Digest.md5(body), to: &parameters)

        var stringToSign: [UInt8] = []
        stringToSign.reserveCapacity(method.utf8.count + path.utf8.count + key.utf8.count + 128)
        stringToSign.append(contentsOf: method.utf8)
        stringToSign.append(UInt8(ascii: "\n"))
        stringToSign.append(contentsOf: path.utf8)
        stringToSign.append(contentsOf: "\nauth_key=".utf8)
        stringToSign.append(contentsOf: key.utf8)
        stringToSign.append(contentsOf: parameters)

        var query: [UInt8] = []
        query.reserveCapacity(key.utf8.count + 192)
        query.append(contentsOf: "auth_key=".utf8)
        query.append(contentsOf: key.utf8)
        query.append(contentsOf: "&auth_signature=".utf8)
        Self.appendHex(secretKey.authenticationCode(of: stringToSign), to: &query)
        query.append(contentsOf: parameters)
        return String(decoding: query, as: UTF8.self)
    }

    /// Appends the bytes as lower-case hex, as `Digest.hex` writes them.
    private static func appendHex(_ bytes: [UInt8], to output: inout [UInt8]) {
        for byte in bytes {
            output.append(hexDigits[Int(byte >> 4)])
            output.append(hexDigits[Int(byte & 0x0F)])
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
