import Foundation
import LogsCore

/// A message the drain cannot turn into a log part, with the reason it is counted under.
public struct DrainRejection: Error, Sendable, Equatable {
    /// `invalid_json`, `invalid_base64`, or a reason of `RawLogPart(json:)` such as `missing_job_id`.
    public var reason: String
}

/// Turns an AMQP message body into a log part.
///
/// Most messages are read by `MessageJSONParser.logPart(_:)` without a dictionary of their
/// members; the others go through `MessageJSONParser.parse(_:)` and `RawLogPart(json:)`.
///
/// Invalid UTF-8 in the body is replaced with U+FFFD and raw NUL bytes are removed before a second
/// parse, so that such text is normalized later instead of dropped. Base64 content is decoded once
/// here, only to find content that can never be stored.
enum DrainMessageDecoder {
    static func decode(_ body: Data) -> Result<RawLogPart, DrainRejection> {
        body.withUnsafeBytes { decode($0) }
    }

    /// Decodes a body in rabbitmq-c's buffer, copying it only when the full decoder needs it.
    static func decode(_ buffer: UnsafeRawBufferPointer) -> Result<RawLogPart, DrainRejection> {
        let part: RawLogPart
        if let read = MessageJSONParser.logPart(buffer) {
            part = read
        } else {
            let body = Data(buffer)
            guard let json = parse(body) else { return .failure(DrainRejection(reason: "invalid_json")) }
            do {
                part = try RawLogPart(json: json)
            } catch let error as LogsError {
                return .failure(DrainRejection(reason: error.reason ?? "invalid_log_part"))
            } catch {
                return .failure(DrainRejection(reason: "invalid_log_part"))
            }
        }
        if part.encoding == "base64" {
            guard (try? PartNormalizer().contentBytes(of: part)) != nil else {
                return .failure(DrainRejection(reason: "invalid_base64"))
            }
        }
        return .success(part)
    }

    private static func parse(_ body: Data) -> JSONValue? {
        if let json = parseJSON(body) { return json }
        var repaired = Data(String(decoding: body, as: UTF8.self).utf8)
        repaired.removeAll { $0 == 0 }
        guard repaired != body else { return nil }
        return parseJSON(repaired)
    }

    /// The maximum nesting of arrays and objects that `JSONValue(parsing:)` is given: 100, the
    /// default `max_nesting` of Ruby's JSON library, so deeper messages go to the dead queue.
    ///
    /// `JSONDecoder` accepts up to 512 levels, but decoding a `meta` object 500 levels deep
    /// overflowed the 1 MiB stack of the AMQP consumer thread and crashed the drain with SIGSEGV.
    static let maximumFallbackDepth = 100

    private static func parseJSON(_ data: Data) -> JSONValue? {
        if let json = MessageJSONParser.parse(data) { return json }
        guard hasNestingDepth(data, atMost: maximumFallbackDepth) else { return nil }
        return try? JSONValue(parsing: data)
    }

    /// Returns whether no array or object in `data` is nested more than `limit` levels deep,
    /// counting brackets outside strings.
    static func hasNestingDepth(_ data: Data, atMost limit: Int) -> Bool {
        data.withUnsafeBytes { bytes in
            var depth = 0
            var isInString = false
            var isEscaped = false
            for byte in bytes {
                if isInString {
                    if isEscaped {
                        isEscaped = false
                    } else if byte == UInt8(ascii: "\\") {
                        isEscaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        isInString = false
                    }
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""):
                    isInString = true
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    depth += 1
                    if depth > limit { return false }
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    depth -= 1
                default:
                    break
                }
            }
            return true
        }
    }
}
