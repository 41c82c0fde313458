import Foundation
import LogsCore
import LogsTransport
import TestSupport
import Testing

/// `travis-logs dev` with `RABBITMQ_URL` set, where the drain joins the process and consumes the
/// default `reporting.jobs.logs` queue, as workers publish to it.
@Suite(
    "travis-logs dev with RabbitMQ",
    .enabled(if: BuiltExecutable.isAvailableOrCI, "travis-logs is not built beside the test bundle; run swift build"),
    .enabled(
        if: ProcessInfo.processInfo.environment["RABBITMQ_URL"] != nil
            || ProcessInfo.processInfo.environment["CI"] == "true",
        "RABBITMQ_URL is unset; run script/test, or script/services/rabbitmq start DIR"))
struct DevDrainTests {
    private let token = "dev-drain-test-token"

    @Test("dev archives parts published over AMQP")
    func drainJoinsDev() async throws {
        let url = try #require(
            ProcessInfo.processInfo.environment["RABBITMQ_URL"], "RABBITMQ_URL is unset under CI=true")
        let settings = DrainSettings()
        let publisher = AMQPConnection(endpoint: try AMQPEndpoint(url: url), name: "dev-drain-test")
        try await publisher.open()
        try await publisher.deleteQueue(settings.queueName)

        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("travis-logs-dev-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try freeLoopbackPort()
        let dev = try ToolProcess(
            ["dev", "--directory", directory.path, "--port", "\(port)"],
            environment: [
                "AUTH_TOKEN": token, "RABBITMQ_URL": url, "TRAVIS_LOGS_DRAIN_EXECUTION_INTERVAL": "0.2",
                "TRAVIS_LOGS_INTERVALS_AGGREGATE": "1",
            ])
        try await dev.waitForOutput("running at")
        let declared = try await eventually(within: .seconds(30)) {
            (try? await publisher.declareQueue(settings.queueName, passive: true)) != nil
        }
        try #require(declared, "dev did not declare \(settings.queueName); stderr: \(dev.errorOutput.suffix(2000))")

        let jobID = 9_100 + Int.random(in: 0..<900)
        let messages = [
            #"{"id": \#(jobID), "log": "from the drain ✓\n", "number": 1}"#,
            #"{"id": \#(jobID), "log": "", "number": 2, "final": true}"#,
        ]
        for message in messages {
            try await publisher.publish(
                Data(message.utf8), exchange: settings.exchangeName, routingKey: settings.routingKey)
        }
        let verified = try await eventually(within: .seconds(60)) {
            let log = try await httpRequest("GET", "http://127.0.0.1:\(port)/logs/\(jobID)?by=job_id", token: token)
            return log.body.contains(#""archive_verified":true"#)
        }
        let status = try await dev.stop()
        await publisher.close()

        #expect(verified, "no verified archive; stderr: \(dev.errorOutput.suffix(2000))")
        let archived = directory.appendingPathComponent("archive/jobs/\(jobID)/log.txt")
        #expect(try String(contentsOf: archived, encoding: .utf8) == "from the drain ✓\n")
        #expect(status == 0)
    }
}
