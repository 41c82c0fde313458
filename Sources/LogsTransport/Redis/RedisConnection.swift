internal import CHiredis
import Foundation
import LogsCore

/// One connection to Redis, owning a hiredis context on a dedicated thread.
///
/// hiredis blocks while it waits for the server, so every call runs on this actor's own
/// `ThreadExecutor` and never on Swift's cooperative pool. The connection opens on first use and
/// again after any I/O error, waiting first for the pool's shared reconnect backoff. A command
/// that fails with an I/O error is not sent again, because it may have run; the caller decides.
public actor RedisConnection {
    private let executor: ThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    public let endpoint: RedisEndpoint
    private let settings: RedisConnectionPool.Settings
    private let backoff: RedisReconnectBackoff
    private let logger: Logger
    private var context: UnsafeMutablePointer<redisContext>?
    /// SHA-1 digests of the scripts loaded on the current connection, by source.
    private var loadedScripts: [String: String] = [:]

    init(
        name: String, endpoint: RedisEndpoint, settings: RedisConnectionPool.Settings, backoff: RedisReconnectBackoff,
        logger: Logger
    ) {
        BrokenPipeSignal.ignore()
        self.executor = ThreadExecutor(name: name)
        self.endpoint = endpoint
        self.settings = settings
        self.backoff = backoff
        self.logger = logger
    }

    isolated deinit {
        if let context { redisFree(context) }
        executor.shutdown()
    }

    /// Whether a hiredis context is open; false before first use and after an I/O error.
    public var isConnected: Bool { context != nil }

    /// Sends one command and returns its reply.
    ///
    /// - Throws: `RedisError` with code `.serverError` for an error reply, `.io` or
    ///   `.connectionFailed` when the connection broke (it reopens on the next call).
    public func send(_ arguments: [String]) async throws -> RedisReply {
        let replies = try await pipeline([RedisCommand(arguments)])
        return try Self.checked(replies[0], command: RedisCommand(arguments).name)
    }

    public func send(_ arguments: String...) async throws -> RedisReply {
        try await send(arguments)
    }

    /// Runs a Lua script with `EVALSHA`, loading it first when this connection has not.
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [String]) async throws -> RedisReply {
        let command = RedisCommand.evaluate(script, keys: keys, arguments: arguments)
        return try Self.checked(try await pipeline([command])[0], command: command.name)
    }

    /// Sends every command, then reads every reply: one round trip for the whole batch.
    ///
    /// Error replies are returned in place as `.error`, so one failed command does not hide the
    /// others' results.
    ///
    /// - Throws: `RedisError` when the connection fails, in which case some of the commands may
    ///   have run.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        let context = try await connectedContext()
        try loadScripts(of: commands, on: context)
        let arguments = commands.map(resolvedArguments)
        var replies = try exchange(arguments, on: context)
        if replies.contains(where: Self.isMissingScript) {
            // Another client ran SCRIPT FLUSH, so load again and repeat only the scripts that did not run.
            loadedScripts.removeAll()
            try loadScripts(of: commands, on: context)
            let retried = replies.indices.filter { Self.isMissingScript(replies[$0]) }
            let again = try exchange(retried.map { resolvedArguments(commands[$0]) }, on: context)
            for (index, reply) in zip(retried, again) { replies[index] = reply }
        }
        return replies
    }

    /// Closes the hiredis context; the next call opens a new one.
    public func disconnect() {
        if let context {
            redisFree(context)
            self.context = nil
        }
        loadedScripts.removeAll()
    }

    // MARK: - Connecting

    private func connectedContext() async throws -> UnsafeMutablePointer<redisContext> {
        if let context {
            guard Self.isClosedByServer(context) else { return context }
            // A restarted server or an idle timeout closed the socket while the connection sat in
            // the pool, so a new one replaces it before any command is sent.
            logger.debug("Redis closed an idle connection; reconnecting", metadata: ["endpoint": "\(endpoint)"])
            disconnect()
        }
        let wait = backoff.delayBeforeAttempt()
        if wait > .zero { try await Task.sleep(for: wait) }
        if let context { return context }
        do {
            let context = try openContext()
            self.context = context
            backoff.recordSuccess(endpoint: endpoint, logger: logger)
            return context
        } catch var error as RedisError {
            backoff.recordFailure(error, endpoint: endpoint, logger: logger)
            error.isLoggedByReconnectBackoff = true
            throw error
        }
    }

    /// Returns whether the idle socket has anything to read. With no command outstanding, that
    /// is the server's end of stream or an error, so the connection can no longer be used.
    private static func isClosedByServer(_ context: UnsafeMutablePointer<redisContext>) -> Bool {
        IdleSocket.hasEvent(context.pointee.fd)
    }

    /// Opens a socket to `endpoint` with the connect timeout, keep-alive on TCP, and the command
    /// timeout set. The caller owns the context and frees it with `redisFree`.
    ///
    /// - Throws: `RedisError` with code `.connectionFailed`.
    static func connect(
        to endpoint: RedisEndpoint, settings: RedisConnectionPool.Settings
    ) throws -> UnsafeMutablePointer<redisContext> {
        let connectTimeout = timeval(settings.connectTimeout)
        let opened: UnsafeMutablePointer<redisContext>?
        switch endpoint.address {
        case .tcp(let host, let port):
            opened = redisConnectWithTimeout(host, Int32(port), connectTimeout)
        case .unixSocket(let path):
            opened = redisConnectUnixWithTimeout(path, connectTimeout)
        }
        guard let context = opened else {
            throw RedisError(.connectionFailed, "hiredis could not allocate a context")
        }
        guard context.pointee.err == 0 else {
            let error = RedisError(.connectionFailed, errorText(of: context))
            redisFree(context)
            throw error
        }
        if case .tcp = endpoint.address { _ = redisEnableKeepAlive(context) }
        _ = redisSetTimeout(context, timeval(settings.commandTimeout))
        return context
    }

    private func openContext() throws -> UnsafeMutablePointer<redisContext> {
        let context = try Self.connect(to: endpoint, settings: settings)
        do {
            try authenticateAndSelect(on: context)
        } catch {
            redisFree(context)
            throw error
        }
        return context
    }

    private func authenticateAndSelect(on context: UnsafeMutablePointer<redisContext>) throws {
        var commands: [[String]] = []
        if let password = endpoint.password {
            commands.append(endpoint.username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
        }
        if endpoint.database != 0 { commands.append(["SELECT", String(endpoint.database)]) }
        guard !commands.isEmpty else { return }
        let replies = try exchange(commands, on: context)
        for (command, reply) in zip(commands, replies) {
            if case .error(let message) = reply {
                throw RedisError(.authenticationFailed, message, command: command[0])
            }
        }
    }

    // MARK: - Scripts

    private func loadScripts(of commands: [RedisCommand], on context: UnsafeMutablePointer<redisContext>) throws {
        var missing: [RedisScript] = []
        for script in commands.compactMap(\.script) where loadedScripts[script.source] == nil {
            if !missing.contains(script) { missing.append(script) }
        }
        guard !missing.isEmpty else { return }
        let replies = try exchange(missing.map { ["SCRIPT", "LOAD", $0.source] }, on: context)
        for (script, reply) in zip(missing, replies) {
            guard case .string(let sha) = try Self.checked(reply, command: "SCRIPT LOAD \(script.name)") else {
                throw RedisError(.unexpectedReply, "SCRIPT LOAD returned no digest", command: "SCRIPT LOAD")
            }
            loadedScripts[script.source] = sha
        }
    }

    private func resolvedArguments(_ command: RedisCommand) -> [String] {
        guard let script = command.script, let sha = loadedScripts[script.source] else { return command.arguments }
        return ["EVALSHA", sha, String(command.keys.count)] + command.keys + command.arguments
    }

    private static func isMissingScript(_ reply: RedisReply) -> Bool {
        if case .error(let message) = reply { return message.hasPrefix("NOSCRIPT") }
        return false
    }

    static func checked(_ reply: RedisReply, command: String) throws -> RedisReply {
        if case .error(let message) = reply { throw RedisError(.serverError, message, command: command) }
        return reply
    }
}
