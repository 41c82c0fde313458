import Foundation
import LogsCore
import LogsHTTP
import LogsTransport
import Testing

/// Request bodies are read by `JSONValueReader` where it decides and by Foundation otherwise.
/// Together both paths must accept and reject exactly what Foundation alone does, with its messages.
@Suite("Request body parsing")
struct RequestBodyParsingTests {
    /// Bodies the fast reader decides, bodies it leaves to Foundation, and invalid bodies.
    static let bodies: [String] = [
        #"{"@type":"log_part","encoding":"base64","content":"aGVsbG8K","final":false}"#,
        #"[{"job_id":1,"number":"2","tok":"a.b.c"},{"job_id":"3","final":true}]"#,
        #" { "a" : [ 1 , -2 , 3.25 , null , true ] , "b" : "\u00e9\n\"\\\/" } "#,
        #"{"a":1,"a":2}"#,
        #""\ud83d\ude00""#,
        "{}", "[]", "0", "-0", "\"\"",
        // Left to Foundation by the fast reader, but valid.
        "[1,]", #"{"a":1,}"#, "1e3", "1.0", "12345678901234567890", "0.123456789012345678",
        // Invalid.
        "", " ", "{", "[{", #"{"@type":"#, "tru", "nul", "{}x", "[1 2]", "01", "1.", ".5", "-",
        #"{"a" 1}"#, #"{1:2}"#, "\"\u{01}\"", #""\x""#, #""\ud800""#, #"'a'"#, "[1,,2]",
        String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ]

    /// Bytes that are not UTF-8 or carry a byte order mark.
    static let byteBodies: [[UInt8]] = [
        [0x7B, 0xFF, 0x7D], [0x22, 0xC3, 0x22], [0xEF, 0xBB, 0xBF, 0x7B, 0x7D], [0xFE, 0xFF, 0x00, 0x31],
    ]

    /// A parsed value, or the description of the error thrown.
    enum Outcome: Equatable {
        case value(JSONValue)
        case failure(String)
    }

    static func foundationResult(_ data: Data) -> Outcome {
        do {
            return .value(try JSONValue(parsing: data))
        } catch {
            return .failure("\(error)")
        }
    }

    static func fastResult(_ data: Data) -> Outcome {
        do {
            return .value(try JSONValue.parsed(from: data))
        } catch {
            return .failure("\(error)")
        }
    }

    @Test("same value or error as Foundation", arguments: bodies.map { Data($0.utf8) } + byteBodies.map { Data($0) })
    func sameResultAsFoundation(_ body: Data) {
        let expected = Self.foundationResult(body)
        let actual = Self.fastResult(body)
        #expect(actual == expected, "body \(String(decoding: body, as: UTF8.self).prefix(40))")
    }

    @Test("invalid part body gets Foundation's message")
    func invalidPartBodyMessage() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        for text in [#"{"@type":"#, "[1 2]", "{}x"] {
            let body = Data(text.utf8)
            guard case .failure(let reason) = Self.foundationResult(body) else {
                Issue.record("Foundation accepted \(text)")
                continue
            }
            let response = try await server.send("PUT", "/log-parts/42/1", token: true, body: body)
            #expect(response.status == 400, "body \(text)")
            #expect(response.errorMessage == "the request body is not valid JSON: \(reason)", "body \(text)")
        }
    }

    @Test("body with trailing comma is accepted")
    func trailingCommaAccepted() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let body = Data(#"{"@type":"log_part","encoding":"base64","content":"aGk=","final":false,}"#.utf8)
        let response = try await server.send("PUT", "/log-parts/42/1", token: true, body: body)
        #expect(response.status == 204, "\(response.text)")
    }
}
