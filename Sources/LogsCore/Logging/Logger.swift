/// A value that sends log events to a ``LogHandler``.
///
/// The shape follows swift-log's `Logger` (label, level, metadata subscript, one method per level), so
/// code written against it moves to swift-log by changing the import. Libraries take a `Logger` from
/// their caller. Executables choose the handler, either per logger with ``init(label:factory:)`` or
/// once per process with ``LoggingSystem/bootstrap(_:)``.
public struct Logger: Sendable {
    /// The handler that formats and writes the events of this logger.
    public var handler: any LogHandler

    /// The name of the component that logs, such as `travis-logs.drain`.
    public let label: String

    /// Creates a logger whose handler comes from the factory given to ``LoggingSystem/bootstrap(_:)``.
    ///
    /// Without a bootstrap, the handler is a ``KeyValueLogHandler`` writing to standard error.
    public init(label: String) {
        self.init(label: label, factory: LoggingSystem.makeHandler(label:))
    }

    /// Creates a logger with a handler made by `factory`, bypassing the process-wide bootstrap.
    public init(label: String, factory: (String) -> any LogHandler) {
        self.label = label
        self.handler = factory(label)
    }

    /// The lowest level that this logger sends to its handler.
    public var logLevel: Logger.Level {
        get { handler.logLevel }
        set { handler.logLevel = newValue }
    }

    /// Metadata attached to every event of this logger, such as `job_id`.
    public subscript(metadataKey key: String) -> Logger.MetadataValue? {
        get { handler[metadataKey: key] }
        set { handler[metadataKey: key] = newValue }
    }

    /// Sends an event to the handler when `level` is at or above ``logLevel``.
    ///
    /// The message and metadata closures run only when the event is sent.
    ///
    /// - Parameters:
    ///   - level: The severity of the event.
    ///   - message: The text of the event. It must not contain secrets or log content.
    ///   - metadata: Values added to this event only, overriding the logger's metadata with the same key.
    ///   - source: The module that logs, by default taken from `file`.
    @inlinable
    public func log(
        level: Logger.Level,
        _ message: @autoclosure () -> Logger.Message,
        metadata: @autoclosure () -> Logger.Metadata? = nil,
        source: @autoclosure () -> String? = nil,
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line
    ) {
        guard handler.logLevel <= level else {
            return
        }
        handler.log(
            level: level,
            message: message(),
            metadata: metadata(),
            source: source() ?? Logger.module(fileID: file),
            file: file,
            function: function,
            line: line
        )
    }

    /// Returns the module part of a `#fileID` value (`LogsCore/Drain.swift` gives `LogsCore`).
    @usableFromInline
    static func module(fileID: String) -> String {
        guard let slash = fileID.firstIndex(of: "/") else {
            return "n/a"
        }
        return String(fileID[..<slash])
    }
}
