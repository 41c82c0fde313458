/// A named SQL statement with `?NNN` parameters, prepared once per connection and cached.
public struct SQLiteStatement: Sendable, Hashable {
    /// The key of the statement cache, and the name errors report.
    public var name: String
    public var sql: String

    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }
}
