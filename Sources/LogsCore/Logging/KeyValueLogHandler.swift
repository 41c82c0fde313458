import Foundation

/// A handler that writes each event as one line of `key=value` fields (the logfmt style).
///
/// A line looks like
/// `time=2026-12-04T10:06:07.123Z level=info label=travis-logs.drain msg="batch stored" job_id=12 queue=log_parts`.
/// `time` is UTC with milliseconds. The metadata fields follow `msg`, sorted by key, with nested
/// dictionaries flattened into dotted keys (`s3.bucket=logs`). ``formatLine(time:level:label:message:metadata:)``
/// describes the quoting.
public struct KeyValueLogHandler: LogHandler {
    /// The label of the logger that owns this handler.
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let output: Output
    private let now: @Sendable () -> Date

    private static let timeStyle = Date.ISO8601FormatStyle(
        includingFractionalSeconds: true,
        timeZone: TimeZone(secondsFromGMT: 0)!
    )

    /// Creates a handler.
    ///
    /// - Parameters:
    ///   - label: The label written in the `label=` field of every line.
    ///   - logLevel: The lowest level written.
    ///   - output: Where the lines go, standard error by default.
    ///   - now: The clock for the `time=` field; tests pass a fixed one.
    public init(
        label: String,
        logLevel: Logger.Level = .info,
        output: Output = .standardError,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.label = label
        self.logLevel = logLevel
        self.output = output
        self.now = now
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
        let text = Self.formatLine(
            time: Self.timeStyle.format(now()),
            level: level,
            label: label,
            message: message.description,
            metadata: merged
        )
        output.write(line: text)
    }
}
