import Foundation

/// The callers waiting for a batch that one drain task at a time runs on the thread of a connection
/// leased from `client`, as `PartInserts` and `LogRowVersionReader` do.
///
/// The drain task takes batches with `nextBatch`, which blocks the connection's own thread for up
/// to `linger` when none wait, so that a caller who comes within that time costs a signal to that
/// thread instead of a new task, a lease and two hops between threads.
final class LingeringWaitList<Waiter: Sendable>: @unchecked Sendable {
    private let client: PostgresClient
    private let maximumWeight: Int
    private let weight: @Sendable (Waiter) -> Int
    private let linger: Duration
    private let maximumLease: Duration

    // @unchecked Sendable: the constants above are Sendable, and `waiting`, `isDraining` and
    // `isLingering` are only read or written while `condition` is locked.
    private let condition = NSCondition()
    private var waiting: [Waiter] = []
    private var isDraining = false
    private var isLingering = false

    /// - Parameters:
    ///   - maximumWeight: the maximum total `weight` of the waiters in one batch. Values below 1
    ///     count as 1. A waiter heavier than this forms a batch alone.
    ///   - weight: the weight of one waiter, such as the number of parts it carries.
    ///   - linger: how long the drain waits on the connection's thread for the next waiter before it
    ///     returns the connection to the pool.
    ///   - maximumLease: how long one lease of a connection runs batches before it is returned.
    init(
        client: PostgresClient, maximumWeight: Int, weight: @escaping @Sendable (Waiter) -> Int,
        linger: Duration, maximumLease: Duration
    ) {
        self.client = client
        self.maximumWeight = max(1, maximumWeight)
        self.weight = weight
        self.linger = linger
        self.maximumLease = maximumLease
    }

    /// Runs batches with `run` on connections leased from `client` until none come within
    /// `linger`. Each lease ends after `maximumLease`, and the next one queues behind other callers
    /// of the pool, so that a steady stream of callers never keeps a small pool to itself.
    ///
    /// `run` runs on the connection's thread. A connection loss that it throws makes
    /// `PostgresClient.withConnection` run the batches once more on a fresh connection.
    ///
    /// - Throws: the error that ended the drain, when no connection could be leased or the fresh
    ///   connection was lost as well. The caller then fails the waiters that `removeAll` returns.
    func drain(run: @escaping @Sendable ([Waiter], isolated PostgresConnection) throws -> Void) async throws {
        var mayHaveWaiters = true
        while mayHaveWaiters {
            mayHaveWaiters = try await client.withConnection { connection in
                let leaseEnd = ContinuousClock.now + self.maximumLease
                while ContinuousClock.now < leaseEnd {
                    guard let batch = self.nextBatch() else {
                        return false
                    }
                    try run(batch, connection)
                }
                return true
            }
        }
    }

    /// Adds `waiter` and returns whether the caller must start a drain task, because none runs.
    func append(_ waiter: Waiter) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        waiting.append(waiter)
        if isDraining {
            if isLingering { condition.signal() }
            return false
        }
        isDraining = true
        return true
    }

    /// Takes the first waiters whose weights add up to at most `maximumWeight`, and always at least
    /// one, after waiting up to `linger` when none wait.
    ///
    /// - Returns: nil, and ends the drain, when none came.
    private func nextBatch() -> [Waiter]? {
        condition.lock()
        defer { condition.unlock() }
        if waiting.isEmpty {
            isLingering = true
            _ = condition.wait(until: Date(timeIntervalSinceNow: linger.timeInterval))
            isLingering = false
        }
        guard !waiting.isEmpty else {
            isDraining = false
            return nil
        }
        var total = 0
        var count = 0
        while count < waiting.count, count == 0 || total + weight(waiting[count]) <= maximumWeight {
            total += weight(waiting[count])
            count += 1
        }
        defer { waiting.removeFirst(count) }
        return Array(waiting.prefix(count))
    }

    /// Puts waiters back at the front, for the drain's next batch.
    func putBack(_ waiters: [Waiter]) {
        condition.lock()
        defer { condition.unlock() }
        waiting.insert(contentsOf: waiters, at: 0)
    }

    /// Ends the drain and returns every waiter, so that the caller can fail them.
    func removeAll() -> [Waiter] {
        condition.lock()
        defer { condition.unlock() }
        isDraining = false
        defer { waiting.removeAll() }
        return waiting
    }
}
