import Foundation

/// Runs blocking work, such as waiting for a child process, on a new thread of its own.
///
/// Swift's cooperative pool has one thread per core, two on the CI machines. A test that blocks one
/// of them for the seconds a Python or Ruby process takes stalls every other test running beside
/// it, and their timeouts then fail for no fault of their own.
public func runOnOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}
