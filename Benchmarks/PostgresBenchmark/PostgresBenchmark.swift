import Foundation
import LogsCore
import LogsStorage

/// Measures `PostgresPartStore` against a raw `COPY` through psql.
///
/// Inserts `parts` parts of about 100 bytes spread over `logs` logs through the store, aggregates
/// every log in batches (`BENCH_AGGREGATION_BATCH` logs per transaction, default 50), empties the
/// logs, inserts the parts again and aggregates them one log per transaction, and then loads the
/// same rows with psql's `\copy` as the floor. Also times the alternative single-statement insert
/// with `unnest`, which the store does not use.
///
///     swift run -c release postgres-benchmark DATABASE_URL [parts] [logs]
///
/// The database must have the schema deployed; `script/bench/postgres` sets one up.
@main
struct PostgresBenchmark {
    static let batchSize = 1_000
    static let writers = ProcessInfo.processInfo.environment["BENCH_WRITERS"].flatMap(Int.init) ?? 4
    /// Logs per `aggregate(_:at:)` call in the batched aggregation.
    static let aggregationBatchSize =
        ProcessInfo.processInfo.environment["BENCH_AGGREGATION_BATCH"].flatMap(Int.init) ?? 50

    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard let url = arguments.first else {
            FileHandle.standardError.write(Data("usage: postgres-benchmark DATABASE_URL [parts] [logs]\n".utf8))
            exit(64)
        }
        let partCount = arguments.dropFirst().first.flatMap(Int.init) ?? 1_000_000
        let logCount = arguments.dropFirst(2).first.flatMap(Int.init) ?? 10_000
        let client = PostgresClient(
            configuration: PostgresConfiguration(
                url: url, applicationName: "travis-logs-benchmark", maximumConnections: writers),
            logger: Logger(label: "benchmark"))
        let store = PostgresPartStore(client: client)
        let now = Date()

        let logIDs = try await createLogs(logCount, store: store, at: now)
        let parts = makeParts(partCount, logIDs: logIDs)
        try await truncateParts(client)

        let copySeconds = try await time { try await insertThroughStore(parts, store: store, at: now) }
        let batchedAggregation = try await measure { try await aggregateInBatches(logIDs, store: store, at: now) }
        print(
            "aggregation, batches of \(aggregationBatchSize) done in \(String(format: "%.2f", batchedAggregation.seconds)) s"
        )

        try await resetLogs(client)
        try await insertThroughStore(parts, store: store, at: now)
        let singleAggregation = try await measure { try await aggregate(logIDs, store: store, at: now) }

        try await truncateParts(client)
        let unnestSeconds = try await time { try await insertWithUnnest(parts, client: client, at: now) }
        try await truncateParts(client)
        let psqlSeconds = try rawCopy(parts, url: url, at: now)
        try await truncateParts(client)
        await client.close()

        report(
            parts: partCount, logs: logCount, store: copySeconds, unnest: unnestSeconds, psql: psqlSeconds,
            batched: batchedAggregation, single: singleAggregation)
    }

    static func createLogs(_ count: Int, store: PostgresPartStore, at date: Date) async throws -> [LogID] {
        try await withThrowingTaskGroup(of: [LogID].self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var ids: [LogID] = []
                    for job in stride(from: writer, to: count, by: writers) {
                        ids.append(try await store.findOrCreateLog(jobID: JobID(Int64(1_000_000 + job)), at: date))
                    }
                    return ids
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }.sorted()
        }
    }

    /// Parts of 100 bytes of ANSI-coloured text, numbered per log in arrival order.
    static func makeParts(_ count: Int, logIDs: [LogID]) -> [NewLogPart] {
        let perLog = max(1, count / logIDs.count)
        return (0..<count).map { index in
            let number = index / logIDs.count
            let text = "\u{1B}[32mstep \(index % 97)\u{1B}[0m building target \(number) of \(perLog)\t"
            let content = text.padding(toLength: 99, withPad: "x", startingAt: 0) + "\n"
            return NewLogPart(
                logID: logIDs[index % logIDs.count], number: number, content: content, isFinal: number == perLog - 1)
        }
    }

    static func insertThroughStore(_ parts: [NewLogPart], store: PostgresPartStore, at date: Date) async throws {
        try await inBatches(parts) { batch in try await store.insertParts(batch, at: date) }
    }

    static func insertWithUnnest(_ parts: [NewLogPart], client: PostgresClient, at date: Date) async throws {
        let statement = PostgresStatement(
            name: "benchmark_unnest_parts",
            sql: """
                INSERT INTO log_parts (log_id, number, content, final, created_at)
                SELECT log_id, number, content, final, $5 FROM unnest($1::integer[], $2::integer[], $3::text[], $4::boolean[])
                    AS parts (log_id, number, content, final)
                """)
        try await inBatches(parts) { batch in
            try await client.query(
                statement,
                [
                    .integers(batch.map { $0.logID.rawValue }), .integers(batch.map { Int64($0.number) }),
                    .text(arrayLiteral(batch.map(\.content))),
                    .text("{" + batch.map { $0.isFinal ? "t" : "f" }.joined(separator: ",") + "}"),
                    .timestamp(date),
                ])
        }
    }

    /// Runs `body` over batches of `batchSize`, with `writers` batches in flight.
    static func inBatches(_ parts: [NewLogPart], _ body: @escaping @Sendable ([NewLogPart]) async throws -> Void)
        async throws
    {
        let batches = stride(from: 0, to: parts.count, by: batchSize).map {
            Array(parts[$0..<min($0 + batchSize, parts.count)])
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                let mine = stride(from: writer, to: batches.count, by: writers).map { batches[$0] }
                group.addTask {
                    for batch in mine { try await body(batch) }
                }
            }
            try await group.waitForAll()
        }
    }

    static func aggregate(_ logIDs: [LogID], store: PostgresPartStore, at date: Date) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for index in stride(from: writer, to: logIDs.count, by: writers) {
                        _ = try await store.aggregate(logID: logIDs[index], archivedContent: nil, at: date)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Aggregates `aggregationBatchSize` logs per call, with `writers` calls in flight.
    static func aggregateInBatches(_ logIDs: [LogID], store: PostgresPartStore, at date: Date) async throws {
        let batches = stride(from: 0, to: logIDs.count, by: aggregationBatchSize).map {
            logIDs[$0..<min($0 + aggregationBatchSize, logIDs.count)].map { AggregationRequest(logID: $0) }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for index in stride(from: writer, to: batches.count, by: writers) {
                        for result in try await store.aggregate(batches[index], at: date) {
                            _ = try result.get()
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Empties the logs and `scan_tracker`, so the second aggregation does the same work as the first.
    static func resetLogs(_ client: PostgresClient) async throws {
        try await client.withConnection { connection in
            try connection.execute(
                "UPDATE logs SET content = NULL, aggregated_at = NULL, scan_status = NULL; TRUNCATE scan_tracker",
                name: "benchmark_reset_logs")
            // VACUUM cannot run in the implicit transaction of a multi-statement query string.
            try connection.execute("VACUUM logs", name: "benchmark_vacuum_logs")
        }
    }

    /// Loads the rows with psql's `\copy` from a file in COPY text format, and returns the seconds.
    static func rawCopy(_ parts: [NewLogPart], url: String, at date: Date) throws -> Double {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("log-parts-\(UUID().uuidString).tsv")
        defer { try? FileManager.default.removeItem(at: file) }
        try copyText(parts, at: date).write(to: file, atomically: false, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
            "\\copy log_parts (log_id, number, content, final, created_at) FROM '\(file.path)'",
        ]
        let start = ContinuousClock.now
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchmarkError(message: "psql \\copy failed") }
        return seconds(ContinuousClock.now - start)
    }

    static func copyText(_ parts: [NewLogPart], at date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        let createdAt = formatter.string(from: date)
        var text = ""
        for part in parts {
            let content = part.content.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\t", with: "\\t").replacingOccurrences(of: "\n", with: "\\n")
            text += "\(part.logID)\t\(part.number)\t\(content)\t\(part.isFinal ? "t" : "f")\t\(createdAt)\n"
        }
        return text
    }

    /// Builds a PostgreSQL array literal of quoted texts.
    static func arrayLiteral(_ texts: [String]) -> String {
        let quoted = texts.map { text in
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }

    static func truncateParts(_ client: PostgresClient) async throws {
        try await client.withConnection { connection in
            try connection.execute("TRUNCATE log_parts", name: "benchmark_truncate")
        }
    }

    static func time(_ body: @Sendable () async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await body()
        return seconds(ContinuousClock.now - start)
    }

    /// Wall-clock seconds and CPU seconds (user and system) of one phase, of this process and of
    /// the PostgreSQL backends serving the benchmark's database.
    struct Measurement {
        var seconds: Double
        var cpuSeconds: Double
        var serverCPUSeconds: Double
    }

    static func measure(_ body: @Sendable () async throws -> Void) async throws -> Measurement {
        let cpuStart = processCPUSeconds()
        let serverStart = backendCPUSeconds()
        let seconds = try await time(body)
        return Measurement(
            seconds: seconds, cpuSeconds: processCPUSeconds() - cpuStart,
            serverCPUSeconds: backendCPUSeconds() - serverStart)
    }

    /// The database name at the end of the URL, which each backend shows in its process title.
    static let databaseName =
        CommandLine.arguments.dropFirst().first.map { String($0.split(separator: "/").last ?? "") }
        ?? ""

    /// Sums the user and system CPU time of the running backends whose process title names the
    /// benchmark's database, read from `/proc`. Returns 0 where `/proc` is missing.
    static func backendCPUSeconds() -> Double {
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var total = 0.0
        for pid in entries where pid.allSatisfy(\.isNumber) {
            guard let title = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
                title.hasPrefix("postgres: "), title.contains(" \(databaseName) "),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let end = stat.lastIndex(of: ")")
            else { continue }
            // Fields after the command name in parentheses: state is field 3, utime 14, stime 15.
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            total += (user + system) / ticksPerSecond
        }
        return total
    }

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func value(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return value(usage.ru_utime) + value(usage.ru_stime)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func report(
        parts: Int, logs: Int, store: Double, unnest: Double, psql: Double, batched: Measurement, single: Measurement
    ) {
        func rate(_ count: Int, _ seconds: Double) -> String { String(format: "%.0f", Double(count) / seconds) }
        print("parts: \(parts) of about 100 bytes for \(logs) logs, batches of \(batchSize), \(writers) writers")
        print("store insert (COPY):   \(rate(parts, store)) parts/s (\(String(format: "%.2f", store)) s)")
        print("unnest insert:         \(rate(parts, unnest)) parts/s (\(String(format: "%.2f", unnest)) s)")
        print("raw psql \\copy floor:  \(rate(parts, psql)) parts/s (\(String(format: "%.2f", psql)) s)")
        print("store / raw COPY:      \(String(format: "%.0f", psql / store * 100))%")
        func cpu(_ measurement: Measurement) -> String {
            String(
                format: "%.0f µs, server backends %.0f µs", measurement.cpuSeconds / Double(logs) * 1e6,
                measurement.serverCPUSeconds / Double(logs) * 1e6)
        }
        print(
            "aggregation, batches of \(aggregationBatchSize): \(rate(logs, batched.seconds)) logs/s of \(parts / logs) "
                + "parts each (\(String(format: "%.2f", batched.seconds)) s, CPU per log: benchmark \(cpu(batched)))")
        print(
            "aggregation, one per transaction: \(rate(logs, single.seconds)) logs/s "
                + "(\(String(format: "%.2f", single.seconds)) s, CPU per log: benchmark \(cpu(single)))")
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
