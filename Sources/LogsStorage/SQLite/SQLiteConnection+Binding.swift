internal import CSQLite

extension SQLiteConnection {
    /// Binds parameters `?1`, `?2`, … in order.
    func bind(_ parameters: [SQLiteValue], to prepared: OpaquePointer, statement: String) throws {
        for (offset, value) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null:
                status = sqlite3_bind_null(prepared, index)
            case .integer(let integer):
                status = sqlite3_bind_int64(prepared, index, integer)
            case .text(let text):
                status = Self.bindText(text, to: prepared, at: index)
            }
            guard status == SQLITE_OK else { throw error(status: status, statement: statement) }
        }
    }

    /// Binds text with its byte length, so NUL bytes are kept, and as a copy (`SQLITE_TRANSIENT`).
    private static func bindText(_ text: String, to prepared: OpaquePointer, at index: Int32) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            // An empty buffer may have no base address, and a null pointer would bind NULL.
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                return sqlite3_bind_text(prepared, index, "", 0, travis_sqlite3_transient())
            }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { characters in
                sqlite3_bind_text(prepared, index, characters, Int32(bytes.count), travis_sqlite3_transient())
            }
        }
    }

    /// Steps through every row of a bound statement.
    func readRows(of prepared: OpaquePointer, statement: String) throws -> [SQLiteRow] {
        let columnCount = sqlite3_column_count(prepared)
        var columnIndexes: [String: Int] = [:]
        for column in 0..<columnCount {
            if let name = sqlite3_column_name(prepared, column) {
                columnIndexes[String(cString: name)] = Int(column)
            }
        }
        var rows: [SQLiteRow] = []
        while true {
            let status = sqlite3_step(prepared)
            if status == SQLITE_DONE { return rows }
            guard status == SQLITE_ROW else { throw error(status: status, statement: statement) }
            let values = (0..<columnCount).map { Self.value(of: prepared, column: $0) }
            rows.append(SQLiteRow(columnIndexes: columnIndexes, values: values))
        }
    }

    private static func value(of prepared: OpaquePointer, column: Int32) -> SQLiteValue {
        switch sqlite3_column_type(prepared, column) {
        case SQLITE_NULL:
            return .null
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(prepared, column))
        default:
            // Reading text before its length, as SQLite documents, so the length is of the UTF-8 form.
            guard let bytes = sqlite3_column_text(prepared, column) else { return .text("") }
            let count = Int(sqlite3_column_bytes(prepared, column))
            return .text(String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
        }
    }
}
