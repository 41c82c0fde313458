import Foundation
import LogsCore
import TestSupport
import Testing

/// Processes killed and services restarted or failing while logs stream in. Each scenario ends
/// with every part of every log in its archive exactly once.
@Suite(
    "End to end: faults", .serialized,
    .enabled(if: EndToEndSystem.isAvailable, "the end-to-end tests need the services that script/test starts"))
struct FaultEndToEndTests {
    @Test("processes killed under load", .timeLimit(.minutes(6)))
    func processesKilled() async throws {
        try await EndToEndSystem.with { system in
            let load = FaultLoad(jobIDBase: system.jobIDBase, count: 4)
            async let fed: Void = load.run(on: system, rounds: 30, pause: .milliseconds(300), rate: 8)

            let schedule: [(at: Duration, roles: [EndToEndSystem.Role])] = [
                (.seconds(1), [.drain]), (.seconds(3), [.workerHigh]), (.seconds(4.5), [.web]),
                (.seconds(6), [.workerLow, .workerCritical]), (.seconds(7.5), [.sweeper]),
            ]
            let start = ContinuousClock.now
            for step in schedule {
                try await Task.sleep(until: start + step.at)
                for role in step.roles { try await system.process(role).killHard() }
                try await Task.sleep(for: .milliseconds(700))
                for role in step.roles { try system.process(role).restart() }
            }
            try await fed
            try await system.expectArchivedAndPurged(load.all)
        }
    }

    @Test("services restarted under load", .timeLimit(.minutes(6)))
    func servicesRestarted() async throws {
        try await EndToEndSystem.with { system in
            let load = FaultLoad(jobIDBase: system.jobIDBase, count: 4)
            async let fed: Void = load.run(on: system, rounds: 30, pause: .milliseconds(400), rate: 6)

            try await Task.sleep(for: .seconds(2))
            try await ServiceControl.restart("postgres")
            try await Task.sleep(for: .seconds(2))
            try await ServiceControl.restart("redis")
            try await Task.sleep(for: .seconds(2))
            try await ServiceControl.restart("rabbitmq")

            try await fed
            try await system.expectArchivedAndPurged(load.all)
        }
    }

    @Test("S3 outage delays the archive", .timeLimit(.minutes(6)))
    func s3Failing() async throws {
        let upstream = try #require(URL(string: try TestEnvironment.require("TRAVIS_S3_ENDPOINT")))
        let proxy = try await S3FaultProxy(upstream: upstream)
        let options = EndToEndSystem.Options(environment: ["TRAVIS_S3_ENDPOINT": proxy.endpoint.absoluteString])
        try await EndToEndSystem.with(options) { system in
            try await proxy.inject(.status(500, code: "InternalError"), count: 1_000_000)
            let load = FaultLoad(jobIDBase: system.jobIDBase, count: 2)
            try await load.run(on: system, rounds: 5, pause: .milliseconds(200), rate: 100)

            try await Task.sleep(for: .seconds(30))
            let (requests, faulted) = try await proxy.counts()
            #expect(faulted > 0, "no request reached S3 during the outage")
            #expect(requests == faulted, "a request passed the outage")
            for log in load.all {
                let row = try #require(try await system.logRow(jobID: log.jobID))
                #expect(!row.isPurged, "\(log.name) was purged while S3 failed")
            }
            try await proxy.inject(.status(500, code: "InternalError"), count: 0)
            try await system.expectArchivedAndPurged(load.all)
        }
    }

    @Test("short S3 object archived again", .timeLimit(.minutes(4)))
    func shortObject() async throws {
        // An hour's thousandth (3.6 s) between the archive and the purge leaves time to cut the object.
        let options = EndToEndSystem.Options(environment: ["TRAVIS_LOGS_INTERVALS_PURGE": "0.001"])
        try await EndToEndSystem.with(options) { system in
            let log = WorkerLog(name: "cut short", jobID: system.jobIDBase, bytes: Self.text(lines: 2_000))
            try await system.publish(log.messages)
            try await system.wait(for: "the archive to be verified") {
                try await system.logRow(jobID: log.jobID)?.archiveVerified == true
            }
            try await system.putObject(jobID: log.jobID, content: Data(log.expected.prefix(log.expected.count / 2)))

            try await system.expectArchivedAndPurged([(jobID: log.jobID, expected: log.expected, name: log.name)])
            let worker = try system.process(.workerLow).log
            #expect(worker.contains("archive does not match the log"), "the purge did not notice the short object")
        }
    }

    static func text(lines: Int) -> [UInt8] {
        Array((1...lines).map { "line \($0) of a log whose archive is cut short\n" }.joined().utf8)
    }
}

/// Restarts of the services that `script/test` started, through their `script/services` scripts.
enum ServiceControl {
    /// Runs `script/services/NAME restart DIR` and waits for it.
    static func restart(_ name: String) async throws {
        let root = try TestEnvironment.require("LOGS_TEST_SERVICES_DIR")
        let script = Resources.repositoryRoot.appendingPathComponent("script/services/\(name)").path
        let directory = URL(fileURLWithPath: root).appendingPathComponent(name).path
        // system() waits with waitpid. Foundation's Process did not return from waitUntilExit after
        // the RabbitMQ script exited while the node it controls kept running. Python's subprocess
        // closes every other descriptor first: a restarted PostgreSQL or Redis that inherited this
        // process's pipes would keep them open after the tests, and `swift test` would wait forever.
        let command =
            "python3 -c 'import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, "
            + "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode)' '\(script)' restart '\(directory)'"
        let status = try await runOnOwnThread { system(command) }
        guard status == 0 else { throw EndToEndError("script/services/\(name) restart failed with status \(status)") }
    }
}
