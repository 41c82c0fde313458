import Foundation
import LogsCore

extension RedisJobQueue {
    /// Registers this process and starts its heartbeat, unless that was done already.
    ///
    /// `reserve` calls this on first use. A process must have a live heartbeat before it takes
    /// jobs, or another process would push its in-progress jobs back while they run.
    public func startIfNeeded() async throws {
        let isFirst = try state.withLock { state -> Bool in
            if state.isClosed { throw RedisError(.poolClosed, "the Redis job queue was closed") }
            defer { state.isStarted = true }
            return !state.isStarted
        }
        guard isFirst else { return }
        do {
            try await beat()
        } catch {
            state.withLock { $0.isStarted = false }
            throw error
        }
        let heartbeat = Task { [weak self] in
            while !Task.isCancelled {
                guard let interval = self?.settings.heartbeatInterval else { return }
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                do {
                    try await self.beat()
                } catch {
                    self.logger.warning(
                        "refreshing the worker heartbeat in Redis failed",
                        metadata: ["identity": "\(self.identity)", "error": "\(error)"])
                }
            }
        }
        state.withLock { $0.heartbeat = heartbeat }
        logger.debug("worker registered", metadata: ["identity": "\(identity)"])
    }

    private func beat() async throws {
        let commands = [
            RedisCommand(
                "SET", keys.heartbeat(identity), String(clock.now().timeIntervalSince1970), "PX",
                Self.milliseconds(settings.processTimeout)),
            RedisCommand("SADD", keys.processes, identity),
        ]
        try Self.checkAll(try await pool.pipeline(commands), of: commands)
    }

    /// Pushes the in-progress jobs of every registered process whose heartbeat has expired back
    /// to the front of their queues.
    ///
    /// - Returns: how many jobs were pushed back.
    @discardableResult
    public func recoverDeadProcesses() async throws -> Int {
        let members = try await pool.send("SMEMBERS", keys.processes).arrayValue?.compactMap(\.stringValue) ?? []
        var recovered = 0
        for other in members where other != identity {
            let count = try await recover(other, force: false)
            guard count >= 0 else { continue }
            recovered += count
            logger.notice(
                "pushed back the jobs of a dead worker process",
                metadata: ["identity": "\(other)", "count": "\(count)"])
        }
        return recovered
    }

    /// Stops the heartbeat, pushes any job still in this process's in-progress list back to its
    /// queue, and unregisters the process. Call it after the job runner has stopped.
    public func close() async throws {
        let (heartbeat, reconciliation) = state.withLock { state in
            state.isClosed = true
            state.prefetched.removeAll()
            defer { state.heartbeat = nil }
            return (state.heartbeat, state.ledger.takeSnapshotWaiter())
        }
        heartbeat?.cancel()
        reconciliation?.resume()
        let count = try await recover(identity, force: true)
        _ = try await pool.send("DEL", keys.heartbeat(identity))
        if count > 0 {
            logger.notice(
                "pushed back unfinished jobs on close", metadata: ["identity": "\(identity)", "count": "\(count)"])
        }
    }

    private func recover(_ owner: String, force: Bool) async throws -> Int {
        let reply = try await pool.evaluate(
            RedisQueueScripts.recover,
            keys: [keys.processes, keys.heartbeat(owner), keys.inProgress(owner), keys.queues, keys.dead],
            arguments: [keys.prefix, owner, Self.score(clock.now()), force ? "force" : ""])
        return Int(reply.integerValue ?? 0)
    }
}
