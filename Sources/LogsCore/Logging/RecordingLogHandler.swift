import Synchronization

/// A handler that keeps every event in memory, for tests.
///
/// Copies of a handler share their entries, so a test can keep one copy, give another to a
/// ``Logger`` with ``Logger/init(label:factory:)``, and read ``entries`` afterwards. It is safe to
/// log from many threads at once.
public struct RecordingLogHandler: LogHandler {
    /// One recorded event, with the handler's metadata merged under the event's own.
    public struct Entry: Sendable, Equatable {
        public var label: String
        public var level: Logger.Level
        public var message: String
        public var metadata: Logger.Metadata
        public var source: String
        public var file: String
        public var function: String
        public var line: UInt
    }

    /// The label stored in each entry.
    public let label: String
    /// The lowest level recorded; every level by default.
    public var logLevel: Logger.Level = .trace
    public var metadata: Logger.Metadata = [:]
    private let storage = Storage()

    public init(label: String = "test") {
        self.label = label
    }

    /// The events recorded so far by this handler and its copies, oldest first.
    public var entries: [Entry] {
        storage.entries.withLock { $0 }
    }

    /// Forgets the events recorded so far.
    public func removeAll() {
        storage.entries.withLock { $0.removeAll() }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level,
        message: Logger.Message,
        metadata eventMetadata: Logger.Metadata?,
        source: String,
        file: String,
        function: String,
        line: UInt
    ) {
        var merged = metadata
        if let eventMetadata {
            merged.merge(eventMetadata) { _, eventValue in eventValue }
        }
        let entry = Entry(
            label: label,
            level: level,
            message: message.description,
            metadata: merged,
            source: source,
            file: file,
            function: function,
            line: line
        )
        storage.entries.withLock { $0.append(entry) }
    }

    private final class Storage: Sendable {
        let entries = Mutex<[Entry]>([])
    }
}
