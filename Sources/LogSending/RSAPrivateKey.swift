internal import CCrypto
import Foundation

/// An RSA private key parsed from PEM, owned for the life of the value.
///
/// `@unchecked Sendable`: the key is never changed after parsing, and OpenSSL 3 allows concurrent
/// signing with one `EVP_PKEY` from several threads, because each signature uses its own
/// `EVP_MD_CTX`.
final class RSAPrivateKey: @unchecked Sendable {
    private let key: OpaquePointer

    /// Parses a `-----BEGIN PRIVATE KEY-----` (PKCS #8) or `-----BEGIN RSA PRIVATE KEY-----`
    /// (PKCS #1) block.
    ///
    /// - Throws: `SendError` with code `.invalidKey` when the text is not an unencrypted RSA private
    ///   key. An encrypted key is rejected, because prompting for a passphrase would block.
    init(pem: String) throws(SendError) {
        let bytes = Array(pem.utf8)
        let parsed: OpaquePointer? = bytes.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            // A callback that supplies no passphrase, so OpenSSL never prompts for one on the terminal.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
        }
        ERR_clear_error()
        guard let parsed else {
            throw SendError(.invalidKey, "the key is not an unencrypted RSA private key in PEM form")
        }
        guard EVP_PKEY_get_base_id(parsed) == EVP_PKEY_RSA else {
            EVP_PKEY_free(parsed)
            throw SendError(.invalidKey, "the key is not an RSA key; RS512 needs an RSA private key")
        }
        key = parsed
    }

    deinit {
        EVP_PKEY_free(key)
    }

    /// Signs `message` with RSASSA-PKCS1-v1_5 and SHA-512, the JWS `RS512` algorithm.
    func signSHA512(_ message: [UInt8]) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed: out of memory") }
        defer {
            EVP_MD_CTX_free(context)
            ERR_clear_error()
        }
        precondition(EVP_DigestSignInit(context, nil, EVP_sha512(), nil, key) == 1, "EVP_DigestSignInit failed")
        var length = 0
        return message.withUnsafeBufferPointer { input in
            precondition(
                EVP_DigestSign(context, nil, &length, input.baseAddress, input.count) == 1,
                "EVP_DigestSign failed to size the signature")
            var signature = [UInt8](repeating: 0, count: length)
            precondition(
                EVP_DigestSign(context, &signature, &length, input.baseAddress, input.count) == 1,
                "EVP_DigestSign failed")
            return Array(signature.prefix(length))
        }
    }

    /// Returns the hex SHA-1 digest of `bytes`, which the `token sig:` header carries.
    static func sha1Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = bytes.withUnsafeBufferPointer { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha1(), nil)
        }
        precondition(result == 1, "EVP_Digest with SHA-1 failed")
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}
