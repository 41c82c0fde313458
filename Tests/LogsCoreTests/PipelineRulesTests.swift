import Foundation
import LogsCore
import Testing

/// The pipeline rules, each driven through the in-memory pipeline: parts go in as the drain queues
/// them, jobs run from the queues, and the checks read the store, the archive, the queues and the
/// metrics.
@Suite("Pipeline rules", .timeLimit(.minutes(1)))
struct PipelineRulesTests {
    private typealias Queue = JobPayload.Queue
    private typealias ClassName = JobPayload.ClassName

    // MARK: - Normalizing and joining parts

    @Test("out-of-order parts join by number")
    func partsOutOfOrder() async throws {
        let harness = PipelineHarness()
        let job = JobID(1)

        try await harness.pipeline.enqueue([Parts.text(job, 3, "three\n")])
        try await harness.pipeline.enqueue([Parts.finalPart(job, 4), Parts.text(job, 1, "one\n")])
        try await harness.pipeline.enqueue([Parts.text(job, 2, "two\n")])
        try await harness.runThroughArchiving()

        let log = await harness.log(job)
        #expect(log?.content == "one\ntwo\nthree\n")
        #expect(await harness.archivedText(job) == "one\ntwo\nthree\n")
        #expect(await harness.partRows(job).isEmpty)
    }

    @Test("missing part delays aggregation")
    func missingPartDelaysAggregation() async throws {
        let harness = PipelineHarness()
        let job = JobID(40)
        try await harness.pipeline.enqueue([Parts.text(job, 1, "one\n"), Parts.text(job, 3, "three\n")])
        try await harness.pipeline.enqueue([Parts.finalPart(job, 4)])
        try await harness.runThroughArchiving()
        #expect(await harness.log(job)?.aggregatedAt == nil, "aggregated while part 2 was missing")
        #expect(await harness.counter("travis_logs_aggregations_total", ["result": "waiting_for_parts"]) > 0)

        try await harness.pipeline.enqueue([Parts.text(job, 2, "two\n")])
        try await harness.runThroughArchiving()
        #expect(await harness.log(job)?.content == "one\ntwo\nthree\n")
        #expect(await harness.archivedText(job) == "one\ntwo\nthree\n")
    }

    @Test("part never sent stops waiting")
    func missingPartGivesUp() async throws {
        let harness = PipelineHarness()
        let job = JobID(41)
        try await harness.pipeline.enqueue([Parts.text(job, 1, "one\n"), Parts.text(job, 3, "three\n")])
        try await harness.pipeline.enqueue([Parts.finalPart(job, 4)])
        try await harness.runThroughArchiving()
        #expect(await harness.log(job)?.aggregatedAt == nil)

        harness.advance(by: harness.configuration.logs.intervals.missingParts)
        try await harness.runThroughArchiving()
        #expect(await harness.log(job)?.content == "one\nthree\n")
        #expect(await harness.counter("travis_logs_aggregations_total", ["result": "missing_parts_given_up"]) == 1)
    }

    @Test("repeated number keeps first copy")
    func repeatedPartNumber() async throws {
        let harness = PipelineHarness()
        let job = JobID(2)
        try await harness.pipeline.enqueue([Parts.text(job, 1, "first "), Parts.text(job, 1, "second ")])
        try await harness.runAll()
        try await harness.pipeline.enqueue([Parts.text(job, 1, "third "), Parts.text(job, 2, "end", isFinal: true)])
        try await harness.runAll()
        #expect(await harness.partRows(job).count == 4)

        let logID = try #require(await harness.logID(job))
        let result = try await harness.pipeline.aggregator.aggregate(logID: logID)
        guard case .aggregated(let outcome) = result else {
            Issue.record("aggregation returned \(result)")
            return
        }
        #expect(outcome.log.content == "first end")
        #expect(outcome.partsUsed == 2)
        #expect(outcome.partsDeleted == 4)
        #expect(await harness.partRows(job).isEmpty)

        try await harness.run(Queue.archive)
        #expect(await harness.archivedText(job) == "first end")
    }

    @Test("number last sorts after all parts")
    func lastPartNumber() async throws {
        let harness = PipelineHarness()
        let job = JobID(3)
        let last = RawLogPart(jobID: job, log: "done\n", number: .last, isFinal: true)

        try await harness.pipeline.enqueue([last, Parts.text(job, 2, "b\n"), Parts.text(job, 1, "a\n")])
        try await harness.runAll()
        let numbers = await harness.partRows(job).map(\.number).sorted()
        #expect(numbers == [1, 2, 2_147_483_647])

        harness.advancePastAggregationDelay()
        try await harness.runAll()
        #expect(await harness.log(job)?.content == "a\nb\ndone\n")
        #expect(await harness.archivedText(job) == "a\nb\ndone\n")
    }

    @Test("base64 with line breaks is decoded", arguments: ["\n", "\r\n"])
    func base64WithLineBreaks(lineBreak: String) async throws {
        let harness = PipelineHarness()
        let job = JobID(4)
        let bytes = Array(String(repeating: "naïve café \u{1B}[32m€ ok\u{1B}[0m 😀\r\n", count: 6).utf8)
        let encoded = Data(bytes).base64EncodedString()
        // Ruby's Base64.encode64 writes a line break after every 60 characters and at the end.
        let lines = stride(from: 0, to: encoded.count, by: 60).map { start in
            String(encoded.dropFirst(start).prefix(60))
        }
        let wrapped = lines.joined(separator: lineBreak) + lineBreak
        #expect(lines.count > 2)

        let part = RawLogPart(jobID: job, log: wrapped, number: .number(1), encoding: "base64")
        try await harness.process([part, Parts.finalPart(job, 2)])

        #expect(await harness.archivedBytes(job) == bytes)
        #expect(harness.counter("travis_logs_parts_dropped_total", ["reason": "invalid_base64"]) == 0)
    }

    @Test("invalid UTF-8 becomes U+FFFD")
    func invalidUTF8() async throws {
        let harness = PipelineHarness()
        let job = JobID(5)
        let partBytes: [[UInt8]] = [
            // An orphan continuation byte at the start of the log.
            [0x80] + Array("start ".utf8),
            // A byte that never occurs in UTF-8, and a lead byte followed by no continuation.
            Array("a".utf8) + [0xFF] + Array("b".utf8) + [0xC3, 0x28] + Array("c ".utf8),
            // A character cut short at the part's end and not continued by the next part.
            Array("end".utf8) + [0xE2, 0x82],
            // A character cut short at the end of the whole log.
            Array("x".utf8) + [0xF0, 0x9F],
        ]
        var parts = partBytes.enumerated().map { Parts.bytes(job, $0.offset + 1, $0.element) }
        parts.append(Parts.finalPart(job, parts.count + 1))
        try await harness.process(parts)

        let expected = "\u{FFFD}start a\u{FFFD}b\u{FFFD}(c end\u{FFFD}x\u{FFFD}"
        #expect(expected == String(decoding: partBytes.joined(), as: UTF8.self))
        #expect(await harness.log(job)?.content == expected)
        #expect(await harness.archivedBytes(job) == Array(expected.utf8))
    }

    @Test("NUL bytes are removed")
    func nulBytesRemoved() async throws {
        let harness = PipelineHarness()
        let job = JobID(6)
        try await harness.pipeline.enqueue([
            Parts.bytes(job, 1, [0x00, 0x61, 0x00, 0x00, 0x62, 0x00]),
            Parts.text(job, 2, "c\u{0}d\n"),
        ])
        try await harness.runAll()
        let stored = await harness.partRows(job).compactMap(\.content)
        #expect(stored.count == 2)
        #expect(stored.allSatisfy { !$0.unicodeScalars.contains("\u{0}") })

        try await harness.pipeline.enqueue([Parts.finalPart(job, 3)])
        try await harness.runThroughArchiving()
        #expect(await harness.log(job)?.content == "abcd\n")
        #expect(await harness.archivedBytes(job) == Array("abcd\n".utf8))
    }

    @Test("split character joins across two parts", arguments: ["é", "€", "😀"])
    func characterSplitInTwo(character: String) async throws {
        let harness = PipelineHarness()
        let bytes = Array("<\(character)>".utf8)
        var cases: [(job: JobID, cut: Int, isReversed: Bool)] = []
        // Byte 0 is "<", so cuts 2 ... count - 2 fall inside the character.
        for cut in 2..<(bytes.count - 1) {
            for isReversed in [false, true] {
                let job = JobID(Int64(100 + cases.count))
                cases.append((job, cut, isReversed))
                let first = Parts.bytes(job, 1, Array(bytes[..<cut]))
                let rest = [Parts.bytes(job, 2, Array(bytes[cut...])), Parts.finalPart(job, 3)]
                for batch in isReversed ? [rest, [first]] : [[first], rest] {
                    try await harness.pipeline.enqueue(batch)
                    try await harness.runAll()
                }
            }
        }
        harness.advancePastAggregationDelay()
        try await harness.runAll()

        for (job, cut, isReversed) in cases {
            let label = "cut after byte \(cut), second part first: \(isReversed)"
            #expect(await harness.log(job)?.content == "<\(character)>", "\(label)")
            #expect(await harness.archivedBytes(job) == bytes, "\(label)")
        }
    }

    @Test("split character joins across three parts", arguments: ["€", "😀"])
    func characterSplitInThree(character: String) async throws {
        let harness = PipelineHarness()
        let bytes = Array("<\(character)>".utf8)
        var cases: [(job: JobID, cuts: (Int, Int))] = []
        for firstCut in 2..<(bytes.count - 2) {
            for secondCut in (firstCut + 1)..<(bytes.count - 1) {
                let job = JobID(Int64(200 + cases.count))
                cases.append((job, (firstCut, secondCut)))
                // The last piece arrives first and the middle piece last.
                try await harness.pipeline.enqueue([
                    Parts.bytes(job, 3, Array(bytes[secondCut...])), Parts.finalPart(job, 4),
                ])
                try await harness.pipeline.enqueue([Parts.bytes(job, 1, Array(bytes[..<firstCut]))])
                try await harness.pipeline.enqueue([Parts.bytes(job, 2, Array(bytes[firstCut..<secondCut]))])
            }
        }
        try await harness.runThroughArchiving()

        for (job, cuts) in cases {
            let label = "cuts after bytes \(cuts.0) and \(cuts.1)"
            #expect(await harness.log(job)?.content == "<\(character)>", "\(label)")
            #expect(await harness.archivedBytes(job) == bytes, "\(label)")
        }
    }

    // MARK: - Writing

    @Test("only JSON true counts as final", arguments: [JSONValue.bool(false), "false", "true", 1])
    func finalNeedsJSONTrue(final: JSONValue) async throws {
        let harness = PipelineHarness()
        let job = JobID(8)
        try await harness.pushLogPartsJob([Parts.json(id: 8, log: "text", number: 1, final: final)])
        try await harness.run(Queue.logParts)

        let rows = await harness.partRows(job)
        #expect(rows.count == 1)
        #expect(rows.first?.isFinal == false)
        #expect(await harness.scheduledJobs(className: ClassName.aggregate).isEmpty)
    }

    @Test("final part schedules delayed aggregation")
    func finalTrueSchedulesAggregation() async throws {
        let harness = PipelineHarness()
        let job = JobID(8)
        try await harness.pushLogPartsJob([Parts.json(id: 8, log: "text", number: 1, final: true)])
        try await harness.run(Queue.logParts)

        let rows = await harness.partRows(job)
        #expect(rows.first?.isFinal == true)
        let logID = try #require(await harness.logID(job))
        let scheduled = await harness.scheduledJobs(className: ClassName.aggregate)
        #expect(scheduled.count == 1)
        #expect(scheduled.first?.job.args == [.integer(logID.rawValue)])
        let delay = harness.configuration.logs.intervals.regular.timeInterval
        #expect(scheduled.first?.due == harness.clock.now().addingTimeInterval(delay))
    }

    @Test("concurrent writers create one log row")
    func concurrentWriters() async throws {
        let harness = PipelineHarness()
        let job = JobID(25)
        let writer = harness.pipeline.writer

        try await withThrowingTaskGroup(of: Void.self) { group in
            for number in 1...50 {
                group.addTask { try await writer.write([Parts.text(job, number, "\(number)\n")]) }
            }
            try await group.waitForAll()
        }

        #expect(await harness.store.logCount() == 1)
        let rows = await harness.partRows(job)
        #expect(rows.count == 50)
        #expect(Set(rows.map(\.logID)).count == 1)
    }

    @Test("invalid parts dropped and counted")
    func invalidPartsDropped() async throws {
        let harness = PipelineHarness()
        try await harness.pushLogPartsJob([
            "not an object",
            ["log": "no id", "number": 1],
            Parts.json(id: "abc"),
            Parts.json(id: -1),
            ["id": 40, "log": "x", "number": 2, "encoding": "gzip"],
            ["id": 40, "log": "%%%%", "number": 3, "encoding": "base64"],
            Parts.json(id: 40, log: "valid one\n", number: 1),
            Parts.json(id: "41", log: "valid two\n", number: 1),
        ])
        try await harness.run(Queue.logParts)

        let dropped = "travis_logs_parts_dropped_total"
        #expect(harness.counter(dropped, ["reason": "not_an_object"]) == 1)
        #expect(harness.counter(dropped, ["reason": "missing_job_id"]) == 1)
        #expect(harness.counter(dropped, ["reason": "invalid_job_id"]) == 2)
        #expect(harness.counter(dropped, ["reason": "unknown_encoding"]) == 1)
        #expect(harness.counter(dropped, ["reason": "invalid_base64"]) == 1)
        let first = await harness.partRows(JobID(40))
        #expect(first.map(\.number) == [1])
        #expect(first.first?.content == "valid one\n")
        #expect(await harness.partRows(JobID(41)).first?.content == "valid two\n")
        #expect(await harness.queue.retryJobs().isEmpty)
        #expect(await harness.queue.deadJobs().isEmpty)
    }

    // MARK: - Aggregating

    @Test("part written mid-aggregation is kept")
    func partDuringAggregation() async throws {
        let harness = PipelineHarness()
        let job = JobID(9)
        try await harness.pipeline.enqueue([Parts.text(job, 1, "one\n"), Parts.text(job, 2, "two\n", isFinal: true)])
        try await harness.runAll()

        let store = harness.store
        let writer = harness.pipeline.writer
        await store.setAggregationHook { _ in
            await store.setAggregationHook(nil)
            do {
                try await writer.write([Parts.text(job, 3, "three\n", isFinal: true)])
            } catch {
                Issue.record(error, "writing a part during aggregation failed")
            }
        }
        harness.advancePastAggregationDelay()
        try await harness.run(Queue.aggregate)

        #expect(await harness.log(job)?.content == "one\ntwo\n")
        #expect(await harness.partRows(job).map(\.number) == [3])

        try await harness.runAll()
        harness.advancePastAggregationDelay()
        try await harness.runAll()
        #expect(await harness.log(job)?.content == "one\ntwo\nthree\n")
        #expect(await harness.archivedText(job) == "one\ntwo\nthree\n")
        #expect(await harness.partRows(job).isEmpty)
    }

    @Test("late part merges with archived text")
    func latePartAfterPurge() async throws {
        let harness = PipelineHarness { $0.logs.purge = true }
        let job = JobID(10)
        try await harness.process([Parts.text(job, 1, "early\n"), Parts.finalPart(job, 2)])
        harness.advancePastPurgeDelay()
        try await harness.runAll()
        let purged = await harness.log(job)
        #expect(purged?.content == nil)
        #expect(purged?.purgedAt != nil)

        try await harness.process([Parts.text(job, 3, "late\n", isFinal: true)])
        let merged = await harness.log(job)
        #expect(merged?.content == "early\nlate\n")
        #expect(merged?.purgedAt == nil)
        #expect(merged?.isArchiveVerified == true)
        #expect(await harness.archivedText(job) == "early\nlate\n")
        #expect(await harness.partRows(job).isEmpty)

        harness.advancePastPurgeDelay()
        try await harness.runAll()
        #expect(await harness.log(job)?.content == nil)
        #expect(await harness.archivedText(job) == "early\nlate\n")
    }

    @Test("missing archive keeps late part")
    func archiveMissingKeepsPart() async throws {
        let harness = PipelineHarness { $0.logs.purge = true }
        let job = JobID(11)
        try await harness.process([Parts.text(job, 1, "early\n"), Parts.finalPart(job, 2)])
        harness.advancePastPurgeDelay()
        try await harness.runAll()
        await harness.archive.setObject(nil, jobID: job)
        try await harness.pipeline.enqueue([Parts.text(job, 3, "late\n", isFinal: true)])
        try await harness.run(Queue.logParts)

        let logID = try #require(await harness.logID(job))
        let error = await #expect(throws: LogsError.self) {
            try await harness.pipeline.aggregator.aggregate(logID: logID)
        }
        #expect(error?.code == .archiveMissing)
        #expect(await harness.partRows(job).map(\.number) == [3])
        let log = await harness.log(job)
        #expect(log?.content == nil)
        #expect(log?.purgedAt != nil)

        harness.advancePastAggregationDelay()
        try await harness.runAll()
        let retries = await harness.queue.retryJobs()
        #expect(retries.map(\.job.className) == [ClassName.aggregate])
        #expect(retries.first?.job.errorClass == "LogsError.archive_missing")
        #expect(await harness.partRows(job).map(\.number) == [3])
        #expect(await harness.archive.keys().isEmpty)
    }

    @Test("busy aggregation is rescheduled")
    func aggregationBusy() async throws {
        let harness = PipelineHarness()
        let job = JobID(27)
        try await harness.pipeline.enqueue([Parts.text(job, 1, "held\n"), Parts.finalPart(job, 2)])
        try await harness.runAll()
        let logID = try #require(await harness.logID(job))
        let lease = try #require(
            try await harness.pipeline.lock.acquire(Aggregator.lockKey(for: logID), ttl: .seconds(150)))

        harness.advancePastAggregationDelay()
        try await harness.run(Queue.aggregate)
        #expect(await harness.log(job)?.content == nil)
        #expect(await harness.partRows(job).count == 2)
        #expect(harness.counter("travis_logs_aggregations_total", ["result": "busy"]) == 1)
        let pause = harness.configuration.logs.sidekiqErrorRetryPause
        let rescheduled = await harness.scheduledJobs(className: ClassName.aggregate)
        #expect(rescheduled.count == 1)
        #expect(rescheduled.first?.due == harness.clock.now().addingTimeInterval(pause.timeInterval))
        #expect(try await harness.pipeline.aggregator.aggregate(logID: logID) == .busy)

        try await harness.pipeline.lock.release(lease)
        harness.advance(by: pause)
        try await harness.runAll()
        #expect(await harness.log(job)?.content == "held\n")
        #expect(await harness.archivedText(job) == "held\n")
    }

    @Test("empty log is not uploaded")
    func emptyLog() async throws {
        let harness = PipelineHarness()
        let job = JobID(15)
        try await harness.process([Parts.finalPart(job, 1)])

        let log = await harness.log(job)
        #expect(log?.content == "")
        #expect(log?.aggregatedAt != nil)
        #expect(await harness.archive.keys().isEmpty)
        #expect(await harness.archive.storeAttempts == 0)
        #expect(harness.counter("travis_logs_archives_total", ["result": "empty"]) == 1)
        let logID = try #require(await harness.logID(job))
        #expect(try await harness.pipeline.archiver.archive(logID: logID) == .empty)
    }

    @Test("control sequences pass through unchanged")
    func controlSequencesPassThrough() async throws {
        let harness = PipelineHarness { $0.channelsExistenceCheck = false }
        let text =
            "travis_fold:start:install\r\u{1B}[0K"
            + "travis_time:start:0a1b2c3d\r\u{1B}[0K$ npm install\r\n"
            + "\u{1B}[1m\u{1B}[31mred bold\u{1B}[0m \u{1B}[38;5;208morange\u{1B}[39m\r\n"
            + "Downloading  10%\rDownloading  55%\rDownloading 100%\n"
            + "spinner |\u{8}/\u{8}-\u{8}\\\u{8} done\r\r\n"
            + "\u{1B}]0;window title\u{7}tab\there\u{1B}[2K\u{1B}[1G\n"
            + "travis_time:end:0a1b2c3d:start=1566310000000000000,finish=1566310002500000000,"
            + "duration=2500000000\r\u{1B}[0K"
            + "travis_fold:end:install\r\u{1B}[0K"
        let bytes = Array(text.utf8)
        let base64Job = JobID(16)
        let textJob = JobID(17)
        let live = await harness.liveStream.subscribe(jobID: base64Job)
        // Small parts so that escape sequences and markers are cut between parts.
        let base64Parts = WorkerSplit.base64Parts(of: bytes, jobID: base64Job, size: 7)
        let textParts = WorkerSplit.textParts(of: text, jobID: textJob, size: 7)
        try await harness.pipeline.enqueue(base64Parts)
        try await harness.pipeline.enqueue(textParts)
        try await harness.runThroughArchiving()

        #expect(await harness.archivedBytes(base64Job) == bytes)
        #expect(await harness.archivedBytes(textJob) == bytes)
        #expect(await harness.log(textJob)?.content == text)
        var events: [LogPartEvent] = []
        var iterator = live.makeAsyncIterator()
        while events.count < base64Parts.count, let event = await iterator.next() {
            events.append(event)
        }
        #expect(events.sorted { $0.number < $1.number }.map(\.content).joined() == text)
        #expect(await harness.pusher.events.filter { $0.jobID == textJob }.count == textParts.count)
    }

    // MARK: - Archiving and purging

    @Test("failed verification prevents purging")
    func archiveVerificationFails() async throws {
        let harness = PipelineHarness {
            $0.logs.purge = true
            $0.logs.archiveRetries = 3
        }
        let job = JobID(12)
        await harness.archive.inject(.storeShortObjects)
        try await harness.pipeline.enqueue([Parts.text(job, 1, "content\n"), Parts.finalPart(job, 2)])
        // The archiver waits on the clock between attempts, so every run moves the clock for it.
        try await harness.drivingClock { try await harness.runAll() }
        harness.advancePastAggregationDelay()
        try await harness.drivingClock { try await harness.runAll() }

        let log = await harness.log(job)
        #expect(log?.content == "content\n")
        #expect(log?.isArchiveVerified != true)
        #expect(log?.archivedAt == nil)
        #expect(log?.isArchiving == false)
        #expect(await harness.scheduledJobs(className: ClassName.purge).isEmpty)
        #expect(await harness.queuedJobs(Queue.purge).isEmpty)
        let retries = await harness.queue.retryJobs()
        #expect(retries.map(\.job.className) == [ClassName.archive])
        #expect(retries.first?.job.errorClass == "LogsError.archive_verification_failed")
        #expect(harness.counter("travis_logs_archives_total", ["result": "failed"]) == 1)
        #expect(harness.counter("travis_logs_archives_total", ["result": "archived"]) == 0)
    }

    @Test("purge clears content after verification")
    func purgeAfterVerification() async throws {
        let harness = PipelineHarness { $0.logs.purge = true }
        let job = JobID(14)
        try await harness.process([Parts.text(job, 1, "to be purged\n"), Parts.finalPart(job, 2)])

        let archived = try #require(await harness.log(job))
        #expect(archived.isArchiveVerified == true)
        #expect(archived.content == "to be purged\n")
        #expect(archived.purgedAt == nil)
        let purges = await harness.scheduledJobs(className: ClassName.purge)
        #expect(purges.count == 1)
        let purgeDelay = harness.configuration.logs.intervals.purge.timeInterval
        #expect(purges.first?.due == archived.archivedAt?.addingTimeInterval(purgeDelay))

        harness.advancePastPurgeDelay()
        try await harness.runAll()
        let purged = await harness.log(job)
        #expect(purged?.content == nil)
        #expect(purged?.purgedAt == harness.clock.now())
        #expect(await harness.archivedText(job) == "to be purged\n")
    }

    @Test("no purge while purging is off")
    func purgeOff() async throws {
        let harness = PipelineHarness()
        let job = JobID(18)
        try await harness.process([Parts.text(job, 1, "kept\n"), Parts.finalPart(job, 2)])

        #expect(await harness.log(job)?.isArchiveVerified == true)
        #expect(await harness.scheduledJobs(className: ClassName.purge).isEmpty)
        harness.advancePastPurgeDelay()
        try await harness.runAll()
        #expect(await harness.log(job)?.content == "kept\n")
    }

    @Test("purge without archive keeps content")
    func purgeWithoutArchive() async throws {
        let harness = PipelineHarness {
            $0.logs.archive = false
            $0.logs.purge = true
        }
        let job = JobID(19)
        try await harness.process([Parts.text(job, 1, "only copy\n"), Parts.finalPart(job, 2)])
        let logID = try #require(await harness.logID(job))

        #expect(try await harness.pipeline.purger.purge(logID: logID) == .requeuedForArchiving)
        let log = await harness.log(job)
        #expect(log?.content == "only copy\n")
        #expect(log?.purgedAt == nil)
        #expect(await harness.queuedJobs(Queue.archive).count == 1)
    }

    @Test("archive mismatch requeues archiving")
    func purgeMismatch() async throws {
        let harness = PipelineHarness { $0.logs.purge = true }
        let job = JobID(13)
        try await harness.process([Parts.text(job, 1, "archived text\n"), Parts.finalPart(job, 2)])
        let logID = try #require(await harness.logID(job))
        // Same length, other bytes: only the checksum can tell them apart.
        await harness.archive.setObject(Data("archived TEXT\n".utf8), jobID: job)

        harness.advancePastPurgeDelay()
        try await harness.run(Queue.purge)
        let log = await harness.log(job)
        #expect(log?.content == "archived text\n")
        #expect(log?.purgedAt == nil)
        #expect(log?.isArchiveVerified == false)
        #expect(log?.archivedAt == nil)
        let archiveJobs = await harness.queuedJobs(Queue.archive)
        #expect(archiveJobs.map(\.args) == [[.integer(logID.rawValue)]])

        try await harness.run(Queue.archive)
        #expect(await harness.archivedText(job) == "archived text\n")
        #expect(await harness.log(job)?.isArchiveVerified == true)
    }

    // MARK: - Sweeping and maintenance

    @Test("sweeper queues only old logs")
    func sweeperSelection() async throws {
        let harness = PipelineHarness()
        let intervals = harness.configuration.logs.intervals
        let store = harness.store
        let now = harness.clock.now()
        func insertPart(_ jobID: JobID, isFinal: Bool, age: Duration) async -> LogID {
            let logID = await store.findOrCreateLog(jobID: jobID, at: now)
            let part = NewLogPart(logID: logID, number: 1, content: "x", isFinal: isFinal)
            await store.insertParts([part], at: now.addingTimeInterval(-age.timeInterval))
            return logID
        }
        let oldFinal = await insertPart(JobID(171), isFinal: true, age: intervals.sweeper + .seconds(1))
        let veryOld = await insertPart(JobID(172), isFinal: false, age: intervals.force + .seconds(1))
        _ = await insertPart(JobID(173), isFinal: true, age: intervals.sweeper - .seconds(1))
        _ = await insertPart(JobID(174), isFinal: false, age: intervals.force - .seconds(1))

        let swept = try await harness.pipeline.sweeper.sweep()
        #expect(Set(swept ?? []) == [oldFinal, veryOld])
        let queued = await harness.queuedJobs(Queue.aggregate).compactMap { $0.args.first?.integerValue }
        #expect(queued.count == 2)
        #expect(Set(queued) == [oldFinal.rawValue, veryOld.rawValue])
    }

    @Test("shared lock admits one sweeper")
    func sweepersShareLock() async throws {
        var harness = PipelineHarness()
        let queue = harness.queue
        let gate = Gate()
        harness.pipeline.queue = GatedJobQueue(base: queue, gate: gate)
        let now = harness.clock.now()
        let logID = await harness.store.findOrCreateLog(jobID: JobID(181), at: now)
        await harness.store.insertParts(
            [NewLogPart(logID: logID, number: 1, content: "x", isFinal: true)], at: now.addingTimeInterval(-3600))
        let first = harness.pipeline.sweeper
        let second = harness.pipeline.sweeper

        let firstSweep = Task { try await first.sweep() }
        #expect(try await gate.waitForArrivals(1))
        let secondResult = try await second.sweep()
        await gate.open()
        let firstResult = try await firstSweep.value

        #expect(secondResult == nil)
        #expect(firstResult == [logID])
        #expect(await gate.arrivals == 1)
        #expect(await queue.jobs(in: Queue.aggregate).count == 1)
        #expect(try await second.sweep() == [logID])
    }

    @Test("maintenance delays log_parts jobs")
    func maintenanceHoldsLogParts() async throws {
        let harness = PipelineHarness()
        let job = JobID(19)
        let pause = harness.configuration.logs.sidekiqErrorRetryPause
        await harness.maintenance.enable(for: .seconds(300))
        try await harness.pipeline.enqueue([Parts.text(job, 1, "waited\n", isFinal: true)])
        let runner = harness.makeRunner()
        let running = Task {
            try await runner.runNext(from: [WeightedQueue(Queue.logParts)], timeout: .zero)
        }

        #expect(try await harness.waitForSleeper())
        #expect(await harness.partRows(job).isEmpty)
        #expect(await harness.queue.inProgressCount() == 1)
        harness.advance(by: pause)
        #expect(try await harness.waitForSleeper())
        #expect(await harness.partRows(job).isEmpty)

        await harness.maintenance.disable()
        harness.advance(by: pause)
        #expect(try await running.value)
        #expect(await harness.partRows(job).count == 1)
        #expect(await harness.queue.inProgressCount() == 0)
        #expect(await harness.queue.retryJobs().isEmpty)
        #expect(await harness.queue.deadJobs().isEmpty)
        #expect(await harness.scheduledJobs(className: ClassName.aggregate).count == 1)
    }

    // MARK: - Live forwarding

    @Test("Pusher skips unoccupied channels")
    func pusherSkipsUnoccupied() async throws {
        let harness = PipelineHarness()
        #expect(harness.configuration.channelsExistenceCheck)
        try await harness.pipeline.enqueue([Parts.text(JobID(20), 1, "hello")])
        try await harness.run(Queue.pusherForwarding)

        #expect(await harness.pusher.events.isEmpty)
        let labels = ["target": "pusher", "result": "skipped"]
        #expect(harness.counter("travis_logs_live_events_total", labels) == 1)
    }

    @Test("Pusher sends to occupied channels")
    func pusherSendsToOccupied() async throws {
        let harness = PipelineHarness()
        await harness.presence.markOccupied("job-21")
        try await harness.pipeline.enqueue([Parts.text(JobID(21), 1, "hello")])
        try await harness.run(Queue.pusherForwarding)

        let events = await harness.pusher.events
        #expect(events.map(\.channel) == ["job-21"])
        #expect(events.first?.content == "hello")
        #expect(harness.counter("travis_logs_live_events_total", ["target": "pusher", "result": "sent"]) == 1)
    }

    @Test("Pusher without existence check sends all")
    func pusherWithoutExistenceCheck() async throws {
        let harness = PipelineHarness { $0.channelsExistenceCheck = false }
        try await harness.pipeline.enqueue([Parts.text(JobID(22), 1, "hello")])
        try await harness.run(Queue.pusherForwarding)

        #expect(await harness.pusher.events.map(\.channel) == ["job-22"])
    }

    @Test("secure Pusher uses private channels")
    func pusherPrivateChannels() async throws {
        let harness = PipelineHarness { $0.pusher.secure = true }
        await harness.presence.markOccupied("private-job-23")
        try await harness.pipeline.enqueue([Parts.text(JobID(23), 1, "hello")])
        try await harness.run(Queue.pusherForwarding)

        #expect(await harness.pusher.events.map(\.channel) == ["private-job-23"])
    }

    @Test(
        "Pusher events cut to 10240 bytes",
        arguments: [
            String(repeating: "é", count: 10_240),
            // 6000 bytes, but each ESC grows to six bytes (\u001b) in JSON.
            String(repeating: "\u{1B}[31mred\u{1B}[0m", count: 500),
        ])
    func pusherEventsTruncated(content: String) async throws {
        let harness = PipelineHarness { $0.channelsExistenceCheck = false }
        let job = JobID(24)
        let live = await harness.liveStream.subscribe(jobID: job)
        try await harness.pipeline.enqueue([Parts.text(job, 1, content)])
        try await harness.run(Queue.pusherForwarding)

        let events = await harness.pusher.events
        try #require(events.count == 1)
        let sent = events[0]
        let sentCount = sent.content.unicodeScalars.count
        #expect(sent.data().count <= 10_240)
        #expect(content.unicodeScalars.starts(with: sent.content.unicodeScalars))
        var longer = sent
        longer.content = ""
        longer.content.unicodeScalars.append(contentsOf: content.unicodeScalars.prefix(sentCount + 1))
        #expect(longer.data().count > 10_240)
        #expect(harness.counter("travis_logs_live_events_total", ["target": "pusher", "result": "truncated"]) == 1)
        var iterator = live.makeAsyncIterator()
        #expect(await iterator.next()?.content == content)
    }

    // MARK: - Reading and replacing logs

    @Test("fetch aggregates on demand read-only")
    func fetchAggregatesOnDemand() async throws {
        let harness = PipelineHarness()
        let job = JobID(30)
        try await harness.pipeline.enqueue([Parts.text(job, 2, "two\n"), Parts.text(job, 1, "one\n")])
        try await harness.runAll()
        let logID = try #require(await harness.logID(job))

        let byJob = try await harness.pipeline.fetcher.fetch(.jobID(job))
        #expect(byJob?.kind == .stored)
        #expect(byJob?.content == "one\ntwo\n")
        #expect(try await harness.pipeline.fetcher.fetch(.id(logID))?.content == "one\ntwo\n")
        let log = await harness.log(job)
        #expect(log?.content == nil)
        #expect(log?.aggregatedAt == nil)
        #expect(await harness.partRows(job).count == 2)
    }

    @Test("ignored ids get unavailable log")
    func fetchIgnoredIDs() async throws {
        let harness = PipelineHarness()
        let job = JobID(31)
        try await harness.process([Parts.text(job, 1, "secret\n"), Parts.finalPart(job, 2)])
        let logID = try #require(await harness.logID(job))
        await harness.ignoredIDs.ignore(jobID: job)
        await harness.ignoredIDs.ignore(logID: logID)

        let byJob = try await harness.pipeline.fetcher.fetch(.jobID(job))
        #expect(byJob?.kind == .temporarilyUnavailable)
        #expect(byJob?.content == "Your log is temporarily unavailable")
        #expect(byJob?.jobID == job)
        #expect(byJob?.isArchiveVerified == false)
        let byID = try await harness.pipeline.fetcher.fetch(.id(logID))
        #expect(byID?.kind == .temporarilyUnavailable)
        #expect(byID?.content == "Your log is temporarily unavailable")
        #expect(byID?.id == logID)
    }

    @Test("low ids get spoofed archive")
    func fetchSpoofedArchive() async throws {
        let harness = PipelineHarness {
            $0.logs.archiveSpoofing.minAcceptedID = 100
            $0.logs.archiveSpoofing.minAcceptedJobID = 1000
        }
        _ = try await harness.pipeline.updater.update(LogContentUpdate(jobID: JobID(999), content: "stored"))
        let fetcher = harness.pipeline.fetcher

        let byJob = try await fetcher.fetch(.jobID(JobID(999)))
        #expect(byJob?.kind == .spoofedArchive)
        #expect(byJob?.content == nil)
        #expect(byJob?.jobID == JobID(999))
        #expect(byJob?.isArchiveVerified == true)
        #expect(byJob?.archivedAt != nil)
        let byID = try await fetcher.fetch(.id(LogID(99)))
        #expect(byID?.kind == .spoofedArchive)
        #expect(byID?.content == nil)
        #expect(byID?.id == LogID(99))
        #expect(try await fetcher.fetch(.jobID(JobID(1000))) == nil)
    }

    @Test("require_all reports missing parts")
    func partsRequireAll() async throws {
        let harness = PipelineHarness()
        let job = JobID(32)
        try await harness.pipeline.enqueue([1, 2, 4].map { Parts.text(job, $0, "part \($0)\n") })
        try await harness.runAll()
        let fetcher = harness.pipeline.fetcher

        let missing = try await fetcher.parts(jobID: job, query: LogPartsQuery(numbers: [1, 2, 3]), requireAll: true)
        #expect(missing == .missingParts)
        let complete = try await fetcher.parts(jobID: job, query: LogPartsQuery(numbers: [1, 2]), requireAll: true)
        guard case .parts(let parts) = complete else {
            Issue.record("expected parts, got \(complete)")
            return
        }
        #expect(parts.map(\.number) == [1, 2])
        let lenient = try await fetcher.parts(jobID: job, query: LogPartsQuery(numbers: [1, 3]), requireAll: false)
        guard case .parts(let some) = lenient else {
            Issue.record("expected parts, got \(lenient)")
            return
        }
        #expect(some.map(\.number) == [1])
    }

    @Test("updater replaces content and parts")
    func updaterReplacesContent() async throws {
        let harness = PipelineHarness()
        let job = JobID(33)
        try await harness.pipeline.enqueue([Parts.text(job, 1, "old\n"), Parts.text(job, 2, "older\n")])
        try await harness.runAll()
        let updater = harness.pipeline.updater

        let replaced = try await updater.update(LogContentUpdate(jobID: job, content: "new\n", removedBy: 7))
        #expect(replaced.content == "new\n")
        #expect(replaced.removedBy == 7)
        #expect(replaced.removedAt == harness.clock.now())
        #expect(await harness.partRows(job).isEmpty)
        #expect(await harness.log(job)?.content == "new\n")

        let cleared = try await updater.update(LogContentUpdate(jobID: job, content: ""))
        #expect(cleared.content == nil)
        #expect(cleared.removedBy == nil)
        #expect(cleared.removedAt == nil)
        #expect(await harness.log(job)?.content == nil)
        #expect(await harness.store.logCount() == 1)
    }
}
