import LogsCore

/// The parts of one log that an aggregation deleted, as `deletePartsForAggregation` returns them.
///
/// The arrays and `contents` come from aggregates of one group. PostgreSQL's Agg node passes each
/// input row to every aggregate before it reads the next row, so in an unspecified but shared
/// order, and element `i` of each array and the `i`-th slice of `contents` belong to one part. Putting the parts in aggregation order (by number, then
/// id) happens here, which spares the server one sort per aggregate.
struct DeletedParts {
    var ids: [Int64] = []
    /// Each part's number, or nil for NULL, which sorts after every number and counts as 0.
    var numbers: [Int64?] = []
    /// Each part's stored text length in UTF-8 bytes, 0 for NULL content.
    var lengths: [Int64] = []
    /// The stored texts joined in the order of the arrays.
    var contents = ""

    /// Joins the parts after `base`: the first copy of each number, with characters split between
    /// neighbouring parts made whole, as `LogAggregation.plan` does.
    ///
    /// - Returns: the content and the number of distinct part numbers used.
    func joined(after base: String) -> (content: String, partsUsed: Int) {
        let order = aggregationOrder()
        // Escaped edge bytes are scalars from U+10FF80 up, whose UTF-8 starts with 0xF4. Without
        // one, with the parts already in order and no repeated number, the joined stored texts
        // are the log's new text as they are.
        if order == nil, hasIncreasingNumbers(), !contents.utf8.contains(0xF4) {
            return (base + contents, ids.count)
        }
        var starts: [String.Index] = []
        starts.reserveCapacity(ids.count + 1)
        let utf8 = contents.utf8
        var start = utf8.startIndex
        for length in lengths {
            starts.append(start)
            start = utf8.index(start, offsetBy: Int(length))
        }
        starts.append(start)

        var seenNumbers = Set<Int64>()
        var texts: [String] = []
        for index in order ?? Array(ids.indices) where seenNumbers.insert(numbers[index] ?? 0).inserted {
            texts.append(String(Substring(utf8[starts[index]..<starts[index + 1]])))
        }
        return (PartContent.joined(texts, after: base), seenNumbers.count)
    }

    /// Checks that the arrays have one element per part and that the lengths add up to the
    /// joined text, so slicing it cannot cut a character.
    func validate(logID: LogID) throws {
        guard numbers.count == ids.count, lengths.count == ids.count,
            lengths.reduce(0, +) == Int64(contents.utf8.count)
        else {
            throw PostgresError(
                .unexpectedResult,
                "the deleted parts of log \(logID) do not add up to their byte lengths; the database encoding must be UTF8",
                queryName: PartStoreStatements.deletePartsForAggregation.name)
        }
    }

    /// Returns the array positions in aggregation order, or nil when they already are in it.
    private func aggregationOrder() -> [Int]? {
        let isSorted = ids.indices.dropFirst().allSatisfy { !precedes($0, $0 - 1) }
        return isSorted ? nil : ids.indices.sorted(by: precedes)
    }

    /// Orders by number with NULL last, then by id, as `ORDER BY number, id` does.
    private func precedes(_ left: Int, _ right: Int) -> Bool {
        switch (numbers[left], numbers[right]) {
        case (let leftNumber?, let rightNumber?) where leftNumber != rightNumber: return leftNumber < rightNumber
        case (.some, .none): return true
        case (.none, .some): return false
        default: return ids[left] < ids[right]
        }
    }

    private func hasIncreasingNumbers() -> Bool {
        numbers.indices.dropFirst().allSatisfy { index in
            guard let previous = numbers[index - 1], let current = numbers[index] else { return false }
            return previous < current
        }
    }
}

/// Parsing of PostgreSQL array values in text output format.
enum PostgresArrayText {
    /// Parses a one-dimensional integer array such as `{1,NULL,3}`; nil is an empty array.
    ///
    /// - Throws: `PostgresError` with code `.unexpectedResult` for anything else.
    static func optionalIntegers(_ text: String?, column: String) throws -> [Int64?] {
        guard let text else { return [] }
        var utf8 = text.utf8[...]
        guard utf8.popFirst() == UInt8(ascii: "{"), utf8.popLast() == UInt8(ascii: "}") else {
            throw PostgresError(.unexpectedResult, "column \(column) is not a one-dimensional array")
        }
        guard !utf8.isEmpty else { return [] }
        var values: [Int64?] = []
        values.reserveCapacity(utf8.count / 2)
        for element in utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let text = Substring(element)
            if text == "NULL" {
                values.append(nil)
                continue
            }
            guard let value = Int64(text) else {
                throw PostgresError(.unexpectedResult, "column \(column) has an element that is not an integer")
            }
            values.append(value)
        }
        return values
    }

    /// Parses a one-dimensional integer array without NULL elements; nil is an empty array.
    ///
    /// - Throws: `PostgresError` with code `.unexpectedResult` for anything else.
    static func integers(_ text: String?, column: String) throws -> [Int64] {
        try optionalIntegers(text, column: column).map { value in
            guard let value else { throw PostgresError(.unexpectedResult, "column \(column) has a NULL element") }
            return value
        }
    }
}
