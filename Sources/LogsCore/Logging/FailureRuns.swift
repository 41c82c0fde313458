import Synchronization

/// Consecutive failures counted per key, such as a send target, so that each run of failures is
/// logged once instead of once per failure.
public final class FailureRuns: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    public init() {}

    /// Counts a failure for `key` and returns true when it starts a run.
    public func recordFailure(_ key: String) -> Bool {
        counts.withLock { counts in
            counts[key, default: 0] += 1
            return counts[key] == 1
        }
    }

    /// Ends the run for `key` and returns its number of failures, or nil when there was none.
    public func recordSuccess(_ key: String) -> Int? {
        counts.withLock { counts in
            counts.removeValue(forKey: key)
        }
    }
}

extension FailureRuns {
    /// Counts a failure for `key` and logs it: `message` at `level` when it starts a run, and
    /// `repeatMessage` at debug level, when given, for each failure after that.
    public func logFailure(
        _ key: String, to logger: Logger, level: Logger.Level, _ message: Logger.Message,
        repeatMessage: Logger.Message? = nil, metadata: @autoclosure () -> Logger.Metadata,
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        if recordFailure(key) {
            logger.log(level: level, message, metadata: metadata(), file: file, function: function, line: line)
        } else if let repeatMessage {
            logger.log(level: .debug, repeatMessage, metadata: metadata(), file: file, function: function, line: line)
        }
    }

    /// Ends the run for `key` and, when there was one, logs `message` at info level with the
    /// run's number of failures as `countName` beside `metadata`.
    public func logRecovery(
        _ key: String, to logger: Logger, _ message: Logger.Message, countName: String,
        metadata: @autoclosure () -> Logger.Metadata = [:], file: String = #fileID, function: String = #function,
        line: UInt = #line
    ) {
        guard let failures = recordSuccess(key) else { return }
        var fields = metadata()
        fields[countName] = "\(failures)"
        logger.log(level: .info, message, metadata: fields, file: file, function: function, line: line)
    }
}
