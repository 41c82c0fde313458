import LogsCore

/// The parts of one log that an aggregation deleted, as `deletePartsForAggregation` returns them:
/// in aggregation order (by number, then id), with their stored texts joined into one value.
struct DeletedParts {
    /// Each part's number, with NULL read as 0.
    var numbers: [Int64] = []
    /// Each part's stored text length in UTF-8 bytes, 0 for NULL content.
    var lengths: [Int64] = []
    /// The stored texts joined in aggregation order, repeats included.
    var contents = ""

    /// Joins the parts after `base`: the first copy of each number, with characters split between
    /// neighbouring parts made whole, as `LogAggregation.plan` does.
    ///
    /// - Returns: the content and the number of distinct part numbers used.
    func joined(after base: String) -> (content: String, partsUsed: Int) {
        // Escaped edge bytes are scalars from U+10FF80 up, whose UTF-8 starts with 0xF4. Without
        // one, and without a repeated number, the joined stored texts are the parts' text as it is.
        if isStrictlyIncreasing(numbers), !contents.utf8.contains(0xF4) {
            return (base + contents, numbers.count)
        }
        var seenNumbers = Set<Int64>()
        var texts: [String] = []
        let utf8 = contents.utf8
        var start = utf8.startIndex
        for (number, length) in zip(numbers, lengths) {
            let end = utf8.index(start, offsetBy: Int(length))
            if seenNumbers.insert(number).inserted {
                texts.append(String(Substring(utf8[start..<end])))
            }
            start = end
        }
        return (PartContent.joined(texts, after: base), seenNumbers.count)
    }

    /// Checks that the lengths add up to the joined text, so slicing it cannot cut a character.
    func validate(logID: LogID) throws {
        guard numbers.count == lengths.count, lengths.reduce(0, +) == Int64(contents.utf8.count) else {
            throw PostgresError(
                .unexpectedResult,
                "the deleted parts of log \(logID) do not match their lengths; is the database encoding UTF8?",
                queryName: PartStoreStatements.deletePartsForAggregation.name)
        }
    }

    private func isStrictlyIncreasing(_ values: [Int64]) -> Bool {
        zip(values, values.dropFirst()).allSatisfy { $0 < $1 }
    }
}

/// Parsing of PostgreSQL array values in text output format.
enum PostgresArrayText {
    /// Parses a one-dimensional integer array such as `{1,2,3}`; nil is an empty array.
    ///
    /// - Throws: `PostgresError` with code `.unexpectedResult` for anything else, NULL elements included.
    static func integers(_ text: String?, column: String) throws -> [Int64] {
        guard let text else { return [] }
        var values: [Int64] = []
        var utf8 = text.utf8[...]
        guard utf8.popFirst() == UInt8(ascii: "{"), utf8.popLast() == UInt8(ascii: "}") else {
            throw PostgresError(.unexpectedResult, "column \(column) is not an array")
        }
        guard !utf8.isEmpty else { return [] }
        values.reserveCapacity(utf8.count / 2)
        for element in utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            guard let value = Int64(Substring(element)) else {
                throw PostgresError(.unexpectedResult, "column \(column) has an element that is not an integer")
            }
            values.append(value)
        }
        return values
    }
}
