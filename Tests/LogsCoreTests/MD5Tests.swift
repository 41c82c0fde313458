import Foundation
import Testing

@testable import LogsCore

@Suite("MD5")
struct MD5Tests {
    @Test(
        "digests match the RFC 1321 test suite",
        arguments: [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f"
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a"
            ),
        ]
    )
    func rfcVectors(input: String, expected: String) {
        #expect(MD5.hexDigest(of: Array(input.utf8)) == expected)
    }

    @Test("digest is 16 bytes matching the hex form")
    func digestBytes() {
        let digest = MD5.digest(of: Array("abc".utf8))

        #expect(digest.count == 16)
        #expect(digest.first == 0x90)
        #expect(digest.last == 0x72)
        #expect(MD5.hex(digest) == "900150983cd24fb0d6963f7d28e17f72")
    }

    @Test("lengths around the 56-byte padding edge match md5sum")
    func paddingEdges() async throws {
        for length in [55, 56, 57, 63, 64, 65, 119, 120, 128] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

            #expect(MD5.hexDigest(of: bytes) == (try await Self.md5sum(bytes)), "length \(length)")
        }
    }

    @Test("1 MB buffer matches md5sum")
    func megabyteMatchesMD5Sum() async throws {
        var state: UInt32 = 0x1234_5678
        let bytes = (0..<1_048_576).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }

        let expected = try await Self.md5sum(bytes)

        #expect(expected.count == 32)
        #expect(MD5.hexDigest(of: bytes) == expected)
    }

    /// Runs `/usr/bin/md5sum` on the bytes, written to a temporary file, and returns its hex digest.
    ///
    /// The process is awaited through its termination handler so no cooperative thread blocks.
    private static func md5sum(_ bytes: [UInt8]) async throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("md5-\(UUID().uuidString)")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/md5sum")
        process.arguments = [file.path]
        let output = Pipe()
        process.standardOutput = output
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return String(text.prefix { $0 != " " })
    }
}
