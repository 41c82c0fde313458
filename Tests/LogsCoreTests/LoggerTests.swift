import Foundation
import Synchronization
import Testing

@testable import LogsCore

@Suite("Logger")
struct LoggerTests {
    /// 2026-12-04T10:06:07.123Z, with a fraction that survives the conversion to Double.
    static let fixedDate = Date(timeIntervalSince1970: 1_796_378_767.1234)

    /// Returns a logger whose key=value lines go into the returned collector.
    static func makeKeyValueLogger(label: String = "travis-logs.drain") -> (Logger, LineCollector) {
        let collector = LineCollector()
        let handler = KeyValueLogHandler(
            label: label,
            output: .custom { collector.append($0) },
            now: { fixedDate }
        )
        return (Logger(label: label, factory: { _ in handler }), collector)
    }

    static func formatValue(_ value: String) -> String {
        let line = KeyValueLogHandler.formatLine(
            time: "t", level: .info, label: "l", message: "m", metadata: ["v": .string(value)])
        return String(line.dropFirst("time=t level=info label=l msg=m v=".count))
    }

    @Test("levels are ordered by severity")
    func levelOrder() {
        #expect(Logger.Level.allCases == [.trace, .debug, .info, .notice, .warning, .error, .critical])
        #expect(Logger.Level.allCases.sorted() == Logger.Level.allCases)
        #expect(Logger.Level.debug < .info)
        #expect(Logger.Level.critical > .error)
    }

    @Test("level names with Ruby aliases")
    func levelParsing() {
        #expect(Logger.Level(name: "info") == .info)
        #expect(Logger.Level(name: " DEBUG\n") == .debug)
        #expect(Logger.Level(name: "warn") == .warning)
        #expect(Logger.Level(name: "fatal") == .critical)
        #expect(Logger.Level(name: "verbose") == nil)
        #expect(Logger.Level(name: "") == nil)
    }

    @Test("events below level skipped lazily")
    func levelFilter() {
        var handler = RecordingLogHandler()
        handler.logLevel = .info
        let logger = Logger(label: "test", factory: { _ in handler })
        var messageBuilt = false
        func expensiveMessage() -> Logger.Message {
            messageBuilt = true
            return "expensive"
        }

        logger.debug(expensiveMessage())
        logger.info("kept")
        logger.error("also kept")

        #expect(!messageBuilt)
        #expect(handler.entries.map(\.message) == ["kept", "also kept"])
        #expect(handler.entries.map(\.level) == [.info, .error])
    }

    @Test("level and metadata reach handler")
    func loggerForwardsToHandler() {
        let handler = RecordingLogHandler(label: "test")
        var logger = Logger(label: "test", factory: { _ in handler })
        logger.logLevel = .warning
        logger[metadataKey: "queue"] = "log_parts"

        #expect(logger.logLevel == .warning)
        #expect(logger[metadataKey: "queue"] == "log_parts")
        #expect(logger.label == "test")
        logger.info("dropped")
        logger.warning("kept")
        #expect(handler.entries.count == 1)
        #expect(handler.entries.first?.metadata == ["queue": "log_parts"])
    }

    @Test("event metadata overrides logger's")
    func metadataMerge() throws {
        let handler = RecordingLogHandler()
        var logger = Logger(label: "test", factory: { _ in handler })
        logger[metadataKey: "job_id"] = "1"
        logger[metadataKey: "queue"] = "log_parts"

        logger.info("stored", metadata: ["job_id": "2", "log_id": "7"])

        let entry = try #require(handler.entries.first)
        #expect(entry.metadata == ["job_id": "2", "log_id": "7", "queue": "log_parts"])
    }

    @Test("source defaults to module")
    func sourceLocation() throws {
        let handler = RecordingLogHandler()
        let logger = Logger(label: "test", factory: { _ in handler })

        logger.notice("here")
        logger.log(level: .critical, "there", source: "custom")

        let entries = handler.entries
        #expect(entries.count == 2)
        #expect(entries[0].source == "LogsCoreTests")
        #expect(entries[0].file == "LogsCoreTests/LoggerTests.swift")
        #expect(entries[0].function == "sourceLocation()")
        #expect(entries[0].line > 0)
        #expect(entries[1].source == "custom")
        #expect(entries[1].level == .critical)
    }

    @Test("metadata value literals")
    func metadataLiterals() {
        let jobID = 12
        let interpolated: Logger.MetadataValue = "\(jobID)"
        let array: Logger.MetadataValue = ["a", "b"]
        let dictionary: Logger.MetadataValue = ["bucket": "logs", "retries": ["1", "2"]]

        #expect(interpolated == .string("12"))
        #expect(array == .array([.string("a"), .string("b")]))
        #expect(dictionary == .dictionary(["bucket": .string("logs"), "retries": .array(["1", "2"])]))
        #expect(Logger.MetadataValue.stringConvertible(12) == .stringConvertible("12"))
        #expect(Logger.MetadataValue.stringConvertible(12) != .string("12"))
        #expect(array.description == "[\"a\", \"b\"]")
    }

    @Test("key=value line layout")
    func keyValueLine() {
        let (logger, collector) = Self.makeKeyValueLogger()

        logger.info("batch stored", metadata: ["queue": "log_parts", "job_id": .stringConvertible(12)])

        #expect(
            collector.lines == [
                "time=2026-12-04T10:06:07.123Z level=info label=travis-logs.drain msg=\"batch stored\" job_id=12 queue=log_parts"
            ]
        )
    }

    @Test("key=value default level is info")
    func keyValueLevel() {
        let (logger, collector) = Self.makeKeyValueLogger()

        logger.debug("hidden")
        logger.warning("shown")

        #expect(collector.lines.count == 1)
        #expect(collector.lines.first?.contains("level=warning") == true)
    }

    @Test(
        "key=value quoting and escaping",
        arguments: [
            ("plain", "plain"),
            ("job-12/part_3:ok.txt", "job-12/part_3:ok.txt"),
            ("", "\"\""),
            ("two words", "\"two words\""),
            ("a=b", "\"a=b\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("back\\slash", "\"back\\\\slash\""),
            ("line\nbreak", "\"line\\nbreak\""),
            ("cr\rtab\t", "\"cr\\rtab\\t\""),
            ("bell\u{7}", "\"bell\\u0007\""),
            ("escape\u{1B}[0m", "\"escape\\u001b[0m\""),
            ("para\u{2029}graph", "\"para\\u2029graph\""),
            ("ünïcode", "ünïcode"),
        ]
    )
    func keyValueQuoting(value: String, expected: String) {
        #expect(Self.formatValue(value) == expected)
    }

    @Test("key=value nested metadata and keys")
    func keyValueMetadataShapes() {
        let line = KeyValueLogHandler.formatLine(
            time: "t",
            level: .error,
            label: "my label",
            message: "",
            metadata: [
                "s3": ["bucket": "logs", "attempt": .stringConvertible(2)],
                "ids": [.stringConvertible(1), .stringConvertible(2)],
                "msg": "collides",
                "bad key=": "x",
                "empty": [:],
            ]
        )

        #expect(
            line
                == "time=t level=error label=\"my label\" msg=\"\" _msg=collides bad_key_=x empty={} ids=[1,2] s3.attempt=2 s3.bucket=logs"
        )
    }

    @Test("multi-line message stays one line")
    func keyValueMultilineMessage() {
        let (logger, collector) = Self.makeKeyValueLogger()

        logger.error("first\nsecond", metadata: ["error": "disk\r\nfull"])

        #expect(collector.lines.count == 1)
        #expect(collector.lines.first?.contains("\n") == false)
        #expect(collector.lines.first?.hasSuffix("msg=\"first\\nsecond\" error=\"disk\\r\\nfull\"") == true)
    }

    @Test("concurrent pipe writes stay whole")
    func concurrentPipeWrites() throws {
        let pipe = Pipe()
        let output = KeyValueLogHandler.Output.fileHandle(pipe.fileHandleForWriting)
        // Lines longer than a Linux pipe's 64 KiB buffer, so each write blocks midway and only the
        // lock keeps lines whole.
        let padding = String(repeating: "x", count: 100_000)
        let threads = 8
        let linesPerThread = 20
        // The reader runs on its own thread, so a full pipe cannot block the writers for good.
        let received = Mutex(Data())
        let readerDone = DispatchSemaphore(value: 0)
        Thread {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            received.withLock { $0 = data }
            readerDone.signal()
        }.start()

        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let logger = Logger(label: "thread-\(thread)") { KeyValueLogHandler(label: $0, output: output) }
            for number in 0..<linesPerThread {
                logger.info("line", metadata: ["thread": "\(thread)", "number": "\(number)", "padding": "\(padding)"])
            }
        }
        try pipe.fileHandleForWriting.close()

        readerDone.wait()

        let text = String(decoding: received.withLock { $0 }, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")
        let events = lines.dropLast()
        #expect(events.count == threads * linesPerThread)
        var linesPerThreadSeen: [String: Int] = [:]
        for line in events {
            let isWhole =
                line.hasPrefix("time=") && line.contains(" msg=line number=")
                && line.contains(" padding=\(padding) thread=")
            #expect(isWhole, "malformed line of \(line.utf8.count) bytes")
            if let thread = line.split(separator: " ").last {
                linesPerThreadSeen[String(thread), default: 0] += 1
            }
        }
        #expect(linesPerThreadSeen.count == threads)
        #expect(linesPerThreadSeen.values.allSatisfy { $0 == linesPerThread })
    }

    @Test("recording handler under concurrency")
    func concurrentRecording() {
        let handler = RecordingLogHandler()
        let logger = Logger(label: "test", factory: { _ in handler })

        DispatchQueue.concurrentPerform(iterations: 1000) { number in
            logger.info("event", metadata: ["number": "\(number)"])
        }

        #expect(handler.entries.count == 1000)
        #expect(Set(handler.entries.compactMap { $0.metadata["number"]?.description }).count == 1000)
        handler.removeAll()
        #expect(handler.entries.isEmpty)
    }

    @Test("default handler without bootstrap")
    func defaultHandler() {
        let logger = Logger(label: "travis-logs.test")

        #expect(logger.label == "travis-logs.test")
        #expect(logger.logLevel == .info)
        #expect(logger.handler is KeyValueLogHandler)
    }
}

/// Collects lines from a ``KeyValueLogHandler/Output/custom(_:)`` output.
final class LineCollector: Sendable {
    private let storage = Mutex<[String]>([])

    func append(_ line: String) {
        storage.withLock { $0.append(line) }
    }

    var lines: [String] {
        storage.withLock { $0 }
    }
}
