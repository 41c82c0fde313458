import LogsCore
import Synchronization

/// Combines concurrent acknowledgements into one pipeline of `LREM`s per round trip.
///
/// The first caller while no pipeline is in flight sends its own `LREM` and, before returning,
/// every acknowledgement that arrived meanwhile, so a round trip carries as many as the workers
/// produced during the previous one. Each caller returns only after its own `LREM` ran, with its
/// own reply's error, so an acknowledged job is out of the in-progress list when the call returns.
final class RedisAcknowledgementBatcher: Sendable {
    private enum Role {
        case sender
        case acknowledged
    }

    private struct Waiter {
        var payload: String
        var continuation: CheckedContinuation<Role, any Error>
    }

    private struct State {
        var waiters: [Waiter] = []
        var isSending = false
    }

    private let state = Mutex(State())

    /// Removes `payload` from `list` with `LREM list -1 payload`, batched with concurrent calls.
    ///
    /// - Throws: `RedisError` of this payload's command or of the connection.
    func acknowledge(_ payload: String, in list: String, pool: RedisConnectionPool) async throws {
        let role = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Role, any Error>) in
            let sends = state.withLock { state -> Bool in
                if state.isSending {
                    state.waiters.append(Waiter(payload: payload, continuation: continuation))
                    return false
                }
                state.isSending = true
                return true
            }
            if sends { continuation.resume(returning: .sender) }
        }
        guard role == .sender else { return }
        try await send(payload, in: list, pool: pool)
    }

    /// Sends this caller's `LREM`, then the batches that queued up meanwhile, until none is left.
    private func send(_ payload: String, in list: String, pool: RedisConnectionPool) async throws {
        var ownError: (any Error)?
        var batch: [Waiter] = []
        var includesOwn = true
        while true {
            var commands = batch.map { RedisCommand("LREM", list, "-1", $0.payload) }
            if includesOwn { commands.append(RedisCommand("LREM", list, "-1", payload)) }
            let results = await Self.run(commands, pool: pool)
            for (waiter, result) in zip(batch, results) {
                switch result {
                case .success: waiter.continuation.resume(returning: .acknowledged)
                case .failure(let error): waiter.continuation.resume(throwing: error)
                }
            }
            if includesOwn, case .failure(let error) = results[results.count - 1] { ownError = error }
            includesOwn = false
            batch = state.withLock { state in
                if state.waiters.isEmpty { state.isSending = false }
                defer { state.waiters.removeAll() }
                return state.waiters
            }
            if batch.isEmpty { break }
        }
        if let ownError { throw ownError }
    }

    /// Runs the commands in one pipeline and returns one result per command.
    private static func run(_ commands: [RedisCommand], pool: RedisConnectionPool) async -> [Result<Void, any Error>] {
        do {
            let replies = try await pool.pipeline(commands)
            return zip(replies, commands).map { reply, command in
                Result { _ = try RedisConnection.checked(reply, command: command.name) }
            }
        } catch {
            return Array(repeating: .failure(error), count: commands.count)
        }
    }
}
