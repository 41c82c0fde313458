import Foundation
import Testing

@testable import LogsTransport

struct ScriptError: Error, CustomStringConvertible {
    var description: String
}

/// A RabbitMQ node of one test's own, started with `script/services/rabbitmq`, for tests that
/// restart the broker without disturbing the suites that share the node of `RABBITMQ_URL`.
final class PrivateRabbitMQNode: Sendable {
    let directory: URL
    let endpoint: AMQPEndpoint

    /// Starts a node in a new temporary directory; this took about 10 s on an idle 2-core machine.
    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rabbitmq-\(UUID().uuidString)")
        let output = try await Self.runScript("start", directory)
        let url = try #require(
            output.split(separator: "\n").compactMap { line -> String? in
                let prefix = "export RABBITMQ_URL="
                return line.hasPrefix(prefix) ? String(line.dropFirst(prefix.count)) : nil
            }.first, "script/services/rabbitmq printed no RABBITMQ_URL")
        endpoint = try AMQPEndpoint(url: url)
    }

    /// Stops the node and removes its directory.
    func stop() async {
        _ = try? await Self.runScript("stop", directory)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Restarts the RabbitMQ application in the node: every connection closes, durable queues and
    /// persistent messages stay, and the port stays the same.
    func restart() async throws {
        _ = try await Self.runScript("restart", directory)
    }

    /// Runs the service script on a thread of its own, because waiting for it on the cooperative
    /// pool would stall other tests for seconds.
    private static func runScript(_ command: String, _ directory: URL) async throws -> String {
        let result = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: Result { try runScriptBlocking(command, directory) })
            }
            thread.start()
        }
        return try result.get()
    }

    private static func runScriptBlocking(_ command: String, _ directory: URL) throws -> String {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let script = repository.appendingPathComponent("script/services/rabbitmq").path
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "rabbitmq-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: outputFile) }
        // system() waits with waitpid. With Foundation's Process, waitUntilExit did not return here
        // after the script exited while the node it started kept running.
        let status = system("'\(script)' \(command) '\(directory.path)' >'\(outputFile.path)' 2>/dev/null </dev/null")
        guard status == 0 else {
            throw ScriptError(description: "script/services/rabbitmq \(command) failed with status \(status)")
        }
        let data = try Data(contentsOf: outputFile)
        return String(decoding: data, as: UTF8.self)
    }
}
