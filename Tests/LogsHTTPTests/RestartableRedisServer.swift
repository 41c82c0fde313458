import Foundation
import Testing

/// A redis-server of one test's own on a loopback port, which the test may stop and start again on
/// the same port to play a Redis restart.
final class RestartableRedisServer {
    let port: Int
    let directory: URL
    private var process: Process?

    var url: String { "redis://127.0.0.1:\(port)/0" }

    init() throws {
        port = try Self.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts redis-server and waits until it accepts connections.
    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = [
            "--bind", "127.0.0.1", "--port", String(port), "--dir", directory.path, "--save", "", "--appendonly", "no",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        for _ in 0..<100 {
            if redisCLI(["PING"]) == 0 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("redis-server did not answer PING on port \(port) within 5 s")
    }

    /// Stops the server with `SHUTDOWN NOSAVE` and waits for it to exit.
    ///
    /// `SHUTDOWN` and not SIGTERM, because a child started by Foundation's `Process` on Linux
    /// (Swift 6.3) begins with most signals blocked.
    func stop() {
        guard let process, process.isRunning else { return }
        _ = redisCLI(["SHUTDOWN", "NOSAVE"])
        process.waitUntilExit()
        self.process = nil
    }

    /// Runs redis-cli against this server and returns its exit status.
    private func redisCLI(_ arguments: [String]) -> Int32 {
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
        client.arguments = ["-h", "127.0.0.1", "-p", String(port)] + arguments
        client.standardOutput = FileHandle.nullDevice
        client.standardError = FileHandle.nullDevice
        guard (try? client.run()) != nil else { return -1 }
        client.waitUntilExit()
        return client.terminationStatus
    }

    /// Returns a loopback port with nothing listening, found by binding port 0 and closing the socket.
    private static func freePort() throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [
            "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])",
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return try #require(Int(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}
