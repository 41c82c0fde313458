import Foundation
import LogsCore
import LogsTransport

/// Reads ids, numbers, flags and JSON from requests, rejecting bad input with 400 and a message
/// that names the parameter.
enum RequestParsing {
    /// The largest id and part number: PostgreSQL's `integer`, the type of `logs.id`,
    /// `logs.job_id` and `log_parts.number`.
    static let maximumID: Int64 = 2_147_483_647

    static func jobID(_ request: HTTPRequest, parameter: String = "job_id") throws(HTTPError) -> JobID {
        JobID(try id(request.pathParameters[parameter], name: parameter))
    }

    /// Parses a positive 32-bit id given as decimal digits.
    static func id(_ text: String?, name: String) throws(HTTPError) -> Int64 {
        guard let text, !text.isEmpty, text.utf8.count <= 10, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let value = Int64(text), (1...maximumID).contains(value)
        else {
            throw .rejected(400, "\(name) must be an integer from 1 to \(maximumID), got \(shown(text))")
        }
        return value
    }

    /// Parses an optional non-negative 32-bit integer query parameter.
    static func optionalInteger(_ request: HTTPRequest, _ name: String) throws(HTTPError) -> Int? {
        guard let text = request.query[name] else { return nil }
        guard let value = nonNegativeInteger(text) else {
            throw .rejected(400, "\(name) must be an integer from 0 to \(maximumID), got \(shown(text))")
        }
        return value
    }

    /// Parses a part number: digits up to the 32-bit maximum, or `last`.
    static func partNumber(_ text: String?) throws(HTTPError) -> PartNumber {
        if text == "last" { return .last }
        guard let text, let value = nonNegativeInteger(text) else {
            throw .rejected(
                400, "the part number must be an integer from 0 to \(maximumID) or \"last\", got \(shown(text))")
        }
        return value == PartNumber.lastValue ? .last : .number(value)
    }

    /// Parses a flag as Sinatra::Param does: `true`, `t`, `yes`, `y`, `1` and their opposites. An
    /// empty value counts as absent.
    static func flag(_ request: HTTPRequest, _ name: String) throws(HTTPError) -> Bool? {
        guard let text = request.query[name], !text.isEmpty else { return nil }
        switch text.lowercased() {
        case "true", "t", "yes", "y", "1": return true
        case "false", "f", "no", "n", "0": return false
        default: throw .rejected(400, "\(name) must be true or false, got \(shown(text))")
        }
    }

    /// Parses a comma-separated list of part numbers.
    static func partNumbers(_ request: HTTPRequest, _ name: String) throws(HTTPError) -> [Int] {
        guard let text = request.query[name], !text.isEmpty else { return [] }
        var numbers: [Int] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = nonNegativeInteger(String(item)) else {
                throw .rejected(400, "\(name) must be integers separated by commas, got \(shown(text))")
            }
            numbers.append(value)
        }
        return numbers
    }

    /// Parses the body as JSON, accepting and rejecting what `JSONValue(parsing:)` does.
    ///
    /// Foundation's `JSONDecoder` took about a sixth of the CPU time of a part PUT in a release
    /// build, so common bodies are read by `JSONValueReader`, and only the rest by Foundation.
    static func json(_ request: HTTPRequest) throws(HTTPError) -> JSONValue {
        do {
            return try JSONValue.parsed(from: request.body)
        } catch {
            throw .rejected(400, "the request body is not valid JSON: \(error)")
        }
    }

    static func nonNegativeInteger(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 10, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let value = Int64(text), value <= maximumID
        else {
            return nil
        }
        return Int(value)
    }

    /// Quotes a rejected value, cut to a few characters so that responses do not echo large input.
    static func shown(_ text: String?) -> String {
        guard let text else { return "nothing" }
        let cut = text.count > 24 ? String(text.prefix(24)) + "…" : text
        return "\"" + cut + "\""
    }
}
