internal import CCrypto
import Foundation

/// SHA-256, HMAC-SHA256 and MD5 from OpenSSL's libcrypto, for AWS Signature V4 and Pusher signatures.
public enum Digest {
    /// MD5 fetched from OpenSSL's providers once. Passed `EVP_md5()`, OpenSSL 3 fetches the
    /// implementation on every call, which its crypto(7) page ("Performance") calls slower.
    private nonisolated(unsafe) static let md5Algorithm: OpaquePointer? = EVP_MD_fetch(nil, "MD5", nil)

    /// Returns the 16-byte MD5 digest of `bytes`, as Pusher's `body_md5` needs it.
    public static func md5<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 16)
        bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { output in
                var length: UInt32 = 0
                let result = EVP_Digest(
                    input.baseAddress, input.count, output.baseAddress, &length, md5Algorithm, nil)
                precondition(result == 1 && length == 16, "EVP_Digest with MD5 failed")
            }
        }
        return digest
    }

    /// Returns the 32-byte SHA-256 digest of `bytes`.
    public static func sha256<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { output in
                var length: UInt32 = 0
                let result = EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, EVP_sha256(), nil)
                precondition(result == 1 && length == SHA256_DIGEST_LENGTH, "EVP_Digest with SHA-256 failed")
            }
        }
        return digest
    }

    /// Returns the 32-byte HMAC-SHA256 of `message` under `key`.
    public static func hmacSHA256<Key: ContiguousBytes, Message: ContiguousBytes>(
        key: Key, message: Message
    ) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                mac.withUnsafeMutableBufferPointer { output in
                    var length: UInt32 = 0
                    let result = HMAC(
                        EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count),
                        messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), messageBytes.count,
                        output.baseAddress, &length)
                    precondition(result != nil && length == SHA256_DIGEST_LENGTH, "HMAC with SHA-256 failed")
                }
            }
        }
        return mac
    }

    /// Returns `bytes` as lower-case hex.
    public static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
