/// A back end that formats log events and writes them somewhere.
///
/// The requirements match swift-log's `LogHandler`, so handlers written for this module can be moved
/// to swift-log unchanged. A handler is a value: each ``Logger`` has its own copy, so setting the
/// level or metadata on one logger does not change another one.
public protocol LogHandler: Sendable {
    /// Formats and writes one event.
    ///
    /// ``Logger`` calls this only when `level` is at or above ``logLevel``.
    ///
    /// - Parameters:
    ///   - metadata: The metadata of this event only. The handler merges it over its own ``metadata``.
    ///   - source: The module that logged the event.
    func log(
        level: Logger.Level,
        message: Logger.Message,
        metadata: Logger.Metadata?,
        source: String,
        file: String,
        function: String,
        line: UInt
    )

    /// The metadata value for `key` that this handler adds to every event.
    subscript(metadataKey key: String) -> Logger.Metadata.Value? { get set }

    /// The metadata that this handler adds to every event.
    var metadata: Logger.Metadata { get set }

    /// The lowest level that this handler writes.
    var logLevel: Logger.Level { get set }
}
