/// A parameterized SQL statement with a name that is unique per SQL text.
///
/// With named statements on, each connection prepares the statement once under `name` and then
/// only sends parameters. With them off, the SQL goes with every execution as an unnamed statement.
/// The name also labels errors, so it should name what the statement does.
public struct PostgresStatement: Sendable, Hashable {
    public let name: String
    public let sql: String

    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }
}
