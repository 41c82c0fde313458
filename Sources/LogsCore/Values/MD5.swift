import Foundation

/// MD5 (RFC 1321), used only to check that an archived object equals the text it came from, the
/// way S3's `Content-MD5` header and single-part ETags do. It is not used for security.
public enum MD5 {
    private static let shifts: [UInt32] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ]

    /// The sines table: `floor(abs(sin(i + 1)) * 2^32)`.
    private static let constants: [UInt32] = (0..<64).map { index in
        UInt32(truncatingIfNeeded: Int64((abs(sin(Double(index + 1))) * 4_294_967_296).rounded(.down)))
    }

    /// Returns the 16-byte digest.
    public static func digest<Bytes: Collection>(of bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476)
        var message = Array(bytes)
        let bitLength = UInt64(message.count) &* 8
        message.append(0x80)
        while message.count % 64 != 56 { message.append(0) }
        for shift in stride(from: 0, to: 64, by: 8) {
            message.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        message.withUnsafeBufferPointer { buffer in
            for chunkStart in stride(from: 0, to: buffer.count, by: 64) {
                processChunk(buffer, at: chunkStart, state: &state)
            }
        }
        return [state.0, state.1, state.2, state.3].flatMap { word in
            (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * UInt32($0))) }
        }
    }

    /// Returns the digest as lower-case hex, as PostgreSQL's `md5()` and S3 ETags write it.
    public static func hexDigest<Bytes: Collection>(of bytes: Bytes) -> String where Bytes.Element == UInt8 {
        hex(digest(of: bytes))
    }

    public static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(digest.count * 2)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func processChunk(
        _ buffer: UnsafeBufferPointer<UInt8>, at start: Int, state: inout (UInt32, UInt32, UInt32, UInt32)
    ) {
        var words = [UInt32](repeating: 0, count: 16)
        for index in 0..<16 {
            let offset = start + index * 4
            words[index] =
                UInt32(buffer[offset]) | UInt32(buffer[offset + 1]) << 8 | UInt32(buffer[offset + 2]) << 16
                | UInt32(buffer[offset + 3]) << 24
        }
        var (a, b, c, d) = state
        for round in 0..<64 {
            var f: UInt32
            var wordIndex: Int
            switch round {
            case 0..<16:
                f = (b & c) | (~b & d)
                wordIndex = round
            case 16..<32:
                f = (d & b) | (~d & c)
                wordIndex = (5 * round + 1) % 16
            case 32..<48:
                f = b ^ c ^ d
                wordIndex = (3 * round + 5) % 16
            default:
                f = c ^ (b | ~d)
                wordIndex = (7 * round) % 16
            }
            f = f &+ a &+ constants[round] &+ words[wordIndex]
            a = d
            d = c
            c = b
            b = b &+ (f << shifts[round] | f >> (32 - shifts[round]))
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }
}
