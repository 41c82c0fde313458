internal import CCrypto
import Foundation

/// An RSA public key parsed from PEM, owned for the life of the value.
///
/// `@unchecked Sendable`: the key is never changed after parsing, and OpenSSL 3 allows concurrent
/// verification with one `EVP_PKEY` from several threads.
final class RSAPublicKey: @unchecked Sendable {
    let key: OpaquePointer

    /// Parses a `-----BEGIN PUBLIC KEY-----` PEM block. Literal `\n` sequences, as some deployment
    /// tools store line breaks in environment variables, are read as line breaks.
    ///
    /// - Returns: nil when the text is not an RSA public key in that form.
    init?(pem: String) {
        let text = pem.replacingOccurrences(of: "\\n", with: "\n")
        let bytes = Array(text.utf8)
        let parsed: OpaquePointer? = bytes.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        ERR_clear_error()
        guard let parsed else { return nil }
        guard EVP_PKEY_get_base_id(parsed) == EVP_PKEY_RSA else {
            EVP_PKEY_free(parsed)
            return nil
        }
        key = parsed
    }

    deinit {
        EVP_PKEY_free(key)
    }

    /// Verifies an RSASSA-PKCS1-v1_5 signature with SHA-512, the JWS `RS512` algorithm.
    func verifySHA512(signature: [UInt8], message: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer {
            EVP_MD_CTX_free(context)
            ERR_clear_error()
        }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha512(), nil, key) == 1 else { return false }
        return signature.withUnsafeBufferPointer { signatureBytes in
            message.withUnsafeBufferPointer { messageBytes in
                EVP_DigestVerify(
                    context, signatureBytes.baseAddress, signatureBytes.count, messageBytes.baseAddress,
                    messageBytes.count) == 1
            }
        }
    }
}
