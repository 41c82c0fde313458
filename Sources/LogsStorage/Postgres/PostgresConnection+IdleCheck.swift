internal import CLibPQ
import Foundation
import LogsCore

extension PostgresConnection {
    /// Returns why the server ended this idle connection, or nil when nothing arrived on its socket.
    ///
    /// Outside a statement, the server sends session notifications (after LISTEN, which nothing
    /// in this project runs), an occasional notice, or the FATAL error that comes before it closes
    /// the session on a restart, `pg_terminate_backend` or `idle_session_timeout`. Any input counts
    /// as that error, even when libpq still reports CONNECTION_OK after reading it, because
    /// discarding a usable connection costs only one reconnect. When the socket is quiet, the check
    /// costs one `poll` call, which does not wait.
    static func closedWhileIdleReason(_ connection: OpaquePointer) -> String? {
        guard IdleSocket.hasEvent(PQsocket(connection)) else { return nil }
        // libpq sets CONNECTION_BAD only on a read that finds the end of stream, and the server's
        // FATAL error usually comes in an earlier read. So it reads again while input is waiting.
        for _ in 0..<2 {
            if PQconsumeInput(connection) == 0 || PQstatus(connection) != CONNECTION_OK {
                return connectionMessage(connection)
            }
            guard IdleSocket.hasEvent(PQsocket(connection)) else { break }
        }
        return "PostgreSQL sent input to the idle connection outside any statement"
    }
}
