import Foundation
import LogsCore

/// Combines concurrent commands into one pipeline per round trip, sent from one connection's
/// thread.
///
/// Callers add their commands to a list and wait. While the list is not empty, one drain task
/// runs on a leased connection's thread. It sends every command in the list as one pipeline,
/// hands each caller its replies, and repeats with what arrived meanwhile, waiting up to
/// `linger` for more before it ends. So a round trip carries as many commands as the callers
/// produced during the previous one. While traffic keeps coming, a command waits for no hop onto
/// the connection's thread, and only the reply's hop back to the caller remains. The queue sends
/// its fetch scripts and acknowledgements through one batcher, so several workers share each
/// round trip.
///
/// A command added with `submit(_:waitsForCompany:deliver:)` and `waitsForCompany` set does not
/// wake the lingering drain task: it goes out with the next command that does, or when the linger
/// ends. So an acknowledgement sent in the background shares the round trip, and the wake-up of
/// the connection's thread, of the worker's next fetch.
///
/// Only commands that reply at once belong here, because a blocking command such as
/// `BRPOPLPUSH` would hold up every caller behind it.
final class RedisPipelineBatcher: @unchecked Sendable {
    // @unchecked Sendable: `waiters`, `isDraining` and `isLingering` are only read or written
    // while `condition` is locked.
    private struct Waiter {
        var commands: [RedisCommand]
        var waitsForCompany: Bool
        var deliver: @Sendable (Result<[RedisReply], any Error>) -> Void
    }

    private let pool: RedisConnectionPool
    /// How long the drain task waits on its thread for more commands before it ends.
    private let linger: Duration
    private let condition = NSCondition()
    private var waiters: [Waiter] = []
    private var isDraining = false
    private var isLingering = false

    /// - Parameter linger: how long the drain task waits for the next command once the list is
    ///   empty. A command that arrives in time is sent at once, and one that arrives later costs
    ///   a new task and a hop onto a connection's thread.
    init(pool: RedisConnectionPool, linger: Duration = .milliseconds(2)) {
        self.pool = pool
        self.linger = linger
    }

    /// Sends `command`, in one pipeline with concurrent calls, and returns its reply.
    ///
    /// An error reply is returned as `.error`, not thrown, as `RedisConnection.pipeline` does.
    ///
    /// - Throws: `RedisError` when the connection fails, in which case the command may have run,
    ///   or when no connection could be leased from the pool.
    func send(_ command: RedisCommand) async throws -> RedisReply {
        try await send([command])[0]
    }

    /// Sends `commands` in order, in one pipeline with concurrent calls, and returns one reply per
    /// command, as `send(_:)` does for one.
    func send(_ commands: [RedisCommand]) async throws -> [RedisReply] {
        try await withCheckedThrowingContinuation { continuation in
            submit(commands, waitsForCompany: false) { continuation.resume(with: $0) }
        }
    }

    /// Adds `commands` to the next pipeline and returns at once; `deliver` gets one reply per
    /// command, or the error, as `send(_:)` returns them.
    ///
    /// `deliver` runs on the connection's thread, before the next pipeline is sent, so it must
    /// not block.
    ///
    /// - Parameter waitsForCompany: whether the commands wait, up to `linger`, for a command
    ///   added without this flag, instead of waking the lingering drain task.
    func submit(
        _ commands: [RedisCommand], waitsForCompany: Bool,
        deliver: @escaping @Sendable (Result<[RedisReply], any Error>) -> Void
    ) {
        precondition(!commands.isEmpty, "a batch needs at least one command")
        if add(Waiter(commands: commands, waitsForCompany: waitsForCompany, deliver: deliver)) {
            // A task of its own, so that no caller's task is held up sending others' commands,
            // and a caller's cancellation cannot fail the others.
            Task.detached { await self.drain() }
        }
    }

    /// Adds `waiter` to the list and returns whether the caller must start a drain task.
    private func add(_ waiter: Waiter) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        waiters.append(waiter)
        if isDraining {
            if isLingering && !waiter.waitsForCompany { condition.signal() }
            return false
        }
        isDraining = true
        return true
    }

    /// Takes every waiting caller, after waiting up to `linger` when none waits or all that wait
    /// wait for company. An empty result ends the drain.
    private func nextBatch() -> [Waiter] {
        condition.lock()
        defer { condition.unlock() }
        if waiters.allSatisfy(\.waitsForCompany) {
            let deadline = Date(timeIntervalSinceNow: linger.timeInterval)
            isLingering = true
            while waiters.allSatisfy(\.waitsForCompany) && condition.wait(until: deadline) {}
            isLingering = false
        }
        if waiters.isEmpty { isDraining = false }
        defer { waiters.removeAll(keepingCapacity: true) }
        return waiters
    }

    /// Ends the drain and returns every waiting caller.
    private func removeAll() -> [Waiter] {
        condition.lock()
        defer { condition.unlock() }
        isDraining = false
        defer { waiters.removeAll() }
        return waiters
    }

    /// Leases a connection and sends batches on its thread until no command waits.
    private func drain() async {
        do {
            try await pool.withConnection { connection in
                await self.sendBatches(on: connection)
            }
        } catch {
            // No connection could be leased, so nothing was sent: every waiting caller fails.
            for waiter in removeAll() { waiter.deliver(.failure(error)) }
        }
    }

    /// Runs on `connection`'s thread, because the parameter is isolated, so one batch follows
    /// another without a hop.
    private func sendBatches(on connection: isolated RedisConnection) async {
        while true {
            // The wait for more commands blocks this connection's own thread, never the pool's.
            let batch = nextBatch()
            if batch.isEmpty { return }
            var commands: [RedisCommand] = []
            for waiter in batch { commands.append(contentsOf: waiter.commands) }
            do {
                let replies = try await connection.pipeline(commands)
                var start = 0
                for waiter in batch {
                    let end = start + waiter.commands.count
                    waiter.deliver(.success(Array(replies[start..<end])))
                    start = end
                }
            } catch {
                // The connection failed and reopens, after the pool's backoff, for the next batch.
                for waiter in batch { waiter.deliver(.failure(error)) }
            }
        }
    }
}
