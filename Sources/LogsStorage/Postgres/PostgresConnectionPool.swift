import Foundation
import LogsCore

/// A bounded set of connections that callers lease one at a time.
///
/// Connections open on demand up to `maximumConnections`; a caller that finds all of them leased
/// waits, first come first served, for at most `connectionWaitTimeout`. A connection that comes
/// back broken is closed, and its slot goes to the next waiter, which opens a fresh one.
actor PostgresConnectionPool {
    private struct Waiter {
        var deadline: ContinuousClock.Instant
        /// Resumed with an idle connection, or with nil when the waiter may open a new one.
        var continuation: CheckedContinuation<PostgresConnection?, any Error>
    }

    private let configuration: PostgresConfiguration
    private var idle: [PostgresConnection] = []
    private var waiters: [Waiter] = []
    private var openCount = 0
    /// Whether the task that fails waiters past their deadline runs.
    private var isTimeoutTaskRunning = false
    private var nextConnectionNumber = 0
    private var isClosed = false

    init(configuration: PostgresConfiguration) {
        self.configuration = configuration
    }

    /// Takes an idle connection, opens one, or waits for one.
    ///
    /// - Throws: `PostgresError` with code `.poolTimedOut`, `.poolClosed` or `.connectionFailed`.
    func lease() async throws -> PostgresConnection {
        guard !isClosed else { throw PostgresError(.poolClosed, "the connection pool is closed") }
        if let connection = idle.popLast() { return connection }
        if openCount < configuration.maximumConnections {
            openCount += 1
            return try await openReservedSlot()
        }
        if let connection = try await waitForRelease() { return connection }
        return try await openReservedSlot()
    }

    /// Returns a leased connection; a broken one is closed and its slot freed.
    ///
    /// - Parameter isBroken: `connection.isBroken` as read on the connection's thread by the
    ///   caller's last call, which spares a hop onto that thread to read it again.
    func release(_ connection: PostgresConnection, isBroken: Bool) async {
        if isBroken || isClosed {
            await connection.close()
            openCount -= 1
            if !waiters.isEmpty {
                openCount += 1
                waiters.removeFirst().continuation.resume(returning: nil)
            }
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    /// Closes the idle connections and fails the waiters; leased connections close on release.
    func close() async {
        isClosed = true
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(.poolClosed, "the connection pool is closed"))
        }
        waiters.removeAll()
        for connection in idle {
            await connection.close()
            openCount -= 1
        }
        idle.removeAll()
    }

    private func openReservedSlot() async throws -> PostgresConnection {
        nextConnectionNumber += 1
        let executor = ThreadExecutor(name: "postgres-\(nextConnectionNumber)")
        let connection = PostgresConnection(configuration: configuration, executor: executor)
        do {
            try await connection.connect()
            return connection
        } catch {
            await connection.close()
            openCount -= 1
            throw error
        }
    }

    private func waitForRelease() async throws -> PostgresConnection? {
        let deadline = ContinuousClock.now + configuration.connectionWaitTimeout
        return try await withCheckedThrowingContinuation { continuation in
            waiters.append(Waiter(deadline: deadline, continuation: continuation))
            if !isTimeoutTaskRunning {
                isTimeoutTaskRunning = true
                Task { await self.failExpiredWaiters() }
            }
        }
    }

    /// Fails each waiter at its deadline, until no caller waits.
    ///
    /// One task serves every waiter. A sleeping task per waiter set a libdispatch timer for each
    /// lease that waited, about 3% of the CPU time of `GET /logs/:id` with 64 concurrent requests
    /// on 10 connections (perf on a release build). Every waiter waits `connectionWaitTimeout`, so
    /// `waiters` is in deadline order and the first waiter's deadline is the earliest.
    private func failExpiredWaiters() async {
        while let first = waiters.first {
            if first.deadline > .now {
                try? await Task.sleep(until: first.deadline, clock: .continuous)
                continue
            }
            waiters.removeFirst()
            let seconds = configuration.connectionWaitTimeout.components.seconds
            first.continuation.resume(
                throwing: PostgresError(
                    .poolTimedOut,
                    "no database connection became free within \(seconds) s; all \(configuration.maximumConnections) "
                        + "are in use"))
        }
        isTimeoutTaskRunning = false
    }
}
