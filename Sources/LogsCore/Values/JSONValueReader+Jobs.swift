extension Job {
    /// Reads a job from its Sidekiq JSON with `JSONValueReader`, keeping `args` as text until a
    /// caller needs its values, or returns nil when that reader leaves the payload undecided.
    ///
    /// For every payload it decides, the job equals `Job(jsonData:)`'s.
    ///
    /// - Throws: `LogsError` with code `.invalidJob` naming the missing or mistyped field.
    package static func read(payload: String) throws -> Job? {
        let read = payload.utf8.withContiguousStorageIfAvailable { bytes in
            JSONValueReader.readJobMembers(bytes)
        }
        guard let (members, arguments) = read ?? nil else { return nil }
        guard let arguments else { return try Job(jsonValue: .object(members)) }
        return try Job(
            members: members,
            arguments: JobArguments(
                encoded: EncodedJSONArray(document: payload, range: arguments, depth: JSONValueReader.argumentsDepth)))
    }
}

extension JSONValueReader {
    /// The nesting depth of a job's `args` array: inside the job object, which has depth 0.
    static let argumentsDepth = 1

    /// Reads a JSON object as `read` does, except that an array under the key `args` is checked
    /// but not built: its UTF-8 offsets are returned instead. Returns nil for input that `read`
    /// leaves undecided and for a document that is not an object.
    static func readJobMembers(_ bytes: UnsafeBufferPointer<UInt8>) -> (
        members: [String: JSONValue], arguments: Range<Int>?
    )? {
        var reader = JSONValueReader(bytes: bytes)
        do {
            reader.skipWhitespace()
            guard reader.peek() == UInt8(ascii: "{") else { return nil }
            let result = try reader.readJobObject()
            reader.skipWhitespace()
            guard reader.index == bytes.count else { return nil }
            return result
        } catch {
            return nil
        }
    }

    private mutating func readJobObject() throws(Undecided) -> (
        members: [String: JSONValue], arguments: Range<Int>?
    ) {
        index += 1
        var members: [String: JSONValue] = [:]
        var arguments: Range<Int>?
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return (members, arguments)
        }
        members.reserveCapacity(8)
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw Undecided() }
            let key = try readString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            let isArguments = key == "args"
            if isArguments && arguments == nil && members["args"] == nil && peek() == UInt8(ascii: "[") {
                let start = index
                try skipValue(depth: Self.argumentsDepth)
                arguments = start..<index
            } else if isArguments && arguments != nil {
                // Of a repeated key the first value is kept.
                try skipValue(depth: Self.argumentsDepth)
            } else {
                let value = try readValue(depth: Self.argumentsDepth)
                if let first = members.updateValue(value, forKey: key) { members[key] = first }
            }
            skipWhitespace()
            if try endOfContainer(UInt8(ascii: "}")) { return (members, arguments) }
        }
    }

    /// Reads the parts in a job's `args` array, starting at its opening bracket, as
    /// `RawLogPart.parts(fromArgument:)` reads the array's first element: one part object or an
    /// array of them. Returns nil when the array is empty. Elements after the first are skipped.
    ///
    /// - Parameter depth: the array's nesting depth in the job, for the depth limit.
    mutating func readLogPartsArguments(depth: Int) throws(Undecided) -> [Result<RawLogPart, LogsError>]? {
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { return nil }
        guard peek() == UInt8(ascii: "[") else { return [try readLogPart(depth: depth + 1)] }
        guard depth + 1 < Self.maximumDepth else { throw Undecided() }
        index += 1
        var parts: [Result<RawLogPart, LogsError>] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { return parts }
        while true {
            parts.append(try readLogPart(depth: depth + 2))
            skipWhitespace()
            if try endOfContainer(UInt8(ascii: "]")) { return parts }
        }
    }

    /// Reads one element of a part list: a part object's members go straight into
    /// `RawLogPart.Fields`, and members it does not read are skipped without being built.
    private mutating func readLogPart(depth: Int) throws(Undecided) -> Result<RawLogPart, LogsError> {
        guard depth < Self.maximumDepth, peek() == UInt8(ascii: "{") else {
            let value = try readValue(depth: depth)
            return Result { try RawLogPart(json: value) }.mapError { $0 as! LogsError }
        }
        index += 1
        var fields = RawLogPart.Fields()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                guard peek() == UInt8(ascii: "\"") else { throw Undecided() }
                let key = try readPartKey()
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                // Of a repeated key the first value is kept, as `readObject` keeps it.
                if let key, fields[key] == nil {
                    fields[key] = try readValue(depth: depth + 1)
                } else {
                    try skipValue(depth: depth + 1)
                }
                skipWhitespace()
                if try endOfContainer(UInt8(ascii: "}")) { break }
            }
        }
        return Result { try RawLogPart(fields: fields) }.mapError { $0 as! LogsError }
    }

    /// Reads a member name at its opening quote and returns the part field it names, or nil for
    /// a name `RawLogPart` ignores. Plain ASCII names are compared in place; others are read and
    /// unescaped first.
    private mutating func readPartKey() throws(Undecided) -> RawLogPart.Fields.Key? {
        let start = index + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"),
            bytes[end] >= 0x20, bytes[end] < 0x80
        {
            end += 1
        }
        guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else {
            return RawLogPart.Fields.Key(rawValue: try readString())
        }
        index = end + 1
        return Self.partKey(named: UnsafeBufferPointer(rebasing: bytes[start..<end]))
    }

    private static func partKey(named name: UnsafeBufferPointer<UInt8>) -> RawLogPart.Fields.Key? {
        let key: RawLogPart.Fields.Key
        switch (name.count, name.first) {
        case (2, UInt8(ascii: "i")): key = .id
        case (3, UInt8(ascii: "l")): key = .log
        case (4, UInt8(ascii: "u")): key = .uuid
        case (4, UInt8(ascii: "m")): key = .meta
        case (5, UInt8(ascii: "f")): key = .final
        case (6, UInt8(ascii: "n")): key = .number
        case (8, UInt8(ascii: "e")): key = .encoding
        case (9, UInt8(ascii: "q")): key = .queuedAt
        default: return nil
        }
        let matches = key.utf8Name.withUTF8Buffer { expected in
            for offset in 1..<expected.count where expected[offset] != name[offset] { return false }
            return true
        }
        return matches ? key : nil
    }
}

extension RawLogPart.Fields.Key {
    /// The member name, as a static string so that comparing it allocates nothing.
    fileprivate var utf8Name: StaticString {
        switch self {
        case .id: return "id"
        case .number: return "number"
        case .log: return "log"
        case .encoding: return "encoding"
        case .final: return "final"
        case .uuid: return "uuid"
        case .meta: return "meta"
        case .queuedAt: return "queued_at"
        }
    }
}
