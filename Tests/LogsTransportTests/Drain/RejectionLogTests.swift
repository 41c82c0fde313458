import LogsCore
import Testing

@testable import LogsTransport

@Suite("Rejection log")
struct RejectionLogTests {
    let handler = RecordingLogHandler()
    let start = ContinuousClock.now

    func makeLog(interval: Duration = .seconds(10)) -> RejectionLog {
        let handler = self.handler
        return RejectionLog(interval: interval, logger: Logger(label: "rejections", factory: { _ in handler }))
    }

    func record(_ log: RejectionLog, _ reason: String, tag: UInt64, after offset: Duration) {
        log.record(
            reason: reason, deliveryTag: tag, bytes: 12, consumer: 1, deadQueue: "dead", now: start + offset)
    }

    @Test("first rejection is logged with its details")
    func logsFirstRejection() {
        let log = makeLog()
        record(log, "invalid_json", tag: 7, after: .zero)
        let entries = handler.entries
        #expect(entries.count == 1)
        #expect(entries.first?.level == .warning)
        #expect(entries.first?.metadata["reason"]?.description == "invalid_json")
        #expect(entries.first?.metadata["delivery_tag"]?.description == "7")
        #expect(entries.first?.metadata["bytes"]?.description == "12")
        #expect(entries.first?.metadata["suppressed"] == nil)
    }

    @Test("repeats within the interval are counted")
    func countsRepeats() {
        let log = makeLog()
        record(log, "invalid_json", tag: 1, after: .zero)
        record(log, "invalid_json", tag: 2, after: .seconds(1))
        record(log, "missing_job_id", tag: 3, after: .seconds(2))
        record(log, "invalid_json", tag: 4, after: .seconds(9))
        #expect(handler.entries.count == 1)

        record(log, "invalid_base64", tag: 5, after: .seconds(11))
        let entries = handler.entries
        #expect(entries.count == 2)
        #expect(entries.last?.metadata["reason"]?.description == "invalid_base64")
        #expect(entries.last?.metadata["delivery_tag"]?.description == "5")
        #expect(entries.last?.metadata["suppressed"]?.description == "3")
        #expect(entries.last?.metadata["suppressed_reasons"]?.description == "invalid_json=2,missing_job_id=1")
    }

    @Test("interval restarts at each logged line")
    func intervalRestarts() {
        let log = makeLog()
        record(log, "invalid_json", tag: 1, after: .zero)
        record(log, "invalid_json", tag: 2, after: .seconds(10))
        record(log, "invalid_json", tag: 3, after: .seconds(15))
        #expect(handler.entries.count == 2)
        #expect(handler.entries.last?.metadata["suppressed"] == nil)
    }

    @Test("flush logs only what was not logged")
    func flushLogsSuppressed() {
        let log = makeLog()
        log.flush()
        #expect(handler.entries.isEmpty)

        record(log, "invalid_json", tag: 1, after: .zero)
        log.flush()
        #expect(handler.entries.count == 1)

        record(log, "unknown_encoding", tag: 2, after: .seconds(1))
        record(log, "unknown_encoding", tag: 3, after: .seconds(2))
        log.flush()
        let entries = handler.entries
        #expect(entries.count == 2)
        #expect(entries.last?.metadata["suppressed"]?.description == "2")
        #expect(entries.last?.metadata["suppressed_reasons"]?.description == "unknown_encoding=2")
        log.flush()
        #expect(handler.entries.count == 2)
    }
}
