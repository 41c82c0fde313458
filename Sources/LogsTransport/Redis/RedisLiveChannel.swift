import Foundation
import LogsCore

/// The Redis pub/sub channel that carries live part events from the processes that forward parts
/// to every `web` process, which streams them to its clients.
///
/// All jobs share one channel, and each message is the event's Pusher data,
/// `{"id": <job id>, "_log": "<text>", "number": <n>, "final": <bool>}`, so a subscriber reads
/// the job id from the message. Pub/sub channels are shared by every database of a Redis server,
/// so two deployments on one server need different channel names.
public enum RedisLiveChannel {
    /// The channel name used unless another is configured.
    public static let defaultName = "logs:live-parts"

    /// Encodes an event as a channel message.
    public static func message(for event: LogPartEvent) -> String {
        // The same bytes as `event.data()`, without Foundation's encoder.
        var writer = JSONValueWriter(reservingCapacity: 64 + event.content.utf8.count)
        writer.writeData(of: event)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// Decodes a channel message, or returns nil when the message is not an event's data.
    public static func event(fromMessage message: String) -> LogPartEvent? {
        guard let value = try? JSONValue(parsing: Data(message.utf8)),
            let id = value["id"]?.integerValue, id > 0,
            let content = value["_log"]?.stringValue,
            let number = value["number"]?.integerValue, let partNumber = Int(exactly: number)
        else { return nil }
        let jobID = JobID(id)
        return LogPartEvent(
            channel: LogPartEvent.channel(for: jobID, isPrivate: false), jobID: jobID, content: content,
            number: partNumber, isFinal: value["final"] == .bool(true))
    }
}
