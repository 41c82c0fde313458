import Foundation
import LogsCore

/// Verifies the JSON Web Tokens that workers send for a job's log parts.
///
/// Only `RS512` is accepted, whatever the token's header asks for, so neither `none` nor an HMAC
/// token keyed with the public key's PEM passes. `exp` and `nbf` are enforced when present, and
/// `sub` must equal the job id, as a string or a number.
public struct JWTVerifier: Sendable {
    /// Why a token was rejected; the reasons are metric labels and log values.
    public enum Failure: String, Error, Sendable {
        case malformed
        case wrongAlgorithm = "wrong_algorithm"
        case badSignature = "bad_signature"
        case expired
        case notYetValid = "not_yet_valid"
        case wrongSubject = "wrong_subject"
    }

    private let key: RSAPublicKey
    private let clock: any LogsClock

    /// Creates a verifier for a PEM-encoded RSA public key (`-----BEGIN PUBLIC KEY-----`).
    ///
    /// - Returns: nil when the PEM is not an RSA public key.
    public init?(publicKeyPEM: String, clock: any LogsClock = SystemClock()) {
        guard let key = RSAPublicKey(pem: publicKeyPEM) else { return nil }
        self.key = key
        self.clock = clock
    }

    /// Verifies `token` for `jobID`.
    ///
    /// - Throws: `Failure` naming the first check that failed.
    public func verify(_ token: String, jobID: JobID) throws(Failure) {
        let pieces = token.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count == 3,
            let headerBytes = Self.base64URLDecode(pieces[0]),
            let payloadBytes = Self.base64URLDecode(pieces[1]),
            let signature = Self.base64URLDecode(pieces[2]),
            let header = try? JSONValue(parsing: Data(headerBytes)),
            let payload = try? JSONValue(parsing: Data(payloadBytes)),
            payload.objectValue != nil
        else {
            throw .malformed
        }
        guard header["alg"] == "RS512" else { throw .wrongAlgorithm }
        let signedBytes = Array(token.utf8.prefix(pieces[0].utf8.count + 1 + pieces[1].utf8.count))
        guard key.verifySHA512(signature: signature, message: signedBytes) else { throw .badSignature }
        try checkClaims(payload, jobID: jobID)
    }

    private func checkClaims(_ payload: JSONValue, jobID: JobID) throws(Failure) {
        let now = clock.now().timeIntervalSince1970
        if let expiry = payload["exp"] {
            guard let seconds = expiry.doubleValue else { throw .malformed }
            guard now < seconds else { throw .expired }
        }
        if let notBefore = payload["nbf"] {
            guard let seconds = notBefore.doubleValue else { throw .malformed }
            guard now >= seconds else { throw .notYetValid }
        }
        let subject: String?
        switch payload["sub"] {
        case .string(let text): subject = text
        case .integer(let number): subject = String(number)
        default: subject = nil
        }
        guard subject == String(jobID.rawValue) else { throw .wrongSubject }
    }

    /// Decodes unpadded base64url, as JWS uses it.
    static func base64URLDecode(_ text: Substring) -> [UInt8]? {
        guard !text.contains("="), !text.contains("+"), !text.contains("/") else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        switch standard.utf8.count % 4 {
        case 0: break
        case 2: standard += "=="
        case 3: standard += "="
        default: return nil
        }
        return Data(base64Encoded: standard).map { Array($0) }
    }
}
