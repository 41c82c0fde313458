import Foundation
import LogsCore
import Synchronization

/// Wakes tasks waiting in `SQLiteJobQueue.reserve` when this process pushes a job.
///
/// A waiter reads `generation` before it looks for a job and passes it to `wait`, which returns
/// at once when a push came in between, so no push is missed. Jobs pushed by another connection
/// to the file are not signalled: waiters find them when their wait times out.
final class PushSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waiters whose timeout or cancellation came before they were registered.
        var woken: Set<UInt64> = []
        var nextWaiterID: UInt64 = 0
    }

    private let state = Mutex(State())

    var generation: UInt64 {
        state.withLock { $0.generation }
    }

    /// Wakes every waiter.
    func signal() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            let waiters = state.waiters.values
            state.waiters.removeAll()
            return Array(waiters)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until `signal()` or until `timeout` passes on `clock`, whichever comes first.
    ///
    /// Returns at once when a signal came after `generation` was read.
    func wait(after generation: UInt64, upTo timeout: Duration, clock: any LogsClock) async {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let timer = Task { [weak self] in
            try? await clock.sleep(for: timeout)
            if !Task.isCancelled { self?.wake(id) }
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.woken.remove(id) != nil || state.generation != generation || Task.isCancelled {
                        return true
                    }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            wake(id)
        }
        timer.cancel()
        state.withLock { _ = $0.woken.remove(id) }
    }

    private func wake(_ id: UInt64) {
        let waiter = state.withLock { state in
            guard let waiter = state.waiters.removeValue(forKey: id) else {
                state.woken.insert(id)
                return nil as CheckedContinuation<Void, Never>?
            }
            return waiter
        }
        waiter?.resume()
    }
}
