// The load generators and floors of script/bench/system, which starts the services and the
// travis-logs processes and reads the results.
//
//   SystemBenchmark publish FIRST_JOB JOBS PARTS_PER_JOB PUBLISHERS
//       publishes a backlog of worker messages for JOBS jobs, round robin, as fast as possible
//   SystemBenchmark paced FIRST_JOB JOBS PARTS_PER_JOB RATE
//       publishes the same at RATE parts per second, each part carrying its publishing time
//   SystemBenchmark consume-floor MESSAGES CONSUMERS PREFETCH
//       times a bare consume-and-acknowledge loop over MESSAGES messages of the same size
//   SystemBenchmark pusher
//       runs the Pusher stand-in of the tests, prints its port and stops at the end of standard input
//
// Reads RABBITMQ_URL; `pusher` reads LOGS_TEST_PYTHON. Results are `key=value` lines on stdout.
import Foundation
import LogsTransport
import TestSupport

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("SystemBenchmark: \(message)\n".utf8))
    exit(2)
}

/// Returns positional argument `index` (after the subcommand) as a positive number.
func number<Value: LosslessStringConvertible & Comparable & ExpressibleByIntegerLiteral>(
    _ index: Int, _ name: String, as type: Value.Type = Value.self
) -> Value {
    let arguments = CommandLine.arguments
    guard arguments.count > index + 1 else { fail("missing argument \(name); see the usage in main.swift") }
    guard let value = Value(arguments[index + 1]), value > 0 else {
        fail("invalid \(name) '\(arguments[index + 1])': expected a number above 0")
    }
    return value
}

func amqpEndpoint() -> AMQPEndpoint {
    guard let url = ProcessInfo.processInfo.environment["RABBITMQ_URL"] else {
        fail("RABBITMQ_URL is not set; script/bench/system sets it from script/services/rabbitmq")
    }
    do {
        return try AMQPEndpoint(url: url)
    } catch {
        fail("invalid RABBITMQ_URL: \(error)")
    }
}

/// Runs the tests' Pusher stand-in until standard input ends.
func runPusher() async throws {
    let server = try await PusherTestServer.start()
    // Written unbuffered, because the caller reads the port before standard output is flushed.
    FileHandle.standardOutput.write(Data("\(server.port)\n".utf8))
    _ = FileHandle.standardInput.readDataToEndOfFile()
    server.stop()
}

let subcommand = CommandLine.arguments.dropFirst().first ?? ""
switch subcommand {
case "publish":
    try await Publishing.backlog(
        endpoint: amqpEndpoint(), firstJob: number(1, "FIRST_JOB"), jobCount: number(2, "JOBS"),
        partsPerJob: number(3, "PARTS_PER_JOB"), publisherCount: number(4, "PUBLISHERS"))
case "paced":
    try await Publishing.paced(
        endpoint: amqpEndpoint(), firstJob: number(1, "FIRST_JOB"), jobCount: number(2, "JOBS"),
        partsPerJob: number(3, "PARTS_PER_JOB"), rate: number(4, "RATE"))
case "consume-floor":
    try await ConsumeFloor.run(
        endpoint: amqpEndpoint(), messageCount: number(1, "MESSAGES"), consumerCount: number(2, "CONSUMERS"),
        prefetch: number(3, "PREFETCH"))
case "pusher":
    try await runPusher()
default:
    fail("unknown subcommand '\(subcommand)': expected publish, paced, consume-floor or pusher")
}
