import Foundation
import TestSupport

/// Logs fed to a system slowly, over AMQP and HTTP, so that the faults a scenario injects land while
/// parts are in flight.
struct FaultLoad: Sendable {
    var overAMQP: [WorkerLog]
    var overHTTP: [WorkerLog]

    /// `count` logs over each transport, each about 100 KB (about 60 parts) of generated text.
    init(jobIDBase: Int64, count: Int) {
        func text(_ job: Int) -> [UInt8] {
            Array(
                (1...1_500).map { "job \(job) step \($0): \u{1B}[32m✔\u{1B}[0m compiling module \($0 % 97)\n" }.joined()
                    .utf8)
        }
        overAMQP = (0..<count).map { WorkerLog(name: "AMQP log \($0)", jobID: jobIDBase + Int64($0), bytes: text($0)) }
        overHTTP = (0..<count).map {
            WorkerLog(name: "HTTP log \($0)", jobID: jobIDBase + Int64(count + $0), bytes: text(count + $0))
        }
    }

    var all: [(jobID: Int64, expected: [UInt8], name: String)] {
        (overAMQP + overHTTP).map { (jobID: $0.jobID, expected: $0.expected, name: $0.name) }
    }

    /// Publishes every AMQP log's parts in `rounds` steps `pause` apart, and sends the HTTP logs
    /// with `travis-logs send` at `rate` parts per second each. Returns when everything went out.
    ///
    /// A step whose publish failed is published again, because the broker may be restarting.
    func run(on system: EndToEndSystem, rounds: Int, pause: Duration, rate: Int) async throws {
        async let published: Void = publish(on: system, rounds: rounds, pause: pause)
        let files = try overHTTP.map { log in
            let file = system.workDirectory.appendingPathComponent("job-\(log.jobID).log")
            try Data(log.bytes).write(to: file)
            return (file, log)
        }
        let results = try await withThrowingTaskGroup(of: (String, CommandResult).self) { group in
            for (file, log) in files {
                group.addTask {
                    (
                        log.name,
                        try await system.send(file: file, jobID: log.jobID, arguments: ["--rate", String(rate)])
                    )
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        try await published
        for (name, result) in results where result.status != 0 {
            throw EndToEndError("send of \(name) exited \(result.status): \(result.output.suffix(400))")
        }
    }

    private func publish(on system: EndToEndSystem, rounds: Int, pause: Duration) async throws {
        let messages = overAMQP.map(\.messages)
        let longest = messages.map(\.count).max() ?? 0
        let perRound = max(1, (longest + rounds - 1) / rounds)
        for start in stride(from: 0, to: longest, by: perRound) {
            let round = messages.flatMap { job in job[min(start, job.count)..<min(start + perRound, job.count)] }
            let deadline = ContinuousClock.now + .seconds(90)
            while true {
                do {
                    try await system.publish(round)
                    break
                } catch  where ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(500))
                }
            }
            try await Task.sleep(for: pause)
        }
    }
}
