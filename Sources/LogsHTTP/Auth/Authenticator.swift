internal import CCrypto
import Foundation
import LogsCore

/// Checks the `Authorization` header of API requests.
///
/// Three schemes exist, as in the original service: `token <AUTH_TOKEN>` for the platform's own
/// calls, `Bearer <JWT>` for one worker's parts of one job, and `token sig:<hex>` for a batch of
/// parts that each carry their own JWT in `tok`. Every comparison takes the same time whatever
/// the position of the first difference.
public struct Authenticator: Sendable {
    private let authToken: String?
    /// The UTF-8 bytes of `token <AUTH_TOKEN>`, built once rather than for every request.
    private let expectedTokenHeader: [UInt8]
    private let jwtVerifier: JWTVerifier?

    /// - Parameters:
    ///   - authToken: the shared token; nil or blank leaves token routes returning 500.
    ///   - jwtVerifier: the verifier for worker tokens; nil leaves JWT routes returning 500.
    public init(authToken: String?, jwtVerifier: JWTVerifier?) {
        let trimmed = authToken?.trimmingCharacters(in: .whitespacesAndNewlines)
        self.authToken = trimmed?.isEmpty == false ? trimmed : nil
        self.expectedTokenHeader = self.authToken.map { Array("token \($0)".utf8) } ?? []
        self.jwtVerifier = jwtVerifier
    }

    /// Requires `Authorization: token <AUTH_TOKEN>`.
    ///
    /// - Throws: `HTTPError` with status 500 when no token is configured, 403 when it does not match.
    public func requireToken(_ request: HTTPRequest) throws(HTTPError) {
        guard authToken != nil else {
            throw .rejected(500, "the authentication token (AUTH_TOKEN) is not set on the server")
        }
        guard isExpectedTokenHeader(in: request) else {
            throw .rejected(403, "the Authorization header is missing or does not carry the right token")
        }
    }

    /// Compares the `Authorization` header with `token <AUTH_TOKEN>` in constant time, reading a
    /// preparer's header in place on the connection.
    private func isExpectedTokenHeader(in request: HTTPRequest) -> Bool {
        if let connection = request.connection {
            return connection.withHeaderBytes("Authorization") { given in
                Self.constantTimeEquals(given ?? UnsafeBufferPointer(start: nil, count: 0), expectedTokenHeader)
            }
        }
        return Self.constantTimeEquals(request.header("Authorization") ?? "", expectedTokenHeader)
    }

    /// Requires a valid worker token whose `sub` is `jobID`.
    ///
    /// - Throws: `HTTPError` with status 500 when no public key is configured, 403 otherwise.
    public func requireJWT(_ token: String, jobID: JobID) throws(HTTPError) {
        guard let jwtVerifier else {
            throw .rejected(500, "the JWT public key (JWT_RSA_PUBLIC_KEY) is not set on the server")
        }
        do {
            try jwtVerifier.verify(token, jobID: jobID)
        } catch {
            throw .rejected(403, "the bearer token is invalid for job \(jobID): \(error.rawValue)")
        }
    }

    /// Checks a part's own token for its job.
    ///
    /// - Returns: nil when the token is valid, else why it is not.
    public func partTokenFailure(_ token: String, jobID: JobID) -> Failure? {
        guard let jwtVerifier else { return .noPublicKey }
        do {
            try jwtVerifier.verify(token, jobID: jobID)
            return nil
        } catch {
            return .token(error)
        }
    }

    /// Why a part's token was rejected.
    public enum Failure: Sendable, Equatable {
        case noPublicKey
        case token(JWTVerifier.Failure)

        public var reason: String {
            switch self {
            case .noPublicKey: return "no_public_key"
            case .token(let failure): return failure.rawValue
            }
        }
    }

    /// Requires `Authorization: token sig:<hex SHA-1 of the parts' tok values joined>`.
    ///
    /// - Throws: `HTTPError` with status 403 when the signature does not match.
    public func requireSignature(_ header: String, tokens: [String]) throws(HTTPError) {
        let expected = "token sig:" + Self.sha1Hex(Array(tokens.joined().utf8))
        guard Self.constantTimeEquals(header, expected) else {
            throw .rejected(403, "the token sig: signature does not match the parts' tok values")
        }
    }

    static func sha1Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = bytes.withUnsafeBufferPointer { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha1(), nil)
        }
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }

    /// Compares two strings in time that depends only on their lengths.
    static func constantTimeEquals(_ left: String, _ right: String) -> Bool {
        constantTimeEquals(left, Array(right.utf8))
    }

    /// Compares a string's UTF-8 bytes with `rightBytes` in time that depends only on their
    /// lengths, without copying the string's bytes when they are contiguous.
    static func constantTimeEquals(_ left: String, _ rightBytes: [UInt8]) -> Bool {
        var left = left
        return left.withUTF8 { leftBytes in constantTimeEquals(leftBytes, rightBytes) }
    }

    static func constantTimeEquals(_ leftBytes: UnsafeBufferPointer<UInt8>, _ rightBytes: [UInt8]) -> Bool {
        var difference = UInt8(leftBytes.count == rightBytes.count ? 0 : 1)
        for index in 0..<max(leftBytes.count, rightBytes.count) {
            let a = index < leftBytes.count ? leftBytes[index] : 0
            let b = index < rightBytes.count ? rightBytes[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }
}
