import CurlClient
import Foundation
import LogsCore
import Testing

/// A running job watched live: a browser-like client on the event stream of `web`, and the Pusher
/// stand-in, while the drain and the workers store the parts.
@Suite(
    "End to end: live parts", .serialized,
    .enabled(if: EndToEndSystem.isAvailable, "the end-to-end tests need the services that script/test starts"))
struct LiveEndToEndTests {
    @Test("stream and Pusher get every part once", .timeLimit(.minutes(4)))
    func streamAndPusher() async throws {
        try await EndToEndSystem.with { system in
            let log = WorkerLog(
                name: "live", jobID: system.jobIDBase,
                bytes: Array((1...600).map { "live line \($0) \u{1B}[1mbold\u{1B}[0m ok\n" }.joined().utf8))
            let messages = log.messages

            // The client connects before the job's first part, as a browser watching a queued job.
            async let streamed = system.streamEvents(jobID: log.jobID)
            try await Task.sleep(for: .seconds(1))
            for message in messages {
                try await system.publish([message])
                try await Task.sleep(for: .milliseconds(100))
            }

            let events = try await streamed
            let numbers = events.compactMap { $0.id }
            #expect(numbers == Array(1...messages.count), "stream part numbers: \(numbers)")
            #expect(events.last?.name == "end", "the stream did not end after the final part")

            try await system.wait(for: "Pusher to receive every part", timeout: .seconds(60)) {
                try await system.pusherEvents().filter { $0.channel == "job-\(log.jobID)" }.count >= messages.count
            }
            let pushed = try await system.pusherEvents().filter { $0.channel == "job-\(log.jobID)" }
            // NOTE: Pusher events are checked as a set: the worker_critical process runs five
            // forwarding jobs at once, as the original's does, so their order can vary.
            let pushedNumbers = pushed.compactMap { $0.data["number"]?.integerValue.map(Int.init) }
            #expect(pushedNumbers.sorted() == Array(1...messages.count), "Pusher part numbers: \(pushedNumbers)")
            #expect(pushed.last?.data["final"] == .bool(true))
            let pushedText = pushed.sorted {
                ($0.data["number"]?.integerValue ?? 0) < ($1.data["number"]?.integerValue ?? 0)
            }
            .compactMap { $0.data["_log"]?.stringValue }.joined()
            #expect(Array(pushedText.utf8) == log.expected, "the Pusher events' text differs from the log")
        }
    }
}

extension EndToEndSystem {
    /// One server-sent event: its `id`, `event` name and `data`.
    struct StreamEvent: Sendable {
        var id: Int?
        var name: String
        var data: String
    }

    /// Reads `GET /logs/:job_id/stream` until the server ends it, and returns the events in order.
    func streamEvents(jobID: Int64) async throws -> [StreamEvent] {
        let client = try CurlHTTPClient(name: "e2e-stream", options: .init(timeout: .seconds(180)))
        let response = try await client.execute(
            HTTPRequest(
                method: "GET", url: webURL + "/logs/\(jobID)/stream", headers: [("Authorization", "token \(token)")]))
        guard response.status == 200 else { throw EndToEndError("the stream answered \(response.status)") }
        return String(decoding: response.body, as: UTF8.self).components(separatedBy: "\n\n").compactMap { block in
            var event = StreamEvent(id: nil, name: "message", data: "")
            var sawField = false
            for line in block.split(separator: "\n") where !line.hasPrefix(":") {
                sawField = true
                if line.hasPrefix("id: ") { event.id = Int(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { event.name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { event.data += line.dropFirst(6) }
            }
            return sawField ? event : nil
        }
    }
}
