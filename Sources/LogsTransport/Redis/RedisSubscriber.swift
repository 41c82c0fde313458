internal import CHiredis
import Dispatch
import Foundation
import LogsCore
import Synchronization

/// A subscription to one Redis pub/sub channel, on a connection and a thread of its own.
///
/// The thread blocks in `poll` on the connection, at most 250 ms at a time so that `stop()` is
/// noticed, and calls `onMessage` with each message's payload, in the order Redis sent them. When
/// the connection breaks, for example because Redis restarted, the thread reconnects and
/// subscribes again, waiting between failed attempts with the same doubling backoff as a
/// connection pool. Messages published while it is disconnected are lost, because Redis keeps
/// none, so `onSubscribed` runs after every successful subscription: the caller reads what it may
/// have missed from elsewhere.
public final class RedisSubscriber: Sendable {
    public let endpoint: RedisEndpoint
    public let channel: String
    private let settings: RedisConnectionPool.Settings
    private let backoff: RedisReconnectBackoff
    private let logger: Logger
    private let onMessage: @Sendable (String) -> Void
    private let onSubscribed: @Sendable () -> Void
    private let stopped = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - settings: the connect and command timeouts and the reconnect delays. `size` is unused.
    ///   - onMessage: called on the subscriber's thread with each message. It must not block, because
    ///     it delays the messages after it.
    ///   - onSubscribed: called on the subscriber's thread after each subscription, the first one
    ///     included.
    public init(
        endpoint: RedisEndpoint, channel: String, settings: RedisConnectionPool.Settings = .init(), logger: Logger,
        onMessage: @escaping @Sendable (String) -> Void, onSubscribed: @escaping @Sendable () -> Void = {}
    ) {
        BrokenPipeSignal.ignore()
        self.endpoint = endpoint
        self.channel = channel
        self.settings = settings
        self.backoff = RedisReconnectBackoff(
            initialDelay: settings.reconnectInitialDelay, maximumDelay: settings.reconnectMaximumDelay)
        self.logger = logger
        self.onMessage = onMessage
        self.onSubscribed = onSubscribed
    }

    /// Starts the subscriber's thread. Later calls do nothing.
    public func start() {
        guard !started.exchange(true, ordering: .sequentiallyConsistent) else { return }
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "redis-subscriber"
        thread.start()
    }

    /// Stops the thread and closes the connection, waiting until the thread has ended or a
    /// connection attempt in progress has timed out.
    public func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        guard started.load(ordering: .sequentiallyConsistent) else { return }
        let limit = DispatchTime.now() + settings.connectTimeout.timeInterval + 1
        _ = finished.wait(timeout: limit)
    }

    private var isStopped: Bool { stopped.load(ordering: .relaxed) }

    // MARK: - The subscriber thread

    private func run() {
        while !isStopped {
            let wait = backoff.delayBeforeAttempt()
            if wait > .zero {
                sleepUnlessStopped(wait)
                continue
            }
            let context: UnsafeMutablePointer<redisContext>
            do {
                context = try openSubscribedContext()
            } catch {
                let redisError = error as? RedisError ?? RedisError(.connectionFailed, "\(error)")
                backoff.recordFailure(redisError, endpoint: endpoint, logger: logger)
                continue
            }
            backoff.recordSuccess(endpoint: endpoint, logger: logger)
            logger.info(
                "subscribed to a Redis channel", metadata: ["channel": "\(channel)", "endpoint": "\(endpoint)"])
            onSubscribed()
            do {
                try readMessages(from: context)
            } catch {
                logger.warning(
                    "the Redis subscription was lost, reconnecting",
                    metadata: ["channel": "\(channel)", "endpoint": "\(endpoint)", "error": "\(error)"])
                // A server that keeps dropping the subscription, for example for a full output
                // buffer, must not make this loop spin.
                sleepUnlessStopped(backoff.initialDelay)
            }
            redisFree(context)
        }
    }

    private func sleepUnlessStopped(_ duration: Duration) {
        let end = ContinuousClock.now + duration
        while !isStopped, ContinuousClock.now < end {
            Thread.sleep(forTimeInterval: min(0.05, (end - ContinuousClock.now).timeInterval))
        }
    }

    /// Connects, authenticates and subscribes, waiting for Redis to confirm the subscription.
    private func openSubscribedContext() throws -> UnsafeMutablePointer<redisContext> {
        let context = try RedisConnection.connect(to: endpoint, settings: settings)
        do {
            try authenticateAndSubscribe(context)
            return context
        } catch {
            redisFree(context)
            throw error
        }
    }

    private func authenticateAndSubscribe(_ context: UnsafeMutablePointer<redisContext>) throws {
        var commands: [[String]] = []
        if let password = endpoint.password {
            commands.append(endpoint.username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
        }
        commands.append(["SUBSCRIBE", channel])
        for arguments in commands {
            let status = RedisConnection.withArgv(arguments) { count, argv, lengths in
                redisAppendCommandArgv(context, count, argv, lengths)
            }
            guard status == REDIS_OK else { throw RedisError(.io, RedisConnection.errorText(of: context)) }
        }
        for arguments in commands {
            var raw: UnsafeMutablePointer<redisReply>?
            guard travis_redis_get_reply(context, &raw) == REDIS_OK, let raw else {
                throw RedisError(.io, RedisConnection.errorText(of: context), command: arguments[0])
            }
            let reply = RedisConnection.convert(raw)
            freeReplyObject(raw)
            if case .error(let message) = reply {
                let code: RedisError.Code = arguments[0] == "AUTH" ? .authenticationFailed : .serverError
                throw RedisError(code, message, command: arguments[0])
            }
        }
    }

    /// Reads messages until the connection fails or `stop()` is called.
    private func readMessages(from context: UnsafeMutablePointer<redisContext>) throws {
        while !isStopped {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReplyFromReader(context, &raw) == REDIS_OK else {
                throw RedisError(.protocolError, RedisConnection.errorText(of: context))
            }
            if let raw {
                let reply = RedisConnection.convert(raw.assumingMemoryBound(to: redisReply.self))
                freeReplyObject(raw)
                deliver(reply)
                continue
            }
            var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 250)
            if ready < 0, errno != EINTR { throw RedisError(.io, "poll failed with errno \(errno)") }
            guard ready > 0 else { continue }
            guard redisBufferRead(context) == REDIS_OK else {
                throw RedisError(.io, RedisConnection.errorText(of: context))
            }
        }
    }

    /// Passes on a `message` push; subscription confirmations and other pushes are skipped.
    private func deliver(_ reply: RedisReply) {
        guard let elements = reply.arrayValue, elements.count == 3, elements[0].stringValue == "message",
            let payload = elements[2].stringValue
        else { return }
        onMessage(payload)
    }
}
