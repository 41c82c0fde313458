import Foundation
import LogsCore
import Synchronization

/// A bounded pool of `RedisConnection`s to one endpoint.
///
/// Connections are made on demand up to `Settings.size`; a caller beyond that waits for one to
/// be returned. Each connection owns a thread, so the size also bounds the threads that block in
/// hiredis. The connections share one reconnect backoff, so an outage is retried and logged once
/// per round for the whole pool.
public final class RedisConnectionPool: Sendable {
    public struct Settings: Sendable, Hashable {
        /// The maximum number of connections, at least 1.
        public var size: Int
        public var connectTimeout: Duration
        /// The socket read and write timeout. Blocking commands must wait for less than this.
        public var commandTimeout: Duration
        /// The wait before the second connection attempt of an outage; it doubles each round.
        public var reconnectInitialDelay: Duration
        public var reconnectMaximumDelay: Duration

        public init(
            size: Int = 7, connectTimeout: Duration = .seconds(5), commandTimeout: Duration = .seconds(10),
            reconnectInitialDelay: Duration = .milliseconds(100), reconnectMaximumDelay: Duration = .seconds(5)
        ) {
            self.size = max(1, size)
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
            self.reconnectInitialDelay = reconnectInitialDelay
            self.reconnectMaximumDelay = reconnectMaximumDelay
        }
    }

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<RedisConnection, any Error>
    }

    private struct State {
        var idle: [RedisConnection] = []
        var created = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var isClosed = false
    }

    public let endpoint: RedisEndpoint
    public let settings: Settings
    private let name: String
    private let logger: Logger
    private let backoff: RedisReconnectBackoff
    private let state = Mutex(State())

    public init(endpoint: RedisEndpoint, settings: Settings = Settings(), name: String = "redis", logger: Logger) {
        self.endpoint = endpoint
        self.settings = settings
        self.name = name
        self.logger = logger
        self.backoff = RedisReconnectBackoff(
            initialDelay: settings.reconnectInitialDelay, maximumDelay: settings.reconnectMaximumDelay)
    }

    /// A pool for `REDIS_URL`.
    ///
    /// - Throws: `RedisError` with code `.unsupported` when `REDIS_SSL` is true, because this
    ///   hiredis has no TLS, or `.invalidURL`.
    public convenience init(configuration: LogsConfiguration, size: Int? = nil, logger: Logger) throws {
        let endpoint = try RedisEndpoint(url: configuration.redisURL, usesTLS: configuration.redisSSL)
        self.init(
            endpoint: endpoint, settings: Settings(size: size ?? configuration.sidekiq.poolSize), logger: logger)
    }

    /// Runs `body` with a connection of its own, waiting for one when all are in use.
    ///
    /// - Throws: `RedisError` with code `.poolClosed` after `close()`, `CancellationError` when the
    ///   task is cancelled while it waits, and whatever `body` throws.
    public nonisolated(nonsending) func withConnection<Result: Sendable>(
        _ body: nonisolated(nonsending) (RedisConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await lease()
        defer { giveBack(connection) }
        return try await body(connection)
    }

    public nonisolated(nonsending) func send(_ arguments: [String]) async throws -> RedisReply {
        try await withConnection { try await $0.send(arguments) }
    }

    public nonisolated(nonsending) func send(_ arguments: String...) async throws -> RedisReply {
        try await send(arguments)
    }

    public nonisolated(nonsending) func pipeline(_ commands: [RedisCommand]) async throws -> [RedisReply] {
        try await withConnection { try await $0.pipeline(commands) }
    }

    public nonisolated(nonsending) func evaluate(_ script: RedisScript, keys: [String], arguments: [String])
        async throws -> RedisReply
    {
        try await withConnection { try await $0.evaluate(script, keys: keys, arguments: arguments) }
    }

    /// The time until the shared reconnect backoff allows the next connection attempt; zero when
    /// no outage is going on.
    var reconnectDelay: Duration {
        backoff.delayBeforeAttempt()
    }

    /// Fails every waiting caller and drops idle connections; leased ones close when returned.
    public func close() {
        let waiters = state.withLock { state -> [Waiter] in
            state.isClosed = true
            state.idle.removeAll()
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: RedisError(.poolClosed, "the Redis connection pool was closed"))
        }
    }

    private enum LeaseStep {
        case use(RedisConnection)
        case create(index: Int)
        case wait
    }

    private nonisolated(nonsending) func lease() async throws -> RedisConnection {
        let step = try state.withLock { state -> LeaseStep in
            if state.isClosed { throw RedisError(.poolClosed, "the Redis connection pool was closed") }
            if let connection = state.idle.popLast() { return .use(connection) }
            if state.created < settings.size {
                state.created += 1
                return .create(index: state.created)
            }
            return .wait
        }
        switch step {
        case .use(let connection):
            return connection
        case .create(let index):
            return RedisConnection(
                name: "\(name)-\(index)", endpoint: endpoint, settings: settings, backoff: backoff, logger: logger)
        case .wait:
            return try await waitForConnection()
        }
    }

    private func waitForConnection() async throws -> RedisConnection {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let leased = state.withLock { state -> RedisConnection? in
                    if let connection = state.idle.popLast() { return connection }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let leased { continuation.resume(returning: leased) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    private func giveBack(_ connection: RedisConnection) {
        let waiter = state.withLock { state -> Waiter? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            if state.isClosed {
                state.created -= 1
            } else {
                state.idle.append(connection)
            }
            return nil
        }
        waiter?.continuation.resume(returning: connection)
    }
}
