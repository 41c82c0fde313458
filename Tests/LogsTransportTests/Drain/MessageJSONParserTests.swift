import Foundation
import LogsCore
import Testing

@testable import LogsTransport

@Suite("Message JSON parser")
struct MessageJSONParserTests {
    /// Documents the parser must read exactly as `JSONValue(parsing:)` does.
    static let accepted: [String] = [
        #"{"id":4,"log":"\u001b[32mline 1\u001b[0m\r\n","number":1}"#,
        #"{"id": "4", "log": "x", "number": "last", "final": true, "encoding": "base64"}"#,
        #"{"id":1,"log":"","number":0,"final":false,"meta":{"a":[1,-2,null,true,false,"b"],"c":{}}}"#,
        #" { "id" : 9 , "log" : "tab\there \"quoted\" back\\slash \/ \b\f\n\r" } "#,
        #"{"log":"caf\u00e9 \ud83d\ude00 \u0000 é 😀"}"#,
        #"{"n":-0,"m":123456789012345678,"o":[],"p":[[]],"q":[{}]}"#,
        #"[1,2,3]"#,
        #""just a string""#,
        #"0"#,
        #"1"#,
        #"null"#,
    ]

    /// Documents the parser leaves to `JSONValue(parsing:)`, valid JSON or not.
    static let deferred: [String] = [
        #"{"n":1.5}"#,
        #"{"n":1e3}"#,
        #"{"n":1234567890123456789012}"#,
        #"{"a":1,"a":2}"#,
        #"{"a":1,}"#,
        #"[1,]"#,
        #"{"s":"\ud800"}"#,
        #"{"s":"\udc00"}"#,
        #"{"s":"\x"}"#,
        #"{"s":"unterminated}"#,
        #"{"n":01}"#,
        #"{"n":-}"#,
        #"{"a" 1}"#,
        #"{"a":tru}"#,
        #"{} {}"#,
        "",
        "   ",
        "{\"s\":\"raw\ttab\"}",
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ]

    @Test("reads documents as Foundation does", arguments: accepted)
    func readsLikeFoundation(_ document: String) throws {
        let data = Data(document.utf8)
        let parsed = try #require(MessageJSONParser.parse(data))
        #expect(parsed == (try JSONValue(parsing: data)))
    }

    @Test("defers other documents", arguments: deferred)
    func defersOthers(_ document: String) {
        #expect(MessageJSONParser.parse(Data(document.utf8)) == Optional<JSONValue>.none)
    }

    @Test("defers invalid UTF-8")
    func defersInvalidUTF8() {
        var data = Data(#"{"log":"caf"#.utf8)
        data += [0xE9, 0x22, 0x7D]
        #expect(MessageJSONParser.parse(data) == Optional<JSONValue>.none)
    }

    @Test("drain decoder falls back to Foundation")
    func decoderFallsBack() throws {
        // A trailing comma is outside the parser's subset, and Foundation's decoder accepts it.
        let part = try DrainMessageDecoder.decode(Data(#"{"id":4,"log":"x","number":2,}"#.utf8)).get()
        #expect(part.jobID.rawValue == 4)
        #expect(part.log == "x")
    }
}
