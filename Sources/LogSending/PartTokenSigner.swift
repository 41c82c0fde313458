import Foundation
import LogsCore

/// Makes the JSON Web Tokens that authorize log parts: RS512, `sub` the job id as a string, and an
/// `exp` a fixed time after signing, the claims the service's verifier checks.
public struct PartTokenSigner: Sendable {
    private let key: RSAPrivateKey
    /// How long a token stays valid after it is signed.
    public let lifetime: Duration
    private let clock: any LogsClock

    /// - Parameters:
    ///   - privateKeyPEM: an unencrypted RSA private key in PEM form (PKCS #8 or PKCS #1).
    ///   - lifetime: the time from signing to `exp`; a retried request is signed again, so this only
    ///     needs to cover one attempt.
    /// - Throws: `SendError` with code `.invalidKey`.
    public init(privateKeyPEM: String, lifetime: Duration = .seconds(3600), clock: any LogsClock = SystemClock())
        throws(SendError)
    {
        key = try RSAPrivateKey(pem: privateKeyPEM)
        self.lifetime = lifetime
        self.clock = clock
    }

    /// Returns a signed token for the parts of `jobID`.
    public func token(jobID: JobID) -> String {
        let issuedAt = Int64(clock.now().timeIntervalSince1970)
        let claims: JSONValue = [
            "sub": .string(String(jobID.rawValue)),
            "iat": .integer(issuedAt),
            "exp": .integer(issuedAt + lifetime.components.seconds),
        ]
        let signingInput = Self.base64URL(Self.header) + "." + Self.base64URL(claims.jsonData())
        let signature = key.signSHA512(Array(signingInput.utf8))
        return signingInput + "." + Self.base64URL(Data(signature))
    }

    private static let header = Data(#"{"alg":"RS512","typ":"JWT"}"#.utf8)

    /// Encodes unpadded base64url, as JWS uses it.
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Returns the `Authorization` value of `POST /log-parts/multi`: `token sig:` and the hex SHA-1
    /// of the parts' tokens joined in order.
    public static func signatureHeader(tokens: [String]) -> String {
        "token sig:" + RSAPrivateKey.sha1Hex(Array(tokens.joined().utf8))
    }
}
