import Foundation

/// One live log event: a part sent to browsers watching a job.
public struct LogPartEvent: Sendable, Hashable {
    /// The Pusher event name the original service uses.
    public static let eventName = "job:log"
    /// Pusher rejects events whose data is larger than this many bytes.
    public static let maximumDataSize = 10_240

    public var channel: String
    public var jobID: JobID
    public var content: String
    public var number: Int
    public var isFinal: Bool

    public init(channel: String, jobID: JobID, content: String, number: Int, isFinal: Bool) {
        self.channel = channel
        self.jobID = jobID
        self.content = content
        self.number = number
        self.isFinal = isFinal
    }

    /// The channel of a job: `job-<id>`, or `private-job-<id>` when channels are private.
    public static func channel(for jobID: JobID, isPrivate: Bool) -> String {
        (isPrivate ? "private-job-" : "job-") + String(jobID.rawValue)
    }

    /// The event data as the original sends it: `{"id", "_log", "number", "final"}`.
    public func data() -> Data {
        dataValue.jsonData()
    }

    /// The JSON object that `data()` serializes.
    public var dataValue: JSONValue {
        .object([
            "id": .integer(jobID.rawValue), "_log": .string(content), "number": .integer(Int64(number)),
            "final": .bool(isFinal),
        ])
    }

    /// Returns the event with its content cut, at a character boundary, so that its data is at
    /// most `maximumSize` bytes, and whether anything was cut.
    public func truncated(toDataSize maximumSize: Int = LogPartEvent.maximumDataSize) -> (LogPartEvent, Bool) {
        // JSON escapes a byte as at most 6 bytes (`\u00xx`), and the other members take fewer than
        // 100, so shorter content fits without serializing it.
        if content.utf8.count * 6 + 100 <= maximumSize { return (self, false) }
        guard data().count > maximumSize else { return (self, false) }
        let scalars = Array(content.unicodeScalars)
        var low = 0
        var high = scalars.count
        while low < high {
            let middle = (low + high + 1) / 2
            if withContent(scalars[..<middle]).data().count <= maximumSize {
                low = middle
            } else {
                high = middle - 1
            }
        }
        return (withContent(scalars[..<low]), true)
    }

    private func withContent(_ scalars: ArraySlice<Unicode.Scalar>) -> LogPartEvent {
        var copy = self
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars)
        copy.content = text
        return copy
    }
}

/// A way to send live events to browsers.
///
/// Implementations: Pusher in LogsTransport, the stream endpoint's fan-out, and
/// `RecordingBroadcaster` and `InMemoryLiveStream` here.
public protocol Broadcaster: Sendable {
    func broadcast(_ events: [LogPartEvent]) async throws
}
