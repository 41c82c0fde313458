internal import CSQLite

/// The `sqlite3` handle and its cached prepared statements, freed exactly once.
///
/// `SQLiteConnection` owns it and uses it only on its own thread. Keeping the pointers in a class
/// of their own lets the handle be closed from `deinit` when a connection is released unclosed.
final class SQLiteHandle: @unchecked Sendable {
    // @unchecked Sendable: only the owning `SQLiteConnection` actor reads or writes these, on its
    // executor's thread, and `deinit` runs after the last reference is gone.
    var pointer: OpaquePointer?
    var preparedStatements: [String: OpaquePointer] = [:]

    init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// Finalizes the cached statements and closes the handle; later calls do nothing.
    func close() {
        for statement in preparedStatements.values {
            sqlite3_finalize(statement)
        }
        preparedStatements.removeAll()
        sqlite3_close_v2(pointer)
        pointer = nil
    }

    deinit {
        close()
    }
}
