import Foundation
import Testing

@testable import LogsCore

@Suite("base64 decoding")
struct Base64DecodingTests {
    @Test("canonical base64 of random bytes decodes as with Foundation", arguments: Array(0..<64))
    func randomBytes(count: Int) throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Data(bytes).base64EncodedString()

            #expect(Base64Decoding.decodeCanonical(encoded) == bytes, "\(encoded)")
        }
    }

    @Test("mutated base64 decodes as with Foundation or is left to it")
    func mutations() {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n.".utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0...12, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            var text = Array(Data(bytes).base64EncodedString().utf8)
            for _ in 0..<Int.random(in: 0...2, using: &generator) where !text.isEmpty {
                text[Int.random(in: text.indices, using: &generator)] = alphabet.randomElement(using: &generator)!
            }
            let string = String(decoding: text, as: UTF8.self)
            guard let decoded = Base64Decoding.decodeCanonical(string) else { continue }

            #expect(Data(base64Encoded: string).map(Array.init) == decoded, "\(string)")
        }
    }

    @Test(
        "text outside the canonical form is left to Foundation",
        arguments: ["QQ", "QQ=", "QQ=A", "Q===", "====", "QUJDRA===", "QU=I", "A-B_", "QUJD\n", " QUJD", "QQ==QQ=="])
    func nonCanonical(text: String) {
        #expect(Base64Decoding.decodeCanonical(text) == nil)
    }

    @Test("unused low bits are ignored as Foundation ignores them")
    func unusedBits() {
        #expect(Base64Decoding.decodeCanonical("QR==") == [0x41])
        #expect(Base64Decoding.decodeCanonical("QUJ=") == [0x41, 0x42])
        #expect(Data(base64Encoded: "QR==").map(Array.init) == [0x41])
    }

    @Test(
        "normalizer decodes every base64 form as before",
        arguments: ["", "QUJD", "QUI=", "QQ==", "QUJD\nREVG", "QUJDRA", "QUJDR", "QQ=A", "====", "not base64!"])
    func normalizerMatchesFoundation(text: String) throws {
        let part = RawLogPart(jobID: JobID(1), log: text, number: .number(1), encoding: "base64")
        let expected = PartNormalizer.decodeBase64(text).map(Array.init)

        let decoded = try? PartNormalizer().contentBytes(of: part)
        #expect(decoded == expected)
    }
}
