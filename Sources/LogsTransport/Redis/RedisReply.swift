/// One reply of the Redis protocol (RESP2, which hiredis 0.14 speaks).
public enum RedisReply: Sendable, Hashable {
    /// A bulk string, as raw bytes decoded as UTF-8 (invalid bytes become U+FFFD).
    case string(String)
    /// A simple status such as `OK` or `QUEUED`.
    case status(String)
    case integer(Int64)
    case array([RedisReply])
    /// A nil bulk string or nil array, as `GET` of a missing key returns.
    case null
    /// An error reply; `send` throws it as a `RedisError` with code `.serverError`, while a
    /// pipeline returns it in place so the other replies stay readable.
    case error(String)

    public var stringValue: String? {
        switch self {
        case .string(let text), .status(let text): return text
        default: return nil
        }
    }

    public var integerValue: Int64? {
        switch self {
        case .integer(let value): return value
        case .string(let text): return Int64(text)
        default: return nil
        }
    }

    public var arrayValue: [RedisReply]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    public var isNull: Bool { self == .null }
}
