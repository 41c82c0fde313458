import Foundation
import LogsCore
import Testing

/// What happens to a log after its archive: a late part, removal by a user, and a restarted job.
@Suite(
    "End to end: a log after its archive", .serialized,
    .enabled(if: EndToEndSystem.isAvailable, "the end-to-end tests need the services that script/test starts"))
struct LogLifecycleEndToEndTests {
    @Test("late part, removal and restart after purge", .timeLimit(.minutes(4)))
    func lateRemovedAndRestarted() async throws {
        try await EndToEndSystem.with { system in
            let late = WorkerLog(name: "late part", jobID: system.jobIDBase, bytes: Self.text("late", lines: 300))
            let removed = WorkerLog(
                name: "removed", jobID: system.jobIDBase + 1, bytes: Self.text("removed", lines: 200))
            let restarted = WorkerLog(
                name: "restarted", jobID: system.jobIDBase + 2, bytes: Self.text("first run", lines: 400))
            try await system.publish(late.messages + removed.messages + restarted.messages)
            try await system.expectArchivedAndPurged(
                [late, removed, restarted].map { (jobID: $0.jobID, expected: $0.expected, name: $0.name) })

            // A part that arrives after the purge is appended to the archived text, never replacing it.
            let lateBytes = Array("one more line after the purge\n".utf8)
            let lateNumber = late.parts.count + 1
            try await system.publish([
                WorkerLog.message(jobID: late.jobID, number: lateNumber, bytes: lateBytes[...], isFinal: true)
            ])

            // A user removes a log: its content is replaced and it is marked removed.
            let notice = "Log removed by someone at 2026-12-04 10:00:00 UTC"
            let removal = try await system.request(
                "PUT", "/logs/\(removed.jobID)?removed_by=42", body: Data(notice.utf8))
            #expect(removal.status == 200, "PUT /logs?removed_by answered \(removal.status)")
            let fetched = try JSONValue(
                parsing: try await system.request("GET", "/logs/\(removed.jobID)?by=job_id").body)
            #expect(fetched["content"]?.stringValue == notice)
            #expect(fetched["removed_by_id"]?.integerValue == 42)
            #expect(fetched["removed_at"]?.stringValue != nil)

            // A restarted job: its log is cleared, then the new run's parts arrive over HTTP.
            let cleared = try await system.request("PUT", "/logs/\(restarted.jobID)?clear=1")
            #expect(cleared.status == 200, "PUT /logs?clear=1 answered \(cleared.status)")
            let secondRun = WorkerLog(
                name: "restarted, second run", jobID: restarted.jobID, bytes: Self.text("second run", lines: 250))
            let file = system.workDirectory.appendingPathComponent("second-run.log")
            try Data(secondRun.bytes).write(to: file)
            let sent = try await system.send(file: file, jobID: secondRun.jobID)
            #expect(sent.status == 0, "send exited \(sent.status): \(sent.output.suffix(400))")

            let lateExpected = late.expected + lateBytes
            try await system.wait(for: "the late part's log to be archived again") {
                try await system.archivedObject(jobID: late.jobID).map(Array.init) == lateExpected
            }
            try await system.wait(for: "the restarted job's second run to be archived") {
                try await system.archivedObject(jobID: secondRun.jobID).map(Array.init) == secondRun.expected
            }
            try await system.expectArchivedAndPurged([
                (jobID: late.jobID, expected: lateExpected, name: late.name),
                (jobID: secondRun.jobID, expected: secondRun.expected, name: secondRun.name),
            ])
            let afterRemoval = try #require(try await system.logRow(jobID: removed.jobID))
            #expect(afterRemoval.hasContent, "the removal notice is kept in the database")
        }
    }

    static func text(_ label: String, lines: Int) -> [UInt8] {
        Array((1...lines).map { "\(label) line \($0): \u{1B}[33mok\u{1B}[0m\n" }.joined().utf8)
    }
}
