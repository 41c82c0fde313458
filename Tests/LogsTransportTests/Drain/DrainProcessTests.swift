import Foundation
import LogsCore
import Testing

@testable import LogsTransport

/// Runs `travis-logs drain` as a child process on the default queue names, so that killing it is a
/// real crash. The suite is serialized because every test uses the one `reporting.jobs.logs` queue.
@Suite(
    "Drain process",
    .serialized,
    .enabled(if: RabbitMQTestServer.isEnabled, RabbitMQTestServer.skipReason),
    .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct DrainProcessTests {
    @Test("SIGKILL mid-batch loses no part")
    func killMidBatch() async throws {
        let harness = try await DrainHarness("process") { $0 = DrainSettings() }
        try await harness.publisher.deleteQueue(harness.settings.queueName)
        let namespace = String(harness.namespace.dropLast())
        let environment = [
            "RABBITMQ_URL": try RabbitMQTestServer.url(), "REDIS_URL": try RedisTestServer.url(),
            "TRAVIS_SIDEKIQ_NAMESPACE": namespace, "TRAVIS_LOGS_DRAIN_BATCH_SIZE": "40",
            "TRAVIS_LOGS_DRAIN_EXECUTION_INTERVAL": "60", "TRAVIS_LOGS_DRAIN_CONSUMER_COUNT": "2",
            // Without the existence check every part is forwarded on arrival, which shows an open batch.
            "TRAVIS_CHANNELS_EXISTENCE_CHECK": "false",
        ]
        let expected = Set((1...10).flatMap { job in (1...60).map { JobPart(jobID: 300 + job, number: $0) } })
        let ordered = expected.sorted()

        let first = try DrainProcess(environment: environment)
        try await harness.wait("the drain's queue") {
            (try? await harness.publisher.declareQueue(harness.settings.queueName, passive: true)) != nil
        }
        for part in ordered.prefix(250) {
            try await harness.publish(#"{"id": \#(part.jobID), "log": "\#(part)", "number": \#(part.number)}"#)
        }
        // Parts are forwarded on arrival and stored in batches of 40, so a batch is open once more
        // parts were forwarded than stored.
        try await harness.wait("an open batch after a stored one") {
            let stored = try await harness.storedParts().count
            let forwarded = try await harness.forwardedParts().count
            return stored > 0 && forwarded > stored
        }
        first.kill(signal: SIGKILL)
        _ = await first.waitForExit()
        let storedBeforeKill = try await harness.storedParts().count
        #expect(storedBeforeKill < 250)

        for part in ordered.dropFirst(250) {
            try await harness.publish(#"{"id": \#(part.jobID), "log": "\#(part)", "number": \#(part.number)}"#)
        }
        // The backlog rarely splits into full batches between the two consumers. A short interval
        // stores the partial batches without waiting the first drain's minute.
        var restarted = environment
        restarted["TRAVIS_LOGS_DRAIN_EXECUTION_INTERVAL"] = "1"
        let second = try DrainProcess(environment: restarted)
        var missing: [JobPart] = []
        var unexpected: [JobPart] = []
        do {
            try await harness.wait(for: .seconds(30), "every part after a restart") {
                let stored = Set(try await harness.storedParts().map(JobPart.init))
                missing = expected.subtracting(stored).sorted()
                unexpected = stored.subtracting(expected).sorted()
                return missing.isEmpty && unexpected.isEmpty
            }
        } catch {
            let ready = (try? await harness.readyMessages()).map(String.init) ?? "unknown"
            Issue.record(
                """
                missing \(missing.count) parts (first: \(missing.prefix(5))), \(unexpected.count) unexpected, \
                \(ready) messages ready; restarted drain's log: \(second.log.suffix(4000))
                """)
            throw error
        }
        let status = await second.terminate()
        #expect(status == 0, "drain log: \(second.log)")
        #expect(try await harness.readyMessages() == 0)

        // A part may be stored twice when the kill fell between a push and its acknowledgement.
        // Aggregation keeps the first copy, so every stored copy must carry the right content.
        for part in try await harness.storedParts() {
            let content = String(decoding: try PartNormalizer().contentBytes(of: part), as: UTF8.self)
            #expect(content == "\(JobPart(part))")
        }
        try await harness.cleanUp()
    }

    @Test("forwards watched jobs with the existence check")
    func forwardsWatchedJobs() async throws {
        let harness = try await DrainHarness("process-watched") { $0 = DrainSettings() }
        try await harness.publisher.deleteQueue(harness.settings.queueName)
        // Job ids of this run only, because presence keys are not in the harness's namespace.
        let base = Int64.random(in: 1_000_000_000...2_000_000_000)
        let (occupied, streamed, unwatched) = (JobID(base), JobID(base + 1), JobID(base + 2))
        let presence = RedisChannelPresence(pool: harness.pool)
        try await presence.markOccupied("private-job-\(occupied.rawValue)")
        try await RedisLiveStreamAudience(pool: harness.pool).markWatched([streamed])
        let environment = [
            "RABBITMQ_URL": try RabbitMQTestServer.url(), "REDIS_URL": try RedisTestServer.url(),
            "TRAVIS_SIDEKIQ_NAMESPACE": String(harness.namespace.dropLast()),
            "TRAVIS_LOGS_DRAIN_BATCH_SIZE": "5", "PUSHER_SECURE": "true",
        ]
        let drain = try DrainProcess(environment: environment)
        try await harness.wait("the drain's queue") {
            (try? await harness.publisher.declareQueue(harness.settings.queueName, passive: true)) != nil
        }
        for number in 1...5 {
            for job in [occupied, streamed, unwatched] {
                try await harness.publish(#"{"id": \#(job.rawValue), "log": "line", "number": \#(number)}"#)
            }
        }
        try await harness.wait("fifteen stored parts") { try await harness.storedParts().count == 15 }
        let status = await drain.terminate()
        #expect(status == 0, "drain log: \(drain.log)")

        let forwarded = try await harness.forwardedParts()
        #expect(Set(forwarded.map(\.jobID)) == [occupied, streamed])
        #expect(forwarded.count == 10)
        try await presence.markVacant("private-job-\(occupied.rawValue)")
        _ = try await harness.pool.send("DEL", RedisLiveStreamAudience(pool: harness.pool).key(streamed))
        try await harness.cleanUp()
    }
}

extension JobPart: CustomStringConvertible {
    var description: String { "job \(jobID) part \(number)" }
}
