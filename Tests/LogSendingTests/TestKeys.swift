import Foundation
import TestSupport
import Testing

/// RSA key pairs made by Python's `cryptography` package, once per test process.
enum TestKeys {
    struct KeyPair: Sendable {
        /// PKCS #8, `-----BEGIN PRIVATE KEY-----`.
        var privateKeyPEM: String
        /// The same key in PKCS #1, `-----BEGIN RSA PRIVATE KEY-----`.
        var traditionalPrivateKeyPEM: String
        var publicKeyPEM: String
    }

    static var isAvailable: Bool {
        TestEnvironment.shouldRun(needing: "LOGS_TEST_PYTHON")
    }

    static let skipReason: Comment = "LOGS_TEST_PYTHON is not set; run script/test, which starts script/services"

    private static let pair = Task { try await generate() }

    static func rsa() async throws -> KeyPair {
        try await pair.value
    }

    private static func generate() async throws -> KeyPair {
        let script = """
            import json
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import rsa
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            none = serialization.NoEncryption()
            pem = serialization.Encoding.PEM
            print(json.dumps({
                "pkcs8": key.private_bytes(pem, serialization.PrivateFormat.PKCS8, none).decode(),
                "pkcs1": key.private_bytes(pem, serialization.PrivateFormat.TraditionalOpenSSL, none).decode(),
                "public": key.public_key().public_bytes(
                    pem, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
            }))
            """
        let output = try await PythonProcess.run(script)
        let keys = try JSONDecoder().decode([String: String].self, from: output)
        return KeyPair(
            privateKeyPEM: try #require(keys["pkcs8"]), traditionalPrivateKeyPEM: try #require(keys["pkcs1"]),
            publicKeyPEM: try #require(keys["public"]))
    }

    /// Returns a PKCS #8 PEM of a P-256 key, which RS512 cannot use.
    static func ellipticCurvePrivateKey() async throws -> String {
        let script = """
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import ec
            key = ec.generate_private_key(ec.SECP256R1())
            print(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode(), end="")
            """
        return String(decoding: try await PythonProcess.run(script), as: UTF8.self)
    }
}
