import Foundation
import Testing

@testable import LogsCore

@Suite("Job")
struct JobTests {
    /// A job exactly as Ruby Sidekiq 6's client writes it to `queue:aggregate`.
    private static let sidekiqJSON =
        #"{"class":"Travis::Logs::Sidekiq::Aggregate","args":[42],"retry":3,"queue":"aggregate","#
        + #""jid":"b4a577edbccf1d805744efa9","created_at":1700000000.123,"enqueued_at":1700000000.456}"#

    private static func job(_ text: String) throws -> Job {
        try Job(jsonData: Data(text.utf8))
    }

    @Test("Sidekiq 6 job JSON is read field by field")
    func decodesSidekiqJob() throws {
        let job = try Self.job(Self.sidekiqJSON)

        #expect(job.className == "Travis::Logs::Sidekiq::Aggregate")
        #expect(job.args == [42])
        #expect(job.retry == .integer(3))
        #expect(job.queue == "aggregate")
        #expect(job.jid == "b4a577edbccf1d805744efa9")
        #expect(job.createdAt == 1_700_000_000.123)
        #expect(job.enqueuedAt == 1_700_000_000.456)
        #expect(job.retryCount == nil)
        #expect(job.failedAt == nil)
        #expect(job.otherFields.isEmpty)
        #expect(job.maximumRetries == 3)
    }

    @Test("Sidekiq 6 job JSON is written back unchanged")
    func writesSidekiqJobBack() throws {
        let original = try JSONValue(parsing: Data(Self.sidekiqJSON.utf8))

        let written = try JSONValue(parsing: try Self.job(Self.sidekiqJSON).jsonData())

        #expect(written == original)
    }

    @Test("retry bookkeeping and unknown keys survive a round trip")
    func unknownKeysKept() throws {
        let text =
            #"{"class":"Travis::Logs::Sidekiq::Archive","args":[7],"retry":true,"queue":"archive","jid":"j1","#
            + #""created_at":1700000000.5,"enqueued_at":1700000001.5,"retry_count":2,"failed_at":1700000002.5,"#
            + #""retried_at":1700000003.5,"error_message":"boom","error_class":"RuntimeError","#
            + #""bid":"batch-1","tags":["a","b"],"error_backtrace":"eJzLSM3JyQcABiwCFQ==","custom":{"n":1,"z":null}}"#
        let original = try JSONValue(parsing: Data(text.utf8))

        let job = try Self.job(text)
        let written = try JSONValue(parsing: job.jsonData())

        #expect(written == original)
        #expect(job.retryCount == 2)
        #expect(job.failedAt == 1_700_000_002.5)
        #expect(job.retriedAt == 1_700_000_003.5)
        #expect(job.errorMessage == "boom")
        #expect(job.errorClass == "RuntimeError")
        #expect(job.otherFields["bid"] == "batch-1")
        #expect(job.otherFields["tags"] == ["a", "b"])
        #expect(job.otherFields["class"] == nil)
        #expect(job.maximumRetries == 25)
    }

    @Test(
        "missing or mistyped field throws invalidJob naming it",
        arguments: [
            ("class", #"{"args":[1],"queue":"q","jid":"j"}"#),
            ("class", #"{"class":5,"args":[1],"queue":"q","jid":"j"}"#),
            ("args", #"{"class":"C","queue":"q","jid":"j"}"#),
            ("args", #"{"class":"C","args":1,"queue":"q","jid":"j"}"#),
            ("queue", #"{"class":"C","args":[1],"jid":"j"}"#),
            ("jid", #"{"class":"C","args":[1],"queue":"q"}"#),
            ("jid", #"{"class":"C","args":[1],"queue":"q","jid":12}"#),
        ]
    )
    func missingField(field: String, text: String) {
        let error = #expect(throws: LogsError.self) { try Self.job(text) }

        #expect(error?.code == .invalidJob)
        #expect(error?.message.contains("\"\(field)\"") == true)
    }

    @Test("non-object and non-JSON throw invalidJob", arguments: ["[1]", "\"job\"", "{", ""])
    func notAJob(text: String) {
        let error = #expect(throws: LogsError.self) { try Self.job(text) }

        #expect(error?.code == .invalidJob)
    }

    @Test("missing retry means no retries")
    func missingRetry() throws {
        let job = try Self.job(#"{"class":"C","args":[],"queue":"q","jid":"j"}"#)

        #expect(job.retry == .bool(false))
        #expect(job.maximumRetries == 0)
        #expect(job.createdAt == 0)
        #expect(job.enqueuedAt == nil)
    }

    @Test(
        "maximumRetries follows retry", arguments: [(JSONValue.bool(true), 25), (false, 0), (5, 5), (-2, 0), ("x", 0)])
    func maximumRetries(retry: JSONValue, expected: Int) {
        let job = Job(className: "C", queue: "q", args: [], retry: retry, createdAt: Date())

        #expect(job.maximumRetries == expected)
    }

    @Test("new jid is 24 lower-case hex digits")
    func jidShape() {
        let jid = Job.makeJID()

        #expect(jid.count == 24)
        #expect(jid.allSatisfy { $0.isHexDigit })
        #expect(jid == jid.lowercased())
        #expect(Job.makeJID() != jid)
    }

    @Test("job made in Swift reads back equal")
    func swiftRoundTrip() throws {
        var job = Job(
            className: "C", queue: "q", args: [["a": 1], "x"], jid: "j", retry: 3,
            createdAt: Date(timeIntervalSince1970: 1_700_000_000.25),
            enqueuedAt: Date(timeIntervalSince1970: 1_700_000_000.75))
        job.retryCount = 0
        job.failedAt = 1_700_000_001.5
        job.errorClass = "E"
        job.errorMessage = "m"

        #expect(try Job(jsonData: job.jsonData()) == job)
    }
}

extension JobTests {
    @Suite("JobPayload")
    struct Payload {
        private static let date = Date(timeIntervalSince1970: 1_800_000_000)
        private static let part = RawLogPart(jobID: JobID(5), log: "aGk=", number: .number(1), encoding: "base64")

        @Test(
            "each payload has the original's class name and queue",
            arguments: [
                (JobPayload.logParts([part]), "Travis::Logs::Sidekiq::LogParts", "log_parts"),
                (.pusherForwarding([part]), "Travis::Logs::Sidekiq::PusherForwarding", "logs.pusher_forwarding"),
                (.aggregate(LogID(9)), "Travis::Logs::Sidekiq::Aggregate", "aggregate"),
                (.archive(LogID(9)), "Travis::Logs::Sidekiq::Archive", "archive"),
                (.purge(LogID(9)), "Travis::Logs::Sidekiq::Purge", "purge_log"),
                (.timingInfo(JobID(9)), "Travis::Logs::Sidekiq::TimingInfo", "timing_info"),
                (.partmanMaintenance, "Travis::Logs::Sidekiq::PartmanMaintenance", "maintenance"),
            ]
        )
        func classAndQueue(payload: JobPayload, className: String, queue: String) {
            let job = payload.makeJob(at: Self.date)

            #expect(payload.className == className)
            #expect(payload.queue == queue)
            #expect(job.className == className)
            #expect(job.queue == queue)
            #expect(job.createdAt == 1_800_000_000)
            #expect(JobPayload.Queue.all.contains(queue))
        }

        @Test(
            "args have the original's shapes",
            arguments: [
                (
                    JobPayload.logParts([part]),
                    #"[[{"encoding":"base64","final":false,"id":5,"log":"aGk=","number":1}]]"#
                ),
                (.pusherForwarding([part]), #"[[{"encoding":"base64","final":false,"id":5,"log":"aGk=","number":1}]]"#),
                (.logParts([]), "[[]]"),
                (.aggregate(LogID(9)), "[9]"),
                (.archive(LogID(10)), "[10]"),
                (.purge(LogID(11)), "[11]"),
                (.timingInfo(JobID(12)), "[12]"),
                (.partmanMaintenance, "[]"),
            ]
        )
        func argsShape(payload: JobPayload, expected: String) {
            #expect(JSONValue.array(payload.makeJob(at: Self.date).args).jsonString() == expected)
        }

        @Test(
            "retry is 3, and false for maintenance",
            arguments: [
                (JobPayload.logParts([part]), JSONValue.integer(3)), (.pusherForwarding([part]), 3),
                (.aggregate(LogID(1)), 3), (.archive(LogID(1)), 3), (.purge(LogID(1)), 3), (.timingInfo(JobID(1)), 3),
                (.partmanMaintenance, false),
            ]
        )
        func retry(payload: JobPayload, expected: JSONValue) {
            #expect(payload.retry == expected)
            #expect(payload.makeJob(at: Self.date).retry == expected)
        }

        @Test("uniqueKey is set for aggregate and timing_info only")
        func uniqueKey() {
            let unique: [JobPayload] = [.aggregate(LogID(1)), .timingInfo(JobID(1))]
            let plain: [JobPayload] = [
                .logParts([Self.part]), .pusherForwarding([Self.part]), .archive(LogID(1)), .purge(LogID(1)),
                .partmanMaintenance,
            ]

            for payload in unique {
                #expect(payload.makeJob(at: Self.date).uniqueKey != nil, "\(payload.className)")
            }
            for payload in plain {
                #expect(payload.makeJob(at: Self.date).uniqueKey == nil, "\(payload.className)")
            }
        }

        @Test("uniqueKey depends on the argument, not the jid")
        func uniqueKeyPerArgument() {
            let first = JobPayload.aggregate(LogID(1)).makeJob(at: Self.date)
            let again = JobPayload.aggregate(LogID(1)).makeJob(at: Self.date.addingTimeInterval(5))
            let other = JobPayload.aggregate(LogID(2)).makeJob(at: Self.date)

            #expect(first.jid != again.jid)
            #expect(first.uniqueKey == again.uniqueKey)
            #expect(first.uniqueKey != other.uniqueKey)
        }

        @Test(
            "payload reads back from its job JSON",
            arguments: [
                JobPayload.logParts([part, RawLogPart(jobID: JobID(5), log: "", number: .last, isFinal: true)]),
                .pusherForwarding([part]), .aggregate(LogID(9)), .archive(LogID(10)), .purge(LogID(11)),
                .timingInfo(JobID(12)), .partmanMaintenance,
            ]
        )
        func readsBack(payload: JobPayload) throws {
            let job = try Job(jsonData: payload.makeJob(at: Self.date).jsonData())

            #expect(try JobPayload(job: job) == payload)
        }

        /// The original web process sends a `log_parts` job whose argument is one part, not an array.
        @Test("log_parts job with a single part object")
        func logPartsSingleObject() throws {
            let text =
                #"{"class":"Travis::Logs::Sidekiq::LogParts","args":[{"id":5,"log":"aGk=","number":1,"#
                + #""encoding":"base64"}],"queue":"log_parts","jid":"j","retry":3,"created_at":1700000000.5}"#

            let payload = try JobPayload(job: Job(jsonData: Data(text.utf8)))

            #expect(payload == .logParts([Self.part]))
        }

        @Test("log_parts job drops parts that do not parse")
        func logPartsDropsBadParts() throws {
            let job = Job(
                className: JobPayload.ClassName.logParts, queue: "log_parts",
                args: [[Self.part.jsonValue, ["id": "abc", "number": 2]]], createdAt: Self.date)

            #expect(try JobPayload(job: job) == .logParts([Self.part]))
        }

        @Test("log_parts job without an argument throws invalidJob")
        func logPartsWithoutArgument() {
            let job = Job(className: JobPayload.ClassName.logParts, queue: "log_parts", args: [], createdAt: Self.date)

            let error = #expect(throws: LogsError.self) { try JobPayload(job: job) }

            #expect(error?.code == .invalidJob)
        }

        @Test("aggregate job with a digit string argument reads as its log id")
        func aggregateDigitString() throws {
            let job = Job(
                className: JobPayload.ClassName.aggregate, queue: "aggregate", args: ["42"], createdAt: Self.date)

            #expect(try JobPayload(job: job) == .aggregate(LogID(42)))
        }

        @Test(
            "id job with a bad argument throws invalidJob",
            arguments: [[JSONValue.string("abc")], [], [.double(1.5)], [.null]])
        func badIntegerArgument(args: [JSONValue]) {
            let job = Job(className: JobPayload.ClassName.archive, queue: "archive", args: args, createdAt: Self.date)

            let error = #expect(throws: LogsError.self) { try JobPayload(job: job) }

            #expect(error?.code == .invalidJob)
        }

        @Test("unknown class throws unknownJobClass naming it")
        func unknownClass() {
            let job = Job(className: "Travis::Logs::Sidekiq::Nope", queue: "q", args: [], createdAt: Self.date)

            let error = #expect(throws: LogsError.self) { try JobPayload(job: job) }

            #expect(error?.code == .unknownJobClass)
            #expect(error?.message.contains("Travis::Logs::Sidekiq::Nope") == true)
        }
    }

    @Test("dead entry keeps unreadable payload")
    func deadEntryKeepsPayload() throws {
        let payload = "not json {\"é\\u0000"
        let failedAt = Date(timeIntervalSince1970: 1_700_000_000.5)
        let error = LogsError(.invalidJob, "queued job is not valid JSON")
        let text = Job.deadEntry(forUnreadable: payload, queue: "archive", error: error, at: failedAt)

        let entry = try Self.job(text)
        #expect(entry.className == "TravisLogs::UnreadableJob")
        #expect(entry.args == [.string(payload)])
        #expect(entry.queue == "archive")
        #expect(entry.jid.count == 24)
        #expect(entry.errorClass == "LogsError.invalid_job")
        #expect(entry.errorMessage == "queued job is not valid JSON")
        #expect(entry.failedAt == 1_700_000_000.5)
        #expect(entry.retryCount == 0)
        let withoutQueue = try JSONValue(
            parsing: Data(Job.deadEntry(forUnreadable: payload, queue: nil, error: error, at: failedAt).utf8))
        #expect(withoutQueue["queue"] == nil)
        #expect(withoutQueue["args"] == .array([.string(payload)]))
    }
}
