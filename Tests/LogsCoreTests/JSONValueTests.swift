import Foundation
import Testing

@testable import LogsCore

@Suite("JSONValue")
struct JSONValueTests {
    private func parse(_ text: String) throws -> JSONValue {
        try JSONValue(parsing: Data(text.utf8))
    }

    @Test(
        "each case survives serialize and parse",
        arguments: [
            JSONValue.null,
            .bool(true),
            .bool(false),
            .integer(0),
            .integer(-42),
            .integer(Int64.max),
            .integer(Int64.min),
            .double(1.5),
            .double(-0.25),
            .double(1_700_000_000.123),
            .string(""),
            .string("héllo \"quoted\" \\ / \n\t\u{1}"),
            .string("🎉 €"),
            .array([]),
            .array([1, "two", nil, [true]]),
            .object([:]),
            .object(["a": 1, "b": ["c": [.double(1.5), false]]]),
        ]
    )
    func roundTrip(value: JSONValue) throws {
        let parsed = try JSONValue(parsing: value.jsonData())

        #expect(parsed == value)
    }

    @Test("parsing reads every case from text")
    func parsesEveryCase() throws {
        let value = try parse(#"{"n": null, "t": true, "f": false, "i": 7, "d": 2.5, "s": "x", "a": [1], "o": {}}"#)

        #expect(value["n"] == .null)
        #expect(value["t"] == .bool(true))
        #expect(value["f"] == .bool(false))
        #expect(value["i"] == .integer(7))
        #expect(value["d"] == .double(2.5))
        #expect(value["s"] == .string("x"))
        #expect(value["a"] == .array([.integer(1)]))
        #expect(value["o"] == .object([:]))
        #expect(value["missing"] == nil)
    }

    @Test("object keys are written sorted")
    func sortedKeys() {
        let value: JSONValue = ["zeta": 1, "alpha": 2, "mid": ["y": 1, "b": 2]]

        #expect(value.jsonString() == #"{"alpha":2,"mid":{"b":2,"y":1},"zeta":1}"#)
    }

    @Test("equal values give equal bytes")
    func equalValuesEqualBytes() throws {
        let first = try parse(#"{"b": 1, "a": [1, 2], "c": {"y": true, "x": null}}"#)
        let second = try parse(#"{"c": {"x": null, "y": true}, "a": [1, 2], "b": 1}"#)

        #expect(first == second)
        #expect(first.jsonData() == second.jsonData())
    }

    @Test("integers stay integers")
    func integersStayIntegers() throws {
        let value = try parse("[1, 9007199254740993, -5, 1700000000]")

        #expect(value == [1, .integer(9_007_199_254_740_993), -5, 1_700_000_000])
        #expect(value.jsonString() == "[1,9007199254740993,-5,1700000000]")
    }

    @Test("slashes are not escaped")
    func slashesNotEscaped() {
        #expect(JSONValue.string("a/b").jsonString() == #""a/b""#)
    }

    @Test("true is not the integer 1")
    func trueIsNotOne() throws {
        let value = try parse("true")

        #expect(value == .bool(true))
        #expect(value != .integer(1))
        #expect(value.integerValue == nil)
        #expect(value.doubleValue == nil)
    }

    @Test("1 is not true")
    func oneIsNotTrue() throws {
        let value = try parse("1")

        #expect(value == .integer(1))
        #expect(value != .bool(true))
    }

    @Test("0 is not false")
    func zeroIsNotFalse() throws {
        let value = try parse("0")

        #expect(value == .integer(0))
        #expect(value != .bool(false))
    }

    @Test("non-integral number is a double")
    func doubles() throws {
        #expect(try parse("0.5") == .double(0.5))
        #expect(try parse("-2.75") == .double(-2.75))
        #expect(try parse("1e-3") == .double(0.001))
    }

    @Test("whole number written with a fraction or exponent reads as an integer")
    func wholeNumbersAreIntegers() throws {
        // Foundation's JSONDecoder (swift-foundation, Swift 6.3) decodes these as Int64.
        #expect(try parse("1.0") == .integer(1))
        #expect(try parse("-1.25e2") == .integer(-125))
    }

    @Test("whole double is written without a fraction and reads back as an integer")
    func wholeDoubleReadsBackAsInteger() throws {
        let written = JSONValue.double(1_700_000_000).jsonString()

        #expect(written == "1700000000")
        #expect(try parse(written) == .integer(1_700_000_000))
        #expect(try parse(written).doubleValue == 1_700_000_000)
    }

    @Test("integer beyond Int64 is read as a double")
    func hugeInteger() throws {
        let value = try parse("18446744073709551616")

        #expect(value == .double(18_446_744_073_709_551_616))
    }

    @Test("non-finite double is written as null")
    func nonFiniteDouble() {
        #expect(JSONValue.double(.infinity).jsonString() == "null")
        #expect(JSONValue.double(.nan).jsonString() == "null")
    }

    @Test(
        "invalid JSON throws invalidJSON",
        arguments: ["", "{", "[1 2]", "{'a': 1}", "tru", "{\"a\" 1}", "\u{FF}", "NaN", "01", "+1"]
    )
    func invalidJSON(text: String) {
        let error = #expect(throws: LogsError.self) { try JSONValue(parsing: Data(text.utf8)) }

        #expect(error?.code == .invalidJSON)
    }

    @Test("invalid bytes throw invalidJSON")
    func invalidBytes() {
        let error = #expect(throws: LogsError.self) { try JSONValue(parsing: Data([0x22, 0xFF, 0xFE, 0x22])) }

        #expect(error?.code == .invalidJSON)
    }

    @Test("integerValue accepts whole doubles only")
    func integerValue() {
        #expect(JSONValue.integer(5).integerValue == 5)
        #expect(JSONValue.double(5).integerValue == 5)
        #expect(JSONValue.double(5.5).integerValue == nil)
        #expect(JSONValue.double(1e20).integerValue == nil)
        #expect(JSONValue.string("5").integerValue == nil)
    }

    @Test("typed accessors return nil for other cases")
    func accessors() {
        let value: JSONValue = ["s": "text", "a": [1], "o": ["k": 1]]

        #expect(value["s"]?.stringValue == "text")
        #expect(value["a"]?.arrayValue == [1])
        #expect(value["o"]?.objectValue == ["k": 1])
        #expect(value.stringValue == nil)
        #expect(value.arrayValue == nil)
        #expect(JSONValue.array([1])["k"] == nil)
        #expect(JSONValue.integer(3).doubleValue == 3)
        #expect(JSONValue.string("3").doubleValue == nil)
    }
}
