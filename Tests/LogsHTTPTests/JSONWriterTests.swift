import Foundation
import LogsCore
import LogsHTTP
import Testing

@Suite("JSON responses")
struct JSONWriterTests {
    @Test("response JSON matches Foundation's bytes")
    func matchesFoundation() throws {
        let values: [JSONValue] = [
            ["text": "quote \" backslash \\ slash / newline \n tab \t bell \u{07} nul \u{00} é 👋 \u{1B}[31m"],
            ["nested": [1, -2, true, false, nil, ["a": "b"], []], "empty": [:], "zero": 0],
            ["big": .integer(Int64.max), "small": .integer(Int64.min)],
        ]
        for value in values {
            let response = HTTPResponse.json(value)
            #expect(response.bodyData == value.jsonData(), "\(value)")
        }
    }

    @Test("escapes at every word offset")
    func escapesAtEveryOffset() {
        let specials: [Character] = [" ", "\u{7F}", "\"", "\\", "\n", "\u{00}", "\u{1F}", "é", "👋"]
        for special in specials {
            for offset in 0..<20 {
                let text = String(repeating: "a", count: offset) + String(special) + String(repeating: "b", count: 19)
                let value: JSONValue = ["text": .string(text + text)]
                #expect(HTTPResponse.json(value).bodyData == value.jsonData(), "\(special) at \(offset)")
            }
        }
    }

    @Test("response JSON round-trips doubles")
    func doubles() throws {
        let response = HTTPResponse.json(["uptime": .double(12.5)])
        let decoded = try JSONValue(parsing: try #require(response.bodyData))
        #expect(decoded["uptime"]?.doubleValue == 12.5)
    }
}
