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
}
