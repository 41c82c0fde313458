// Measures the drain against a bare consume-and-acknowledge loop on the same broker.
//
//   DrainBenchmark [floor | drain] MESSAGES JOBS CONSUMERS
//   DrainBenchmark publish MESSAGES JOBS
//   DrainBenchmark pusher
//
// Reads RABBITMQ_URL and REDIS_URL. Each phase first publishes MESSAGES parts of about 90 bytes
// for JOBS jobs into a fresh queue, then times how long the consumers take to empty it. The floor
// phase only acknowledges each chunk of deliveries with one multiple acknowledgement. The drain
// phase runs LogDrain into RedisJobQueue until every part is in a log_parts job, and also
// reports its rate until at most CONSUMERS batches of parts remain. Prints one `key=value` line
// per phase. Without a form word both phases run, the floor first. The `floor` and `drain` forms
// run only that phase. The `publish` form only publishes the messages into the queue that
// `travis-logs drain` consumes by default, `reporting.jobs.logs`, for the end-to-end phase of
// script/bench/drain. The `pusher` form runs the Pusher stand-in of that phase (see
// PusherCounter.swift) until standard input ends.
import Foundation
import LogsCore
import LogsTransport

if CommandLine.arguments.dropFirst().first == "pusher" {
    try PusherCounter.run()
    exit(0)
}

/// The form word before MESSAGES (`publish`, `floor` or `drain`), or nil when there is none.
let form = CommandLine.arguments.dropFirst().first.flatMap { ["publish", "floor", "drain"].contains($0) ? $0 : nil }
let arguments = form == nil ? CommandLine.arguments : Array(CommandLine.arguments.dropFirst())
if let first = arguments.dropFirst().first, Int(first) == nil {
    let expected = "expected the number of MESSAGES or a form: publish, floor, drain or pusher"
    FileHandle.standardError.write(Data("invalid argument '\(first)': \(expected)\n".utf8))
    exit(2)
}
let messageCount = arguments.count > 1 ? Int(arguments[1]) ?? 200_000 : 200_000
let jobCount = arguments.count > 2 ? Int(arguments[2]) ?? 2_000 : 2_000
let consumerCount = arguments.count > 3 ? Int(arguments[3]) ?? 4 : 4
let environment = ProcessInfo.processInfo.environment
let endpoint = try AMQPEndpoint(url: environment["RABBITMQ_URL"] ?? "amqp://127.0.0.1")
let logger = Logger(label: "drain-benchmark")

/// CPU seconds this process has used, user and system together.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    return user + system
}

func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

func publish(into settings: DrainSettings) async throws {
    // The broker can take longer than the default 10 s to reply while it writes a backlog to disk.
    var publisherEndpoint = endpoint
    publisherEndpoint.connectTimeout = .seconds(300)
    let publisher = AMQPConnection(endpoint: publisherEndpoint, name: "benchmark-publisher")
    try await publisher.open()
    try await publisher.deleteQueue(settings.queueName)
    try await publisher.declareExchange(settings.exchangeName, type: settings.exchangeType)
    try await publisher.declareQueue(settings.queueName)
    try await publisher.bindQueue(settings.queueName, to: settings.exchangeName, routingKey: settings.routingKey)
    let padding = String(repeating: "x", count: 40)
    for index in 0..<messageCount {
        let job = 1 + index % jobCount
        let number = 1 + index / jobCount
        let body = #"{"id":\#(job),"log":"\u001b[32mline \#(number) \#(padding)\u001b[0m\r\n","number":\#(number)}"#
        try await publisher.publish(Data(body.utf8), exchange: settings.exchangeName, routingKey: settings.routingKey)
    }
    // A passive declaration waits for the broker, so every publish before it has arrived.
    _ = try await publisher.declareQueue(settings.queueName, passive: true)
    await publisher.close()
}

func report(_ phase: String, seconds: Double, cpu: Double, extra: String = "") {
    let rate = Double(messageCount) / seconds
    let cpuPerPart = cpu / Double(messageCount) * 1000
    print(
        "phase=\(phase) parts=\(messageCount) seconds=\(String(format: "%.2f", seconds)) "
            + "parts_per_second=\(Int(rate)) cpu_ms_per_part=\(String(format: "%.4f", cpuPerPart)) "
            + "peak_rss_mb=\(String(format: "%.1f", peakResidentMegabytes()))\(extra)")
}

func runFloor(settings: DrainSettings) async throws {
    try await publish(into: settings)
    let start = ContinuousClock.now
    let cpuStart = cpuSeconds()
    await withThrowingTaskGroup(of: Int.self) { group in
        for number in 0..<consumerCount {
            group.addTask {
                let connection = AMQPConnection(endpoint: endpoint, name: "floor-\(number)")
                try await connection.open()
                try await connection.consume(queue: settings.queueName, prefetch: settings.prefetch)
                var received = 0
                var idle = 0
                while idle < 4 {
                    let deliveries = try await connection.nextDeliveries(
                        limit: settings.prefetch, timeout: .milliseconds(250))
                    guard let last = deliveries.last else {
                        idle += 1
                        continue
                    }
                    idle = 0
                    received += deliveries.count
                    try await connection.acknowledge(deliveryTag: last.deliveryTag, multiple: true)
                }
                await connection.close()
                return received
            }
        }
    }
    // The four idle polls of 250 ms at the end are not part of the work.
    let seconds = (ContinuousClock.now - start - .seconds(1)).timeInterval
    report("floor", seconds: seconds, cpu: cpuSeconds() - cpuStart)
}

func runDrain(settings: DrainSettings) async throws {
    try await publish(into: settings)
    let pool = RedisConnectionPool(
        endpoint: try RedisEndpoint(url: environment["REDIS_URL"] ?? "redis://127.0.0.1:6379/0"),
        settings: RedisConnectionPool.Settings(size: consumerCount + 2), logger: logger)
    let namespace = "drain-benchmark-\(UUID().uuidString.prefix(8))"
    let queue = RedisJobQueue(pool: pool, namespace: namespace, logger: logger)
    let metrics = MetricsRegistry()
    let drain = LogDrain(endpoint: endpoint, queue: queue, settings: settings, logger: logger, metrics: metrics)
    let start = ContinuousClock.now
    let cpuStart = cpuSeconds()
    let running = Task { await drain.run() }
    let queued = metrics.counter("travis_logs_drain_parts_queued_total")
    // Each consumer's last batch is usually partial and waits for the batch interval (3 s by
    // default), so the rate up to the last batches is printed too.
    let beforeLastBatches = max(0, messageCount - consumerCount * settings.batchSize)
    var secondsBeforeLastBatches: Double?
    while queued.value < messageCount {
        if secondsBeforeLastBatches == nil && queued.value >= beforeLastBatches {
            secondsBeforeLastBatches = (ContinuousClock.now - start).timeInterval
        }
        try await Task.sleep(for: .milliseconds(10))
    }
    let seconds = (ContinuousClock.now - start).timeInterval
    let secondsToLastBatches = secondsBeforeLastBatches ?? seconds
    let cpu = cpuSeconds() - cpuStart
    drain.stop()
    await running.value
    report(
        "drain", seconds: seconds, cpu: cpu,
        extra: " seconds_before_last_batches=\(String(format: "%.2f", secondsToLastBatches)) "
            + "parts_per_second_before_last_batches=\(Int(Double(beforeLastBatches) / secondsToLastBatches))")
    _ = try await pool.send(
        "EVAL", "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end", "0", "\(namespace):*")
    pool.close()
}

if form == "publish" {
    try await publish(into: DrainSettings())
    exit(0)
}

var settings = DrainSettings()
settings.queueName = "benchmark.drain"
settings.exchangeName = "benchmark"
settings.routingKey = "benchmark.drain"
settings.deadQueueName = "benchmark.drain.dead"
settings.consumerCount = consumerCount
if form != "drain" {
    try await runFloor(settings: settings)
}
if form != "floor" {
    try await runDrain(settings: settings)
}
