import Foundation
import LogsCore
import Testing

/// The behaviour every `PartStore` must show, as checks that run against any store.
///
/// Each check takes a fresh, empty store. `run(_:makeStore:)` runs one check and
/// `runAll(makeStore:)` all of them; the store suites pass `checkNames` to a parameterized test
/// so each check reports on its own.
enum PartStoreConformance {
    typealias Check = @Sendable (any PartStore) async throws -> Void

    static let checks: [(name: String, body: Check)] = [
        ("find or create returns one id per job", findOrCreateReturnsOneIDPerJob),
        ("concurrent find or create makes one log", concurrentFindOrCreateMakesOneLog),
        ("find or create of several jobs matches one by one", findOrCreateSeveralMatchesOneByOne),
        ("concurrent find or create of several jobs makes one log each", concurrentFindOrCreateSeveral),
        ("log reads by id and job id", logReadsByIDAndJobID),
        ("parts come back ordered by number", partsComeBackOrderedByNumber),
        ("part reads filter by after and numbers", partReadsFilter),
        ("part reads without content", partReadsWithoutContent),
        ("aggregate joins parts, first copy wins", aggregateJoinsParts),
        ("aggregate appends to existing content", aggregateAppendsToContent),
        ("aggregate joins a split character", aggregateJoinsSplitCharacter),
        ("aggregate of unknown log returns nil", aggregateOfUnknownLog),
        ("aggregate without parts marks scan only", aggregateWithoutParts),
        ("aggregate restores purged log from archive", aggregateRestoresPurgedLog),
        ("aggregated on demand changes nothing", aggregatedOnDemandChangesNothing),
        ("batch aggregate matches single aggregation", batchAggregateMatchesSingle),
        ("batch aggregate fails a purged log alone", batchAggregateFailsPurgedLogAlone),
        ("batch aggregate restores a purged log", batchAggregateRestoresPurgedLog),
        ("batch aggregate joins split characters and repeats", batchAggregateJoinsSplitCharactersAndRepeats),
        ("concurrent overlapping batches keep every part once", concurrentOverlappingBatches),
        ("set content replaces content and parts", setContentReplaces),
        ("set content with empty text clears it", setContentClears),
        ("set content after a purge replaces the archived text", setContentAfterPurge),
        ("archive flags", archiveFlags),
        ("purge only with matching MD5", purgeOnlyWithMatchingMD5),
        ("aggregatable logs by final and age", aggregatableLogs),
        ("aggregatable logs respect the limit", aggregatableLogsLimit),
        ("aggregatable logs include late parts", aggregatableLogsIncludeLateParts),
        ("partition maintenance runs", partitionMaintenanceRuns),
    ]

    static let checkNames = checks.map(\.name)

    /// Runs the named check on a store from `makeStore`.
    static func run(_ name: String, makeStore: () async throws -> any PartStore) async throws {
        let check = try #require(checks.first { $0.name == name }, "no conformance check named \(name)")
        try await check.body(try await makeStore())
    }

    /// Runs every check, each on a fresh store.
    static func runAll(makeStore: () async throws -> any PartStore) async throws {
        for check in checks {
            try await check.body(try await makeStore())
        }
    }

    // MARK: - Times

    /// Whole seconds, because stores keep microseconds at best.
    static let start = Date(timeIntervalSince1970: 1_780_000_000)

    static func at(_ seconds: Int) -> Date {
        start.addingTimeInterval(TimeInterval(seconds))
    }

    static func part(_ logID: LogID, _ number: Int, _ content: String, final: Bool = false) -> NewLogPart {
        NewLogPart(logID: logID, number: number, content: content, isFinal: final)
    }

    // MARK: - Logs

    static func findOrCreateReturnsOneIDPerJob(_ store: any PartStore) async throws {
        #expect(try await store.logID(forJobID: JobID(1)) == nil)
        let first = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        let again = try await store.findOrCreateLog(jobID: JobID(1), at: at(5))
        let other = try await store.findOrCreateLog(jobID: JobID(2), at: at(5))
        #expect(first == again)
        #expect(first != other)
        #expect(try await store.logID(forJobID: JobID(1)) == first)
        #expect(try await store.log(id: first)?.createdAt == at(0))
    }

    static func concurrentFindOrCreateMakesOneLog(_ store: any PartStore) async throws {
        let ids = try await withThrowingTaskGroup(of: LogID.self) { group in
            for _ in 0..<24 {
                group.addTask { try await store.findOrCreateLog(jobID: JobID(7), at: at(0)) }
            }
            return try await group.reduce(into: Set<LogID>()) { $0.insert($1) }
        }
        #expect(ids.count == 1)
    }

    static func findOrCreateSeveralMatchesOneByOne(_ store: any PartStore) async throws {
        let existing = try await store.findOrCreateLog(jobID: JobID(3), at: at(0))
        #expect(try await store.findOrCreateLogs(jobIDs: [], at: at(1)).isEmpty)

        let logIDs = try await store.findOrCreateLogs(jobIDs: [JobID(5), JobID(3), JobID(4), JobID(5)], at: at(1))

        #expect(logIDs.count == 3)
        #expect(logIDs[JobID(3)] == existing)
        for jobID in [JobID(3), JobID(4), JobID(5)] {
            #expect(try await store.logID(forJobID: jobID) == logIDs[jobID])
            #expect(try await store.findOrCreateLog(jobID: jobID, at: at(2)) == logIDs[jobID])
        }
        #expect(try await store.log(id: existing)?.createdAt == at(0))
        #expect(try await store.log(jobID: JobID(4))?.createdAt == at(1))
        #expect(Set(logIDs.values).count == 3)
    }

    static func concurrentFindOrCreateSeveral(_ store: any PartStore) async throws {
        let jobIDs = (1...20).map { JobID(Int64($0)) }
        let results = try await withThrowingTaskGroup(of: [JobID: LogID].self) { group in
            for index in 0..<12 {
                group.addTask {
                    if index.isMultiple(of: 3) {
                        return [JobID(7): try await store.findOrCreateLog(jobID: JobID(7), at: at(0))]
                    }
                    return try await store.findOrCreateLogs(jobIDs: jobIDs.shuffled(), at: at(0))
                }
            }
            return try await group.reduce(into: [[JobID: LogID]]()) { $0.append($1) }
        }
        for jobID in jobIDs {
            let ids = Set(results.compactMap { $0[jobID] })
            #expect(ids.count == 1, "job \(jobID) got log ids \(ids)")
            #expect(try await store.logID(forJobID: jobID) == ids.first)
        }
    }

    static func logReadsByIDAndJobID(_ store: any PartStore) async throws {
        let id = try await store.findOrCreateLog(jobID: JobID(42), at: at(1))
        let byID = try #require(try await store.log(id: id))
        let byJob = try #require(try await store.log(jobID: JobID(42)))
        #expect(byID == byJob)
        #expect(byID.jobID == JobID(42))
        #expect(byID.content == nil)
        #expect(byID.createdAt == at(1))
        #expect(byID.updatedAt == at(1))
        #expect(try await store.log(id: LogID(id.rawValue + 1000)) == nil)
        #expect(try await store.log(jobID: JobID(43)) == nil)
    }

    // MARK: - Parts

    static func partsComeBackOrderedByNumber(_ store: any PartStore) async throws {
        let id = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        try await store.insertParts([part(id, 2, "b"), part(id, 0, "zero"), part(id, 1, "first")], at: at(1))
        try await store.insertParts([part(id, 1, "second copy", final: true)], at: at(2))
        let parts = try await store.logParts(logID: id, query: LogPartsQuery())
        #expect(parts.map(\.number) == [0, 1, 1, 2])
        #expect(parts.map(\.content) == ["zero", "first", "second copy", "b"])
        #expect(parts.map(\.isFinal) == [false, false, true, false])
        #expect(parts.map(\.createdAt) == [at(1), at(1), at(2), at(1)])
        #expect(parts.allSatisfy { $0.logID == id })
    }

    static func partReadsFilter(_ store: any PartStore) async throws {
        let id = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        try await store.insertParts((0..<6).map { part(id, $0, "p\($0)") }, at: at(1))
        let after = try await store.logParts(logID: id, query: LogPartsQuery(after: 3))
        #expect(after.map(\.number) == [4, 5])
        let numbers = try await store.logParts(logID: id, query: LogPartsQuery(numbers: [5, 1, 9]))
        #expect(numbers.map(\.number) == [1, 5])
        let both = try await store.logParts(logID: id, query: LogPartsQuery(after: 2, numbers: [1, 3]))
        #expect(both.map(\.number) == [3])
    }

    static func partReadsWithoutContent(_ store: any PartStore) async throws {
        let id = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        try await store.insertParts([part(id, 1, "text", final: true)], at: at(1))
        let parts = try await store.logParts(logID: id, query: LogPartsQuery(includesContent: false))
        #expect(parts.count == 1)
        #expect(parts.first?.content == nil)
        #expect(parts.first?.isFinal == true)
    }

    // MARK: - Aggregation

    static func aggregateJoinsParts(_ store: any PartStore) async throws {
        let id = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        try await store.insertParts([part(id, 2, "c\n"), part(id, 1, "b "), part(id, 1, "repeat ")], at: at(1))
        try await store.insertParts([part(id, 0, "a ", final: false), part(id, 3, "", final: true)], at: at(2))
        let outcome = try #require(try await store.aggregate(logID: id, archivedContent: nil, at: at(3)))
        #expect(outcome.log.content == "a b c\n")
        #expect(outcome.partsUsed == 4)
        #expect(outcome.partsDeleted == 5)
        #expect(outcome.log.aggregatedAt == at(3))
        #expect(outcome.log.scanStatus == "ready_for_scan")
        #expect(outcome.log.scanStatusUpdatedAt == at(3))
        #expect(outcome.log.isArchiveVerified == false)
        #expect(try await store.logParts(logID: id, query: LogPartsQuery()).isEmpty)
        #expect(try await store.log(id: id) == outcome.log)
    }

    static func aggregateAppendsToContent(_ store: any PartStore) async throws {
        let id = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        try await store.insertParts([part(id, 1, "one\n")], at: at(1))
        _ = try await store.aggregate(logID: id, archivedContent: nil, at: at(2))
        try await store.insertParts([part(id, 2, "two\n", final: true)], at: at(3))
        let outcome = try #require(try await store.aggregate(logID: id, archivedContent: "ignored", at: at(4)))
        #expect(outcome.log.content == "one\ntwo\n")
        #expect(outcome.partsUsed == 1)
    }

    static let splitText = "ok ✓ done 😀\n"

    /// Returns `splitText` stored as three parts, cut inside the ✓ and inside the emoji.
    static func splitTextParts() -> [String] {
        let bytes = Array(splitText.utf8)
        let cut1 = 4  // inside the three bytes of ✓
        let cut2 = bytes.count - 3  // inside the four bytes of the emoji
        return [bytes[..<cut1], bytes[cut1..<cut2], bytes[cut2...]].map {
            PartContent.storedText(fromBytes: Array($0))
        }
    }

    static func aggregateJoinsSplitCharacter(_ store: any PartStore) async throws {
        let texts = splitTextParts()
        let id = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        try await store.insertParts(texts.enumerated().map { part(id, $0.offset, $0.element) }, at: at(1))
        #expect(try await store.aggregatedOnDemand(logID: id) == "ok ✓ done 😀\n")
        let outcome = try await store.aggregate(logID: id, archivedContent: nil, at: at(2))
        #expect(outcome?.log.content == "ok ✓ done 😀\n")
    }

    static func aggregateOfUnknownLog(_ store: any PartStore) async throws {
        #expect(try await store.aggregate(logID: LogID(999), archivedContent: nil, at: at(1)) == nil)
    }

    static func aggregateWithoutParts(_ store: any PartStore) async throws {
        let id = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        _ = try await store.setContent([LogContentUpdate(jobID: JobID(1), content: "kept")], at: at(1))
        try await store.markArchiveVerified(logID: id, at: at(2))
        let outcome = try #require(try await store.aggregate(logID: id, archivedContent: nil, at: at(3)))
        #expect(outcome.partsUsed == 0)
        #expect(outcome.partsDeleted == 0)
        #expect(outcome.log.content == "kept")
        #expect(outcome.log.aggregatedAt == at(1))
        #expect(outcome.log.isArchiveVerified == true)
        #expect(outcome.log.scanStatus == "ready_for_scan")
    }

    static func aggregateRestoresPurgedLog(_ store: any PartStore) async throws {
        let id = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        _ = try await store.setContent([LogContentUpdate(jobID: JobID(1), content: "old\n")], at: at(1))
        #expect(try await store.purge(logID: id, expectedContentMD5: MD5.hexDigest(of: Array("old\n".utf8)), at: at(2)))
        try await store.insertParts([part(id, 9, "late\n", final: true)], at: at(3))
        let outcome = try #require(try await store.aggregate(logID: id, archivedContent: "old\n", at: at(4)))
        #expect(outcome.log.content == "old\nlate\n")
        #expect(outcome.log.purgedAt == nil)
        #expect(outcome.log.archivedAt == nil)
    }

    static func aggregatedOnDemandChangesNothing(_ store: any PartStore) async throws {
        let id = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        try await store.insertParts([part(id, 2, "b"), part(id, 1, "a"), part(id, 2, "x")], at: at(1))
        #expect(try await store.aggregatedOnDemand(logID: id) == "ab")
        #expect(try await store.logParts(logID: id, query: LogPartsQuery()).count == 3)
        #expect(try await store.log(id: id)?.content == nil)
        #expect(try await store.aggregatedOnDemand(logID: LogID(999)) == "")
    }

    // MARK: - Batch aggregation

    static func batchAggregateMatchesSingle(_ store: any PartStore) async throws {
        let first = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        let second = try await store.findOrCreateLog(jobID: JobID(2), at: at(0))
        let withoutParts = try await store.findOrCreateLog(jobID: JobID(3), at: at(0))
        _ = try await store.setContent([LogContentUpdate(jobID: JobID(3), content: "kept")], at: at(1))
        try await store.insertParts(
            [part(first, 2, "c\n"), part(first, 1, "b "), part(first, 1, "repeat "), part(second, 0, "x")], at: at(1))
        try await store.insertParts([part(first, 0, "a "), part(second, 1, "y\n", final: true)], at: at(2))

        let requests = [first, LogID(999), second, withoutParts, first].map { AggregationRequest(logID: $0) }
        let results = try await store.aggregate(requests, at: at(3))
        #expect(results.count == 5)
        let firstOutcome = try #require(try results[0].get())
        #expect(firstOutcome.log.content == "a b c\n")
        #expect(firstOutcome.partsUsed == 3)
        #expect(firstOutcome.partsDeleted == 4)
        #expect(firstOutcome.log.aggregatedAt == at(3))
        #expect(firstOutcome.log.updatedAt == at(3))
        #expect(firstOutcome.log.scanStatus == "ready_for_scan")
        #expect(firstOutcome.log.scanStatusUpdatedAt == at(3))
        #expect(firstOutcome.log.isArchiveVerified == false)
        #expect(try await store.log(id: first) == firstOutcome.log)
        #expect(try results[4].get() == firstOutcome)
        #expect(try results[1].get() == nil)

        let secondOutcome = try #require(try results[2].get())
        #expect(secondOutcome.log.content == "xy\n")
        #expect(secondOutcome.partsDeleted == 2)
        #expect(try await store.log(id: second) == secondOutcome.log)

        let unchanged = try #require(try results[3].get())
        #expect(unchanged.partsUsed == 0)
        #expect(unchanged.partsDeleted == 0)
        #expect(unchanged.log.content == "kept")
        #expect(unchanged.log.aggregatedAt == at(1))
        #expect(unchanged.log.updatedAt == at(1))
        #expect(unchanged.log.scanStatus == "ready_for_scan")
        #expect(try await store.log(id: withoutParts) == unchanged.log)

        for id in [first, second] {
            #expect(try await store.logParts(logID: id, query: LogPartsQuery()).isEmpty)
        }
        #expect(try await store.aggregate([], at: at(4)).isEmpty)
    }

    static func batchAggregateFailsPurgedLogAlone(_ store: any PartStore) async throws {
        let purged = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        let other = try await store.findOrCreateLog(jobID: JobID(2), at: at(0))
        _ = try await store.setContent([LogContentUpdate(jobID: JobID(1), content: "old\n")], at: at(1))
        #expect(
            try await store.purge(logID: purged, expectedContentMD5: MD5.hexDigest(of: Array("old\n".utf8)), at: at(2)))
        try await store.insertParts([part(purged, 9, "late\n"), part(other, 0, "fine\n")], at: at(3))

        let requests = [AggregationRequest(logID: purged), AggregationRequest(logID: other)]
        let results = try await store.aggregate(requests, at: at(4))
        #expect(results.count == 2)
        guard case .failure(let error) = results[0] else {
            Issue.record("expected .archivedContentRequired for the purged log, got \(results[0])")
            return
        }
        #expect(error.code == .archivedContentRequired)
        #expect(try results[1].get()?.log.content == "fine\n")

        let kept = try await store.log(id: purged)
        #expect(kept?.content == nil)
        #expect(kept?.purgedAt == at(2))
        #expect(kept?.aggregatedAt == at(1))
        #expect(try await store.logParts(logID: purged, query: LogPartsQuery()).map(\.content) == ["late\n"])
    }

    static func batchAggregateRestoresPurgedLog(_ store: any PartStore) async throws {
        let id = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        let restoredWithoutParts = try await store.findOrCreateLog(jobID: JobID(2), at: at(0))
        let updates = [
            LogContentUpdate(jobID: JobID(1), content: "old\n"), LogContentUpdate(jobID: JobID(2), content: "two\n"),
        ]
        _ = try await store.setContent(updates, at: at(1))
        let oldMD5 = MD5.hexDigest(of: Array("old\n".utf8))
        #expect(try await store.purge(logID: id, expectedContentMD5: oldMD5, at: at(2)))
        let twoMD5 = MD5.hexDigest(of: Array("two\n".utf8))
        #expect(try await store.purge(logID: restoredWithoutParts, expectedContentMD5: twoMD5, at: at(2)))
        try await store.insertParts([part(id, 9, "late\n", final: true)], at: at(3))

        let requests = [
            AggregationRequest(logID: id, archivedContent: "old\n"),
            AggregationRequest(logID: restoredWithoutParts, archivedContent: "two\n"),
        ]
        let results = try await store.aggregate(requests, at: at(4))
        let outcome = try #require(try results[0].get())
        #expect(outcome.log.content == "old\nlate\n")
        #expect(outcome.log.purgedAt == nil)
        #expect(outcome.log.archivedAt == nil)
        #expect(outcome.partsUsed == 1)
        let restored = try #require(try results[1].get())
        #expect(restored.log.content == "two\n")
        #expect(restored.log.purgedAt == nil)
        #expect(restored.partsUsed == 0)
        #expect(try await store.log(id: restoredWithoutParts) == restored.log)
    }

    /// Mixes, in one batch, a log whose parts split characters and repeat a number, a log of plain
    /// parts, and a log with content whose new part starts with orphan continuation bytes.
    static func batchAggregateJoinsSplitCharactersAndRepeats(_ store: any PartStore) async throws {
        let texts = splitTextParts()
        let repeatText = PartContent.storedText(fromBytes: Array("é".utf8.prefix(1)))
        let split = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        let plain = try await store.findOrCreateLog(jobID: JobID(2), at: at(0))
        let appended = try await store.findOrCreateLog(jobID: JobID(3), at: at(0))
        try await store.insertParts(
            [
                part(split, 2, texts[2]), part(split, 0, texts[0]), part(split, 1, texts[1]),
                part(split, 1, repeatText), part(split, 3, "", final: true), part(plain, 1, "b\n"),
                part(plain, 0, "a "), part(plain, 2, ""), part(appended, 0, "one\n"),
            ], at: at(1))
        _ = try await store.aggregate(logID: appended, archivedContent: nil, at: at(2))
        try await store.insertParts([part(appended, 1, texts[2])], at: at(3))

        let requests = [split, plain, appended].map { AggregationRequest(logID: $0) }
        let results = try await store.aggregate(requests, at: at(4))
        #expect(results.count == 3)
        let splitOutcome = try #require(try results[0].get())
        #expect(splitOutcome.log.content == "ok ✓ done 😀\n")
        #expect(splitOutcome.partsUsed == 4)
        #expect(splitOutcome.partsDeleted == 5)
        #expect(try await store.log(id: split) == splitOutcome.log)

        let plainOutcome = try #require(try results[1].get())
        #expect(plainOutcome.log.content == "a b\n")
        #expect(plainOutcome.partsUsed == 3)
        #expect(plainOutcome.partsDeleted == 3)
        #expect(try await store.log(id: plain) == plainOutcome.log)

        // The two orphan continuation bytes at the start of the new part cannot join content that
        // is already valid text, so each becomes U+FFFD.
        let appendedOutcome = try #require(try results[2].get())
        #expect(appendedOutcome.log.content == "one\n\u{FFFD}\u{FFFD}\n")
        #expect(appendedOutcome.partsUsed == 1)
        #expect(try await store.log(id: appended) == appendedOutcome.log)

        for id in [split, plain, appended] {
            #expect(try await store.logParts(logID: id, query: LogPartsQuery()).isEmpty)
        }
    }

    static func concurrentOverlappingBatches(_ store: any PartStore) async throws {
        try await concurrentOverlappingBatches(store, store)
    }

    /// Inserts parts into six logs while two stores aggregate overlapping batches of them, then
    /// checks that each log's content has every part exactly once, in number order.
    ///
    /// The two stores may be one object, or two stores on one database.
    static func concurrentOverlappingBatches(_ first: any PartStore, _ second: any PartStore) async throws {
        var ids: [LogID] = []
        for job in 1...6 {
            ids.append(try await first.findOrCreateLog(jobID: JobID(Int64(job)), at: at(0)))
        }
        let logIDs = ids
        let rounds = 20
        let batches: [[LogID]] = [Array(logIDs[0..<4]), Array(logIDs[2..<6]), logIDs.reversed(), [logIDs[3]]]
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for round in 0..<rounds {
                    try await first.insertParts(
                        logIDs.map { part($0, round, "log \($0) part \(round)\n", final: round == rounds - 1) },
                        at: at(1))
                }
            }
            for (index, store) in [first, second, first, second].enumerated() {
                group.addTask {
                    for round in 0..<rounds {
                        let batch = batches[(index + round) % batches.count]
                        for result in try await store.aggregate(batch.map { AggregationRequest(logID: $0) }, at: at(2))
                        {
                            _ = try result.get()
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        _ = try await second.aggregate(logIDs.map { AggregationRequest(logID: $0) }, at: at(3))

        for id in logIDs {
            let expected = (0..<rounds).map { "log \(id) part \($0)\n" }.joined()
            #expect(try await first.log(id: id)?.content == expected, "log \(id)")
            #expect(try await first.logParts(logID: id, query: LogPartsQuery()).isEmpty, "log \(id)")
        }
    }

    // MARK: - Content and archiving

    static func setContentReplaces(_ store: any PartStore) async throws {
        let id = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        try await store.insertParts([part(id, 1, "part")], at: at(1))
        try await store.markArchiveVerified(logID: id, at: at(1))
        let logs = try await store.setContent(
            [
                LogContentUpdate(jobID: JobID(1), content: "new", removedBy: 5),
                LogContentUpdate(jobID: JobID(2), content: "created"),
            ], at: at(2))
        #expect(logs.count == 2)
        #expect(logs.first?.id == id)
        #expect(logs.first?.content == "new")
        #expect(logs.first?.removedBy == 5)
        #expect(logs.first?.removedAt == at(2))
        #expect(logs.first?.aggregatedAt == at(2))
        #expect(logs.first?.archivedAt == nil)
        #expect(logs.first?.isArchiveVerified == nil)
        #expect(logs.first?.updatedAt == at(2))
        #expect(logs.last?.jobID == JobID(2))
        #expect(logs.last?.content == "created")
        #expect(logs.last?.removedAt == nil)
        #expect(try await store.logParts(logID: id, query: LogPartsQuery()).isEmpty)
        #expect(try await store.logID(forJobID: JobID(2)) == logs.last?.id)
    }

    static func setContentClears(_ store: any PartStore) async throws {
        _ = try await store.setContent([LogContentUpdate(jobID: JobID(1), content: "text")], at: at(1))
        let logs = try await store.setContent([LogContentUpdate(jobID: JobID(1), content: "")], at: at(2))
        #expect(logs.first?.content == nil)
        #expect(logs.first?.aggregatedAt == nil)
    }

    /// A restarted job's log is cleared after its archive and purge: the new run's parts must not be
    /// appended to the old archive.
    static func setContentAfterPurge(_ store: any PartStore) async throws {
        let id = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        try await store.insertParts([part(id, 1, "first run\n", final: true)], at: at(1))
        _ = try await store.aggregate(logID: id, archivedContent: nil, at: at(2))
        try await store.markArchiveVerified(logID: id, at: at(3))
        #expect(
            try await store.purge(
                logID: id, expectedContentMD5: MD5.hexDigest(of: Array("first run\n".utf8)), at: at(4)))
        let cleared = try await store.setContent([LogContentUpdate(jobID: JobID(1), content: nil)], at: at(5))
        #expect(cleared.first?.purgedAt == nil)
        #expect(cleared.first?.archivedAt == nil)
        try await store.insertParts([part(id, 1, "second run\n", final: true)], at: at(6))
        let outcome = try #require(try await store.aggregate(logID: id, archivedContent: nil, at: at(7)))
        #expect(outcome.log.content == "second run\n")
    }

    static func archiveFlags(_ store: any PartStore) async throws {
        let id = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        try await store.setArchiving(logID: id, true, at: at(1))
        #expect(try await store.log(id: id)?.isArchiving == true)
        try await store.setArchiving(logID: id, false, at: at(2))
        #expect(try await store.log(id: id)?.isArchiving == false)
        try await store.markArchiveVerified(logID: id, at: at(3))
        let verified = try await store.log(id: id)
        #expect(verified?.archivedAt == at(3))
        #expect(verified?.isArchiveVerified == true)
        try await store.markNotArchived(logID: id, at: at(4))
        let notArchived = try await store.log(id: id)
        #expect(notArchived?.archivedAt == nil)
        #expect(notArchived?.isArchiveVerified == false)
    }

    static func purgeOnlyWithMatchingMD5(_ store: any PartStore) async throws {
        let id = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        _ = try await store.setContent([LogContentUpdate(jobID: JobID(1), content: "héllo\n")], at: at(1))
        #expect(
            try await store.purge(logID: id, expectedContentMD5: MD5.hexDigest(of: Array("other".utf8)), at: at(2))
                == false)
        #expect(try await store.log(id: id)?.content == "héllo\n")
        #expect(
            try await store.purge(logID: id, expectedContentMD5: MD5.hexDigest(of: Array("héllo\n".utf8)), at: at(3)))
        let purged = try await store.log(id: id)
        #expect(purged?.content == nil)
        #expect(purged?.purgedAt == at(3))
        #expect(try await store.purge(logID: LogID(999), expectedContentMD5: "", at: at(4)) == false)
    }

    // MARK: - Sweeper

    static func aggregatableLogs(_ store: any PartStore) async throws {
        let finalOld = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        let finalNew = try await store.findOrCreateLog(jobID: JobID(2), at: at(0))
        let veryOld = try await store.findOrCreateLog(jobID: JobID(3), at: at(0))
        let recent = try await store.findOrCreateLog(jobID: JobID(4), at: at(0))
        try await store.insertParts([part(veryOld, 1, "x")], at: at(10))
        try await store.insertParts([part(finalOld, 1, "x", final: true)], at: at(100))
        try await store.insertParts([part(finalNew, 1, "x", final: true), part(recent, 1, "x")], at: at(200))
        let ids = try await store.aggregatableLogIDs(finalBefore: at(150), anyBefore: at(50), limit: 10)
        #expect(ids == [veryOld, finalOld])
    }

    /// Checks that a part stored after its log's aggregation, without a final part of its own, is
    /// swept as soon as a final part would be.
    static func aggregatableLogsIncludeLateParts(_ store: any PartStore) async throws {
        let aggregated = try await store.findOrCreateLog(jobID: JobID(1), at: at(0))
        let running = try await store.findOrCreateLog(jobID: JobID(2), at: at(0))
        try await store.insertParts([part(aggregated, 1, "a", final: true)], at: at(10))
        _ = try await store.aggregate(logID: aggregated, archivedContent: nil, at: at(20))
        try await store.insertParts([part(aggregated, 2, "late"), part(running, 1, "b")], at: at(30))
        let ids = try await store.aggregatableLogIDs(finalBefore: at(100), anyBefore: at(0), limit: 10)
        #expect(ids == [aggregated])
    }

    static func aggregatableLogsLimit(_ store: any PartStore) async throws {
        for job in 1...5 {
            let id = try await store.findOrCreateLog(jobID: JobID(Int64(job)), at: at(0))
            try await store.insertParts([part(id, 1, "a", final: true), part(id, 2, "b", final: true)], at: at(job))
        }
        let ids = try await store.aggregatableLogIDs(finalBefore: at(100), anyBefore: at(0), limit: 3)
        #expect(ids.count == 3)
        #expect(Set(ids).count == 3)
    }

    static func partitionMaintenanceRuns(_ store: any PartStore) async throws {
        try await store.runPartitionMaintenance()
    }
}
