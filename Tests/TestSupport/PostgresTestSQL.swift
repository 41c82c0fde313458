import Foundation
import LogsStorage

/// Statements that tests run outside the store under test: creating and dropping databases, and
/// setting up or reading tables.
public enum PostgresTestSQL {
    /// Runs `sql` on a connection of its own to `url` and returns the rows.
    @discardableResult
    public static func execute(_ sql: String, on url: String) async throws -> PostgresRows {
        let client = PostgresClient(configuration: PostgresConfiguration(url: url, maximumConnections: 1))
        do {
            let rows = try await client.withConnection { connection in
                try connection.execute(sql, name: "test_sql")
            }
            await client.close()
            return rows
        } catch {
            await client.close()
            throw error
        }
    }

    /// Returns `url` with its database name replaced by `database`.
    public static func url(_ url: String, database: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.path = "/" + database
        return components.string ?? url
    }
}
