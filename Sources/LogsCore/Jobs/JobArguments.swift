/// A job's argument list: either values, or the JSON text of a fetched job's `args`, which is read
/// only when a caller asks for the values.
///
/// A fetched `log_parts` job reads its parts straight from the text (see
/// `RawLogPart.parts(of:)`), so no `JSONValue` tree is built for its ~100 part objects.
/// Equality and hashing compare the values, whatever the form.
struct JobArguments: Sendable, Hashable {
    private enum Storage: Sendable {
        case values([JSONValue])
        case encoded(EncodedJSONArray)
    }

    private let storage: Storage

    init(values: [JSONValue]) {
        storage = .values(values)
    }

    init(encoded: EncodedJSONArray) {
        storage = .encoded(encoded)
    }

    var values: [JSONValue] {
        switch storage {
        case .values(let values): return values
        case .encoded(let encoded): return encoded.values()
        }
    }

    /// The JSON text, for a job read from its payload.
    var encoded: EncodedJSONArray? {
        if case .encoded(let encoded) = storage { return encoded }
        return nil
    }

    static func == (lhs: JobArguments, rhs: JobArguments) -> Bool {
        lhs.values == rhs.values
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(values)
    }
}

/// A JSON array inside a larger document that `JSONValueReader` has already checked, kept as the
/// document's text and the UTF-8 offsets of the array.
struct EncodedJSONArray: Sendable {
    /// The whole document, shared with the job's payload rather than copied.
    let document: String
    let range: Range<Int>
    /// The array's nesting depth in the document, so reading it again applies the same depth limit.
    let depth: Int

    /// Calls `body` with a reader placed at the array's opening bracket, and returns nil when the
    /// reader leaves the text undecided.
    func withReader<Result>(_ body: (inout JSONValueReader) throws(JSONValueReader.Undecided) -> Result) -> Result? {
        let read = { (bytes: UnsafeBufferPointer<UInt8>) -> Result? in
            let document = UnsafeBufferPointer(rebasing: bytes[..<range.upperBound])
            var reader = JSONValueReader(bytes: document, index: range.lowerBound)
            return try? body(&reader)
        }
        if let result = document.utf8.withContiguousStorageIfAvailable(read) { return result }
        return Array(document.utf8).withUnsafeBufferPointer(read)
    }

    /// Reads the array's values. The reader accepted this text when the job was read, and it
    /// decides the same way each time.
    func values() -> [JSONValue] {
        let value = withReader { reader throws(JSONValueReader.Undecided) in try reader.readValue(depth: depth) }
        guard case .array(let values)? = value else {
            preconditionFailure("JSONValueReader rejected job arguments that it accepted before")
        }
        return values
    }
}
