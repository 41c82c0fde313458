import Foundation

/// A serial executor that runs every job on one dedicated thread.
///
/// The C libraries behind the production implementations block, and blocking calls must stay off
/// Swift's cooperative thread pool, which has one thread per core. An actor that owns a C handle
/// returns this executor from `unownedExecutor`, so its methods run on the dedicated thread and may
/// block there while other tasks go on:
///
/// ```swift
/// actor Connection {
///     let executor = ThreadExecutor(name: "postgres-1")
///     nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
/// }
/// ```
///
/// Each hop onto the thread costs a thread wake-up, so callers hop once per batch, not per item.
/// `shutdown()` lets the thread end once it has no work; work that arrives later starts a new
/// thread, so a late call never hangs.
public final class ThreadExecutor: SerialExecutor, @unchecked Sendable {
    // @unchecked Sendable: every stored variable is only read or written while `condition` is
    // locked.
    private let condition = NSCondition()
    private var pending: [UnownedJob] = []
    private var blockingCalls: [@Sendable () -> Void] = []
    private var isStopping = false
    private var isRunning = false
    private weak var thread: Thread?

    public let name: String

    public init(name: String) {
        self.name = name
        condition.lock()
        startThreadLocked()
        condition.unlock()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        pending.append(unowned)
        wakeLocked()
        condition.unlock()
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Whether the calling code runs on this executor's thread.
    public var isCurrent: Bool {
        condition.lock()
        defer { condition.unlock() }
        return thread != nil && Thread.current === thread
    }

    /// Lets the thread end once the work already enqueued has run.
    public func shutdown() {
        condition.lock()
        isStopping = true
        condition.signal()
        condition.unlock()
    }

    /// Runs a blocking closure on this executor's thread and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let call = BlockingCall(body: body, continuation: continuation)
            condition.lock()
            blockingCalls.append(call.run)
            wakeLocked()
            condition.unlock()
        }
    }

    /// Signals the thread, or starts a new one when the last has ended. Called with `condition` locked.
    private func wakeLocked() {
        if isRunning {
            condition.signal()
        } else {
            isStopping = false
            startThreadLocked()
        }
    }

    private func startThreadLocked() {
        isRunning = true
        // The thread keeps the executor alive until its loop returns; the executor keeps the
        // thread only weakly, so neither outlives the other once the loop has ended.
        let thread = Thread { self.runLoop() }
        thread.name = name
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
    }

    private func runLoop() {
        while true {
            condition.lock()
            while pending.isEmpty && blockingCalls.isEmpty && !isStopping {
                condition.wait()
            }
            if pending.isEmpty && blockingCalls.isEmpty {
                isRunning = false
                condition.unlock()
                return
            }
            let jobs = pending
            let calls = blockingCalls
            pending.removeAll(keepingCapacity: true)
            blockingCalls.removeAll(keepingCapacity: true)
            condition.unlock()

            for job in jobs {
                job.runSynchronously(on: asUnownedSerialExecutor())
            }
            for call in calls {
                call()
            }
        }
    }
}

private struct BlockingCall<T: Sendable>: Sendable {
    let body: @Sendable () throws -> T
    let continuation: CheckedContinuation<T, any Error>

    var run: @Sendable () -> Void {
        { continuation.resume(with: Result { try body() }) }
    }
}
