import LogsCore
import LogsTransport
import Testing

@testable import LogsHTTP

/// How the Redis live event source handles the messages of jobs that no client watches. The
/// source is not started, so these tests hand it messages directly and need no Redis.
@Suite("Redis live event source messages", .timeLimit(.minutes(1)))
struct RedisLiveEventSourceTests {
    static func makeSource(logs: RecordingLogHandler) throws -> RedisLiveEventSource {
        RedisLiveEventSource(
            endpoint: try RedisEndpoint(url: "redis://127.0.0.1:1"), logger: Logger(label: "web") { _ in logs })
    }

    static func message(_ job: Int64, _ number: Int) -> String {
        RedisLiveChannel.message(
            for: LogPartEvent(channel: "job-\(job)", jobID: JobID(job), content: "text", number: number, isFinal: false)
        )
    }

    @Test("unwatched job's message not decoded")
    func unwatchedMessageNotDecoded() async throws {
        let logs = RecordingLogHandler()
        let source = try Self.makeSource(logs: logs)
        // Valid up to the job id, then invalid: decoding it would log a warning.
        let invalidAfterID = #"{"id":5,"number":"one"}"#
        source.receive(invalidAfterID)
        #expect(logs.entries.isEmpty)

        let live = await source.subscribe(jobID: JobID(5))
        source.receive(invalidAfterID)
        #expect(logs.entries.map(\.message) == ["skipped a live message that is not a log part event"])
        withExtendedLifetime(live) {}
    }

    @Test("watched job's parts delivered, others skipped")
    func watchedPartsDelivered() async throws {
        let source = try Self.makeSource(logs: RecordingLogHandler())
        let live = await source.subscribe(jobID: JobID(5))
        source.receive(Self.message(6, 1))
        source.receive(Self.message(5, 1))
        source.receive(Self.message(6, 2))
        source.receive(Self.message(5, 2))
        source.stop()
        var numbers: [Int] = []
        for await event in live {
            if case .part(let part) = event {
                #expect(part.jobID == JobID(5))
                numbers.append(part.number)
            }
        }
        #expect(numbers == [1, 2])
    }

    @Test("message without a readable job id still decoded")
    func messageWithoutJobIDDecoded() throws {
        let logs = RecordingLogHandler()
        let source = try Self.makeSource(logs: logs)
        source.receive("not json")
        #expect(logs.entries.map(\.message) == ["skipped a live message that is not a log part event"])
    }
}
