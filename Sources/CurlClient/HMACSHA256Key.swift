internal import CCrypto
import Foundation

/// An HMAC-SHA256 key whose padded inner and outer hash states are computed once, for a secret
/// that signs many messages, such as a Pusher app secret.
///
/// `Digest.hmacSHA256(key:message:)` costs more per call, because OpenSSL's one-shot `HMAC()`
/// sets up new contexts and hashes the padded key every time. This key computes RFC 2104's
/// `SHA256((K ^ opad) || SHA256((K ^ ipad) || message))` from copies of the two states, so it
/// returns the same bytes.
///
/// The states are only read after `init`, and OpenSSL's `EVP_MD_CTX_copy_ex` does not change
/// its source, so one key can sign on several threads at once.
public final class HMACSHA256Key: @unchecked Sendable {
    private static let blockSize = 64
    private let innerState: OpaquePointer
    private let outerState: OpaquePointer

    public init<Key: ContiguousBytes>(_ key: Key) {
        var block = key.withUnsafeBytes { Array($0) }
        if block.count > Self.blockSize { block = Digest.sha256(block) }
        block += repeatElement(0, count: Self.blockSize - block.count)
        innerState = Self.hashState(of: block.map { $0 ^ 0x36 })
        outerState = Self.hashState(of: block.map { $0 ^ 0x5C })
    }

    deinit {
        EVP_MD_CTX_free(innerState)
        EVP_MD_CTX_free(outerState)
    }

    /// Returns the 32-byte HMAC-SHA256 of `message` under this key.
    public func authenticationCode<Message: ContiguousBytes>(of message: Message) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(context) }
        var innerHash = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        message.withUnsafeBytes { bytes in
            finish(from: innerState, in: context, appending: bytes, into: &innerHash)
        }
        var code = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        innerHash.withUnsafeBytes { bytes in
            finish(from: outerState, in: context, appending: bytes, into: &code)
        }
        return code
    }

    /// Copies `state` into `context`, hashes `bytes` on top and writes the digest to `digest`.
    private func finish(
        from state: OpaquePointer, in context: OpaquePointer, appending bytes: UnsafeRawBufferPointer,
        into digest: inout [UInt8]
    ) {
        var length: UInt32 = 0
        let copied = EVP_MD_CTX_copy_ex(context, state)
        let updated = EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
        let finished = digest.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        precondition(
            copied == 1 && updated == 1 && finished == 1 && length == SHA256_DIGEST_LENGTH,
            "HMAC-SHA256 with a prepared key failed")
    }

    /// Returns a SHA-256 context that has hashed `block`, one 64-byte block of the padded key.
    private static func hashState(of block: [UInt8]) -> OpaquePointer {
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed") }
        let initialized = EVP_DigestInit_ex(context, EVP_sha256(), nil)
        let updated = block.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        precondition(initialized == 1 && updated == 1, "SHA-256 of an HMAC key block failed")
        return context
    }
}
