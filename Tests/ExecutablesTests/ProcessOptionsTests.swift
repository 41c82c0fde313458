import CommandLineSupport
import Foundation
import LogsCore
import Testing

@Suite("Process options")
struct ProcessOptionsTests {
    private func parsed(_ command: CommandDefinition, _ arguments: [String]) throws -> ParsedArguments {
        try ArgumentParser.parse(arguments, for: command)
    }

    @Test(
        "queue argument forms",
        arguments: [
            ("log_parts", "log_parts", 1), ("aggregate,1", "aggregate", 1),
            ("logs.pusher_forwarding,7", "logs.pusher_forwarding", 7),
        ])
    func queueForms(text: String, name: String, weight: Int) {
        #expect(WeightedQueueArgument.parse(text) == WeightedQueue(name, weight: weight))
    }

    @Test("invalid queue arguments", arguments: ["", ",1", "a,", "a,0", "a,1001", "a,x", "a,1,2", "a b"])
    func invalidQueue(text: String) {
        #expect(WeightedQueueArgument.parse(text) == nil)
    }

    @Test("worker options with defaults")
    func workerDefaults() throws {
        let options = try WorkerOptions(parsed(TravisLogsCommands.worker, ["--queue", "archive"]))
        #expect(options.queues == [WeightedQueue("archive")])
        #expect(options.concurrency == 5)
        #expect(options.metricsPort == nil)
    }

    @Test("worker rejects an invalid queue by name")
    func workerInvalidQueue() throws {
        let arguments = try parsed(TravisLogsCommands.worker, ["-q", "a", "-q", "b,zero"])
        let error = #expect(throws: ArgumentError.self) { try WorkerOptions(arguments) }
        #expect(error?.code == .invalidValue)
        #expect(error?.message.contains("'b,zero'") == true)
        #expect(error?.message.contains("--queue") == true)
    }

    @Test("worker requires a queue")
    func workerRequiresQueue() {
        #expect(throws: ArgumentError.self) { try parsed(TravisLogsCommands.worker, ["-c", "2"]) }
    }

    @Test("service ports are checked")
    func servicePorts() throws {
        let web = try ServiceOptions(parsed(TravisLogsCommands.web, ["--port", "8080"]))
        #expect(web.port == 8080)
        #expect(throws: ArgumentError.self) { try ServiceOptions(parsed(TravisLogsCommands.web, ["--port", "0"])) }
        let sweeper = try ServiceOptions(parsed(TravisLogsCommands.sweeper, ["--metrics-port=9100"]))
        #expect(sweeper.metricsPort == 9100)
        let dev = try ServiceOptions(parsed(TravisLogsCommands.dev, []))
        #expect(dev.directory == ".travis-logs")
        #expect(dev.port == nil)
    }

    @Test("send with a token option")
    func sendWithToken() throws {
        let arguments = try parsed(
            TravisLogsCommands.send, ["log.txt", "--job-id", "12", "--token", "abc", "--rate", "50"])
        let options = try SendOptions(arguments, environment: [:])
        #expect(options.file == "log.txt")
        #expect(options.jobID == JobID(12))
        #expect(options.url.absoluteString == "http://127.0.0.1:5555")
        #expect(options.authentication == .token("abc"))
        #expect(options.rate == 50)
    }

    @Test("send falls back to AUTH_TOKEN")
    func sendTokenFromEnvironment() throws {
        let arguments = try parsed(TravisLogsCommands.send, ["-", "--job-id=3"])
        let options = try SendOptions(arguments, environment: ["AUTH_TOKEN": "from-env"])
        #expect(options.authentication == .token("from-env"))
        #expect(throws: ArgumentError.self) { try SendOptions(arguments, environment: [:]) }
    }

    @Test("send with a JWT key")
    func sendWithKey() throws {
        let arguments = try parsed(TravisLogsCommands.send, ["f", "--job-id", "3", "--jwt-key", "key.pem"])
        let options = try SendOptions(arguments, environment: ["AUTH_TOKEN": "ignored"])
        #expect(options.authentication == .jwtKey(path: "key.pem"))
    }

    @Test(
        "send rejects invalid values",
        arguments: [
            ["f", "--job-id", "0", "--token", "t"],
            ["f", "--job-id", "x", "--token", "t"],
            ["f", "--job-id", "1", "--token", "t", "--url", "ftp://host"],
            ["f", "--job-id", "1", "--token", "t", "--url", "localhost:5555"],
            ["f", "--job-id", "1", "--token", "t", "--rate", "0"],
            ["f", "--job-id", "1", "--token", "t", "--jwt-key", "k.pem"],
        ])
    func sendInvalid(arguments: [String]) throws {
        let parsedArguments = try parsed(TravisLogsCommands.send, arguments)
        #expect(throws: ArgumentError.self) { try SendOptions(parsedArguments, environment: [:]) }
    }
}
