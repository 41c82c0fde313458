import LogsCore

/// The options of `worker`, checked.
public struct WorkerOptions: Sendable, Hashable {
    public var queues: [WeightedQueue]
    public var concurrency: Int
    public var metricsPort: Int?

    /// - Throws: `ArgumentError` with code `.invalidValue` naming the option and value at fault.
    public init(_ arguments: ParsedArguments) throws(ArgumentError) {
        queues = []
        for text in arguments.values("queue") {
            guard let queue = WeightedQueueArgument.parse(text) else {
                throw arguments.invalid("queue", text, expected: WeightedQueueArgument.expected)
            }
            queues.append(queue)
        }
        concurrency = try arguments.integer("concurrency", in: 1...1000) ?? 5
        metricsPort = try arguments.integer("metrics-port", in: 1...65535)
    }
}

/// The options of `web`, `dev`, `drain`, `sweeper` and `maintenance`, checked: whichever of
/// `--port`, `--directory` and `--metrics-port` the command defines.
public struct ServiceOptions: Sendable, Hashable {
    /// The API port given with `--port`; nil means `PORT` or its default.
    public var port: Int?
    public var directory: String?
    public var metricsPort: Int?

    /// - Throws: `ArgumentError` with code `.invalidValue` naming the option and value at fault.
    public init(_ arguments: ParsedArguments) throws(ArgumentError) {
        let command = arguments.command
        if command.option(named: "port") != nil {
            port = try arguments.integer("port", in: 1...65535)
        }
        if command.option(named: "metrics-port") != nil {
            metricsPort = try arguments.integer("metrics-port", in: 1...65535)
        }
        if command.option(named: "directory") != nil {
            directory = try arguments.value("directory", expected: "a folder path") { $0.isEmpty ? nil : $0 }
        }
    }
}
