internal import CLibPQ
import Foundation

extension PostgresConnection {
    /// The error of a failed `COPY ... FROM STDIN`, with the line it failed on.
    struct CopyFailure: Error {
        var error: PostgresError
        /// The 1-based line of the rejected row, from the server's CONTEXT field.
        var line: Int?
    }

    /// Runs `COPY ... FROM STDIN` in text format with `data` as the rows, in one round trip.
    ///
    /// - Returns: the number of rows copied.
    /// - Throws: `CopyFailure`, whose `line` names the rejected row when the server names one.
    func copy(_ sql: String, name: String, data: [UInt8]) throws(CopyFailure) -> Int {
        let connection: OpaquePointer
        do {
            connection = try openHandle(for: name)
            _ = try consume(PQexec(connection, sql), statement: name)
        } catch {
            throw CopyFailure(error: error as! PostgresError, line: nil)
        }

        let sent = data.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                PQputCopyData(connection, chars.baseAddress, Int32(chars.count))
            }
        }
        if sent != 1 || PQputCopyEnd(connection, nil) != 1 {
            throw CopyFailure(error: lostOrFailed(statement: name, fallback: "sending COPY data failed"), line: nil)
        }
        return try finishCopy(connection, name: name)
    }

    private func finishCopy(_ connection: OpaquePointer, name: String) throws(CopyFailure) -> Int {
        var failure: CopyFailure?
        var copied = 0
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                copied = Int(String(cString: PQcmdTuples(result))) ?? 0
            } else if failure == nil {
                failure = CopyFailure(
                    error: error(from: result, statement: name), line: Self.copyLine(Self.field(result, "W")))
            }
        }
        if let failure { throw failure }
        if isBroken {
            throw CopyFailure(error: lostOrFailed(statement: name, fallback: "COPY ended without a result"), line: nil)
        }
        return copied
    }

    /// Reads N from a CONTEXT such as `COPY log_parts, line N, column number: "..."`.
    static func copyLine(_ context: String?) -> Int? {
        guard let context, let range = context.range(of: ", line ") else { return nil }
        return Int(context[range.upperBound...].prefix { $0.isNumber })
    }
}

/// Builds the body of a `COPY ... FROM STDIN` in PostgreSQL's text format.
struct PostgresCopyEncoder {
    private(set) var bytes: [UInt8] = []

    init(reservingCapacity capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends one row; nil values are written as `\N`.
    mutating func appendRow(_ values: [String?]) {
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: "\t")) }
            guard let value else {
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
                continue
            }
            appendEscaped(value)
        }
        bytes.append(UInt8(ascii: "\n"))
    }

    /// Appends the tab between two values of a row.
    mutating func appendSeparator() {
        bytes.append(UInt8(ascii: "\t"))
    }

    /// Ends a row written value by value.
    mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
    }

    /// Appends an integer's decimal digits, without making a `String` of it.
    mutating func appendInteger(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        // The largest magnitude, 2^63, has 19 digits.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var position = digits.count
            repeat {
                position -= 1
                digits[position] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[position...]))
        }
    }

    /// Appends text with the backslash, tab, newline and carriage return escaped, as the text format
    /// requires, copying each run of bytes that needs no escape at once.
    mutating func appendEscaped(_ value: String) {
        _ = appendEscaped(value, rejectingNUL: false)
    }

    /// Appends text as `appendEscaped` does, or returns false and appends nothing more once it
    /// meets a NUL byte, which PostgreSQL text cannot hold. The row is then incomplete.
    mutating func appendEscapedRejectingNUL(_ value: String) -> Bool {
        appendEscaped(value, rejectingNUL: true)
    }

    private mutating func appendEscaped(_ value: String, rejectingNUL: Bool) -> Bool {
        var value = value
        return value.withUTF8 { utf8 in
            var runStart = 0
            for index in utf8.indices {
                let byte = utf8[index]
                // Every byte that needs attention is below 0x5D, so most bytes take one comparison.
                guard byte <= UInt8(ascii: "\\") else { continue }
                let escaped: UInt8
                switch byte {
                case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
                case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
                case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
                case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
                case 0 where rejectingNUL: return false
                default: continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(escaped)
                runStart = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
            return true
        }
    }
}
