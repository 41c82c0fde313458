import Foundation
import LogSending
import LogsCore
import LogsHTTP
import TestSupport
import Testing

@Suite("Part token signing", .enabled(if: TestKeys.isAvailable, TestKeys.skipReason))
struct PartTokenSignerTests {
    /// A clock stopped at a fixed time, so that `iat` and `exp` are known.
    struct FixedClock: LogsClock {
        var date: Date
        func now() -> Date { date }
        func sleep(for duration: Duration) async throws {}
    }

    static let signedAt = Date(timeIntervalSince1970: 1_800_000_000)

    static func verifier(_ keys: TestKeys.KeyPair, at date: Date = Date()) throws -> JWTVerifier {
        try #require(JWTVerifier(publicKeyPEM: keys.publicKeyPEM, clock: FixedClock(date: date)))
    }

    @Test("token passes the service's verifier")
    func verifiedByService() async throws {
        let keys = try await TestKeys.rsa()
        let signer = try PartTokenSigner(privateKeyPEM: keys.privateKeyPEM)
        let token = signer.token(jobID: JobID(42))
        #expect(throws: Never.self) { try Self.verifier(keys).verify(token, jobID: JobID(42)) }
    }

    @Test("token for another job fails verification")
    func otherJobRejected() async throws {
        let keys = try await TestKeys.rsa()
        let token = try PartTokenSigner(privateKeyPEM: keys.privateKeyPEM).token(jobID: JobID(42))
        #expect(throws: JWTVerifier.Failure.wrongSubject) { try Self.verifier(keys).verify(token, jobID: JobID(43)) }
    }

    @Test("token expires after its lifetime")
    func expires() async throws {
        let keys = try await TestKeys.rsa()
        let signer = try PartTokenSigner(
            privateKeyPEM: keys.privateKeyPEM, lifetime: .seconds(600), clock: FixedClock(date: Self.signedAt))
        let token = signer.token(jobID: JobID(7))
        let justBefore = Self.signedAt.addingTimeInterval(599)
        let after = Self.signedAt.addingTimeInterval(600)
        #expect(throws: Never.self) { try Self.verifier(keys, at: justBefore).verify(token, jobID: JobID(7)) }
        #expect(throws: JWTVerifier.Failure.expired) {
            try Self.verifier(keys, at: after).verify(token, jobID: JobID(7))
        }
    }

    @Test("PKCS #1 key signs the same way")
    func traditionalKey() async throws {
        let keys = try await TestKeys.rsa()
        let token = try PartTokenSigner(privateKeyPEM: keys.traditionalPrivateKeyPEM).token(jobID: JobID(5))
        #expect(throws: Never.self) { try Self.verifier(keys).verify(token, jobID: JobID(5)) }
    }

    @Test("PyJWT decodes the token with RS512")
    func verifiedByPyJWT() async throws {
        let keys = try await TestKeys.rsa()
        let signer = try PartTokenSigner(
            privateKeyPEM: keys.privateKeyPEM, lifetime: .seconds(3600), clock: FixedClock(date: Date()))
        let token = signer.token(jobID: JobID(1234))
        let script = """
            import json, sys, jwt
            token, public_key = sys.argv[1], sys.argv[2]
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, public_key, algorithms=["RS512"], subject="1234",
                                options={"require": ["exp", "sub"]})
            print(json.dumps({"header": header, "claims": claims}))
            """
        let output = try await PythonProcess.run(script, arguments: [token, keys.publicKeyPEM])
        let decoded = try JSONValue(parsing: output)
        #expect(decoded["header"]?["alg"] == "RS512")
        #expect(decoded["claims"]?["sub"] == "1234")
        let issuedAt = try #require(decoded["claims"]?["iat"]?.integerValue)
        let expiry = try #require(decoded["claims"]?["exp"]?.integerValue)
        #expect(expiry - issuedAt == 3600)
    }

    @Test("PyJWT rejects the token for another subject")
    func pyJWTChecksSubject() async throws {
        let keys = try await TestKeys.rsa()
        let token = try PartTokenSigner(privateKeyPEM: keys.privateKeyPEM).token(jobID: JobID(1234))
        let script = """
            import sys, jwt
            try:
                jwt.decode(sys.argv[1], sys.argv[2], algorithms=["RS512"], subject="999")
                print("accepted")
            except jwt.exceptions.InvalidSubjectError:
                print("invalid_subject")
            """
        let output = try await PythonProcess.run(script, arguments: [token, keys.publicKeyPEM])
        #expect(String(decoding: output, as: UTF8.self) == "invalid_subject\n")
    }

    @Test("signature header is SHA-1 of the joined tokens")
    func signatureHeader() async throws {
        let tokens = ["a.b.c", "d.e.f", ""]
        let script = """
            import hashlib, sys
            print("token sig:" + hashlib.sha1("".join(sys.argv[1:]).encode()).hexdigest(), end="")
            """
        let expected = try await PythonProcess.run(script, arguments: tokens)
        #expect(PartTokenSigner.signatureHeader(tokens: tokens) == String(decoding: expected, as: UTF8.self))
    }

    @Test(
        "invalid keys are rejected",
        arguments: ["", "not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"])
    func invalidKey(pem: String) {
        #expect {
            try PartTokenSigner(privateKeyPEM: pem)
        } throws: { error in
            (error as? SendError)?.code == .invalidKey
        }
    }

    @Test("public key is not a private key")
    func publicKeyRejected() async throws {
        let keys = try await TestKeys.rsa()
        #expect(throws: SendError.self) { try PartTokenSigner(privateKeyPEM: keys.publicKeyPEM) }
    }

    @Test("elliptic curve key is rejected")
    func ellipticCurveKeyRejected() async throws {
        let pem = try await TestKeys.ellipticCurvePrivateKey()
        #expect {
            try PartTokenSigner(privateKeyPEM: pem)
        } throws: { error in
            (error as? SendError)?.message.contains("not an RSA key") == true
        }
    }
}
