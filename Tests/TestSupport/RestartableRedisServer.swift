import Foundation

/// A redis-server of one test's own on a loopback port, which the test may stop and start again on
/// the same port to play a Redis restart.
public final class RestartableRedisServer {
    public let port: Int
    public let directory: URL
    private var process: Process?

    public var url: String { "redis://127.0.0.1:\(port)/0" }

    public init() throws {
        port = try freeLoopbackPort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts redis-server and waits until it accepts connections.
    public func start() throws {
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
        throw RedisServerError(description: "redis-server did not answer PING on port \(port) within 5 s")
    }

    /// Stops the server with `SHUTDOWN NOSAVE` and waits for it to exit.
    ///
    /// `SHUTDOWN` and not SIGTERM, because a child started by Foundation's `Process` on Linux
    /// (Swift 6.3) begins with most signals blocked.
    public func stop() {
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
}

/// A failure to start the redis-server of a test.
public struct RedisServerError: Error, CustomStringConvertible {
    public let description: String
}
