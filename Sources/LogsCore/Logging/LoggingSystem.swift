import Synchronization

/// The process-wide choice of handler for loggers made with ``Logger/init(label:)``.
///
/// Only executables call ``bootstrap(_:)``. Libraries take a ``Logger`` from their caller.
public enum LoggingSystem {
    private struct State {
        var factory: @Sendable (String) -> any LogHandler
        var isBootstrapped: Bool
    }

    private static let state = Mutex(
        State(factory: { KeyValueLogHandler(label: $0) }, isBootstrapped: false)
    )

    /// Sets the handler factory for every later ``Logger/init(label:)`` call in this process.
    ///
    /// As in swift-log, this may be called once per process. A second call is a programming error
    /// and stops the process. Loggers made before the call keep their handlers.
    public static func bootstrap(_ factory: @escaping @Sendable (String) -> any LogHandler) {
        state.withLock { state in
            precondition(!state.isBootstrapped, "LoggingSystem.bootstrap may be called only once per process")
            state.factory = factory
            state.isBootstrapped = true
        }
    }

    /// Makes a handler with the bootstrapped factory, or a ``KeyValueLogHandler`` on standard error.
    static func makeHandler(label: String) -> any LogHandler {
        let factory = state.withLock { $0.factory }
        return factory(label)
    }
}
