import CurlClient
import Foundation
import Testing

@Suite("SHA-256 and HMAC")
struct DigestTests {
    @Test("SHA-256 of empty input")
    func sha256OfEmptyInput() {
        #expect(
            Digest.hex(Digest.sha256(Data()))
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("SHA-256 of abc")
    func sha256OfABC() {
        #expect(
            Digest.hex(Digest.sha256(Data("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// RFC 4231, test case 2.
    @Test("HMAC-SHA256 matches RFC 4231")
    func hmacMatchesRFC4231() {
        let mac = Digest.hmacSHA256(key: Data("Jefe".utf8), message: Data("what do ya want for nothing?".utf8))
        #expect(Digest.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test(
        "MD5 matches RFC 1321",
        arguments: [
            ("", "d41d8cd98f00b204e9800998ecf8427e"), ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ])
    func md5MatchesRFC1321(input: String, expected: String) {
        #expect(Digest.hex(Digest.md5(Data(input.utf8))) == expected)
    }

    /// RFC 4231, test cases 1, 2 and 6; case 6 has a key longer than a block, which is hashed first.
    @Test("prepared key matches RFC 4231")
    func preparedKeyMatchesRFC4231() {
        let cases: [(key: [UInt8], message: String, expected: String)] = [
            (
                Array(repeating: 0x0B, count: 20), "Hi There",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
            ),
            (
                Array("Jefe".utf8), "what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
            ),
            (
                Array(repeating: 0xAA, count: 131), "Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
            ),
        ]
        for testCase in cases {
            let key = HMACSHA256Key(testCase.key)
            #expect(Digest.hex(key.authenticationCode(of: Array(testCase.message.utf8))) == testCase.expected)
        }
    }

    @Test("prepared key matches one-shot HMAC", arguments: [0, 1, 63, 64, 65, 200])
    func preparedKeyMatchesOneShot(keyLength: Int) {
        let keyBytes = (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let key = HMACSHA256Key(keyBytes)
        for messageLength in [0, 1, 55, 64, 1_000] {
            let message = (0..<messageLength).map { UInt8(truncatingIfNeeded: $0 &* 13) }
            #expect(
                key.authenticationCode(of: message) == Digest.hmacSHA256(key: keyBytes, message: message),
                "key of \(keyLength) bytes, message of \(messageLength) bytes")
        }
    }
}
