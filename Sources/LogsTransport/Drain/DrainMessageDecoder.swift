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

    /// The maximum nesting of arrays and objects of a message, as `JSONValue(parsing:)` limits it.
    static let maximumFallbackDepth = JSONValue.maximumNestingDepth

    private static func parseJSON(_ data: Data) -> JSONValue? {
        MessageJSONParser.parse(data) ?? (try? JSONValue(parsing: data))
    }
}
