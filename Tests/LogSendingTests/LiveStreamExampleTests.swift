import Foundation
import LogSending
import LogsCore
import TestSupport
import Testing

/// The `LiveStream` executable that script/test builds in `Examples/LiveStream` before the tests.
enum LiveStreamExample {
    static let executable: URL? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let candidate = root.appendingPathComponent("Examples/LiveStream/.build/debug/LiveStream")
        return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
    }()
}

/// The `LiveStream` example reading a log that `LogSender` streams to an in-process API, whose job
/// runner stores and broadcasts the parts.
@Suite(
    "LiveStream example",
    .enabled(if: LiveStreamExample.executable != nil || TestEnvironment.isCI, "Examples/LiveStream is not built"))
struct LiveStreamExampleTests {
    @Test("prints every part, then exits")
    func printsLiveParts() async throws {
        let executable = try #require(
            LiveStreamExample.executable, "run swift build --package-path Examples/LiveStream")
        let server = try InProcessWebServer()
        let runner = server.pipeline.makeJobRunner()
        let queues = [JobPayload.Queue.logParts, JobPayload.Queue.pusherForwarding].map { WeightedQueue($0) }
        let running = Task { await runner.run(queues: queues, concurrency: 2, pollTimeout: .milliseconds(200)) }

        async let reading = BuiltTool.run(
            ["42", server.baseURL.absoluteString], environment: ["AUTH_TOKEN": InProcessWebServer.authToken],
            executable: executable)
        let subscribed = try await Self.eventually {
            guard let liveStream = server.pipeline.liveStream as? InMemoryLiveStream else { return false }
            return await liveStream.subscriberCount(jobID: JobID(42)) == 1
        }
        #expect(subscribed, "LiveStream never subscribed to job 42")

        // ASCII only, because the stream shows a character cut between parts as U+FFFD on each side.
        let log = Data((1...300).map { "line \($0) of the live log\n" }.joined().utf8)
        let parts = OutgoingLogPart.split(log)
        let settings = LogSender.Settings(
            baseURL: server.baseURL, jobID: JobID(42), authentication: .token(InProcessWebServer.authToken),
            rate: 20, concurrency: 1)
        _ = try await LogSender(settings: settings, logger: Logger(label: "test") { _ in RecordingLogHandler() })
            .send(parts)

        let result = try await reading
        runner.stop()
        await running.value
        await server.stop()
        #expect(result.status == 0, "\(result.errorOutput)")
        #expect(result.output == String(decoding: log, as: UTF8.self))
        #expect(result.errorOutput.contains("end of the log of job 42 after \(parts.count) parts"))
    }

    @Test("resumes after a server restart")
    func resumesAfterRestart() async throws {
        let executable = try #require(
            LiveStreamExample.executable, "run swift build --package-path Examples/LiveStream")
        let port = try freeLoopbackPort()
        var configuration = LogsConfiguration.defaults
        configuration.authToken = InProcessWebServer.authToken
        let pipeline = Pipeline.inMemory(
            configuration: configuration, logger: Logger(label: "test") { _ in RecordingLogHandler() })
        let firstServer = try InProcessWebServer(pipeline: pipeline, port: port)
        let runner = pipeline.makeJobRunner()
        let queues = [JobPayload.Queue.logParts, JobPayload.Queue.pusherForwarding].map { WeightedQueue($0) }
        let running = Task { await runner.run(queues: queues, concurrency: 2, pollTimeout: .milliseconds(200)) }

        async let reading = BuiltTool.run(
            ["42", firstServer.baseURL.absoluteString], environment: ["AUTH_TOKEN": InProcessWebServer.authToken],
            executable: executable)
        let liveStream = try #require(pipeline.liveStream as? InMemoryLiveStream)
        let subscribed = try await Self.eventually { await liveStream.subscriberCount(jobID: JobID(42)) == 1 }
        #expect(subscribed, "LiveStream never subscribed to job 42")

        let log = Data((1...300).map { "line \($0) of the resumed log\n" }.joined().utf8)
        let parts = OutgoingLogPart.split(log)
        #expect(parts.count > 4)
        try await Self.send(Array(parts.prefix(3)), to: firstServer.baseURL)
        let firstPartsHandled = try await Self.eventually { await (pipeline.queue as! InMemoryJobQueue).isIdle() }
        #expect(firstPartsHandled, "the first parts were never stored and broadcast")
        try await Task.sleep(for: .milliseconds(300))
        await firstServer.stop()

        let secondServer = try InProcessWebServer(pipeline: pipeline, port: port)
        try await Self.send(Array(parts.dropFirst(3)), to: secondServer.baseURL)

        let result = try await reading
        runner.stop()
        await running.value
        await secondServer.stop()
        #expect(result.status == 0, "\(result.errorOutput)")
        #expect(result.output == String(decoding: log, as: UTF8.self))
        #expect(result.errorOutput.contains("reconnecting after part "))
        #expect(result.errorOutput.contains("after \(parts.count) parts"))
    }

    private static func send(_ parts: [OutgoingLogPart], to baseURL: URL) async throws {
        let settings = LogSender.Settings(
            baseURL: baseURL, jobID: JobID(42), authentication: .token(InProcessWebServer.authToken), concurrency: 1)
        _ = try await LogSender(settings: settings, logger: Logger(label: "test") { _ in RecordingLogHandler() })
            .send(parts)
    }

    /// Polls `condition` every 50 ms for up to 20 seconds and returns its last value.
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}
