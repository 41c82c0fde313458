import Foundation
import LogsCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Reads `GET /logs/:job_id/stream` and hands each part's text to a callback, in part order, until
/// the log ends.
///
/// When the connection drops before the end, or the server ends the stream while an earlier part
/// is still missing, it connects again with `Last-Event-ID` set to the last part printed with no gap
/// before it. The server then sends the stored parts after it, and repeats are dropped, so no part
/// is printed twice.
struct LiveStreamClient {
    var baseURL: URL
    var jobID: JobID
    var token: String
    /// Connections tried in a row without receiving a part before giving up.
    var maximumAttempts = 5

    /// The failure to read the stream to its end.
    struct StreamError: Error, CustomStringConvertible {
        var description: String
    }

    /// Streams the log, calling `onPart` with each part's number and UTF-8 text in part order.
    ///
    /// - Returns: the number of parts printed, or 0 when the log was already aggregated and
    ///   arrived whole through `onLog`.
    func run(onPart: (Int, [UInt8]) -> Void, onLog: ([UInt8]) -> Void) async throws -> Int {
        var sequence = PartSequence()
        var failedAttempts = 0
        while true {
            let events = try connect(lastEventID: sequence.resumeID)
            var parser = ServerSentEventParser()
            var receivedThisTime = false
            do {
                reading: for try await chunk in events {
                    for event in parser.feed(chunk) {
                        switch event.name {
                        case "part":
                            let part = try Self.part(event)
                            receivedThisTime = true
                            for released in sequence.add(number: part.number, bytes: part.bytes, isFinal: part.isFinal)
                            {
                                onPart(released.number, released.bytes)
                            }
                        case "log":
                            onLog(try Self.wholeLog(event))
                            return 0
                        case "end":
                            if sequence.isComplete { return sequence.releasedCount }
                            break reading
                        default:
                            continue
                        }
                    }
                }
            } catch let error as StreamError {
                throw error
            } catch {
                FileHandle.standardError.write(Data("LiveStream: connection failed: \(error)\n".utf8))
            }
            failedAttempts = receivedThisTime ? 1 : failedAttempts + 1
            guard failedAttempts < maximumAttempts else {
                for released in sequence.releaseRemaining() { onPart(released.number, released.bytes) }
                throw StreamError(description: "the stream ended \(failedAttempts) times in a row before the log's end")
            }
            let resumePoint = sequence.resumeID.map { "after part \($0)" } ?? "from the start"
            FileHandle.standardError.write(
                Data("LiveStream: the stream ended before the log's end; reconnecting \(resumePoint)\n".utf8))
            try await Task.sleep(for: .seconds(1))
        }
    }

    private func connect(lastEventID: String?) throws -> AsyncThrowingStream<Data, any Error> {
        var request = URLRequest(url: baseURL.appendingPathComponent("logs/\(jobID.rawValue)/stream"))
        request.setValue("token \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("text/event-stream", forHTTPHeaderField: "Accept")
        if let lastEventID { request.setValue(lastEventID, forHTTPHeaderField: "Last-Event-ID") }
        return StreamingDelegate.stream(request)
    }

    /// Returns the number, text and final flag of a `part` event, whose data is the Pusher event JSON
    /// `{"id", "_log", "number", "final"}`.
    ///
    /// Each event carries valid UTF-8 on its own, so a character that the worker cut between two
    /// parts arrives as U+FFFD at the end of one part and the start of the next. The aggregated log,
    /// from `GET /logs/:id`, has that character whole.
    static func part(_ event: ServerSentEvent) throws -> (number: Int, bytes: [UInt8], isFinal: Bool) {
        let json = try JSONValue(parsing: Data(event.data.utf8))
        guard let number = json["number"]?.integerValue, let text = json["_log"]?.stringValue else {
            throw StreamError(description: "a part event lacks number or _log: \(event.data.prefix(200))")
        }
        return (Int(number), Array(text.utf8), json["final"] == .bool(true))
    }

    /// Returns the content of a `log` event, sent instead of parts when the log is already aggregated.
    static func wholeLog(_ event: ServerSentEvent) throws -> [UInt8] {
        let json = try JSONValue(parsing: Data(event.data.utf8))
        guard let text = json["content"]?.stringValue else {
            throw StreamError(description: "a log event lacks content")
        }
        return Array(text.utf8)
    }
}
