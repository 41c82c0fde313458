import Foundation
import LogsCore

extension JSONValue {
    /// Parses one JSON document with `JSONValueReader`, and with `init(parsing:)` where that
    /// reader leaves the input undecided.
    ///
    /// So it accepts exactly the inputs of `init(parsing:)` and throws its errors, while the
    /// common shapes skip Foundation's `JSONDecoder`.
    ///
    /// - Throws: `LogsError` with code `.invalidJSON` when the bytes are not JSON.
    package static func parsed(from data: Data) throws -> JSONValue {
        let fast = data.withUnsafeBytes { raw in JSONValueReader.read(raw.bindMemory(to: UInt8.self)) }
        if let fast { return fast }
        return try JSONValue(parsing: data)
    }
}
