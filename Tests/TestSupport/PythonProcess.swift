import Foundation

/// A failure to run a Python helper: the interpreter is missing, or the script exited with an error.
public struct PythonError: Error, CustomStringConvertible {
    public var description: String
}

/// Runs Python scripts given as source text, for oracles and local test servers.
public enum PythonProcess {
    /// Runs `script` with `arguments` and returns its standard output.
    ///
    /// - Throws: `PythonError` when `LOGS_TEST_PYTHON` is unset or the script exits with a non-zero
    ///   status; the message includes the script's standard error.
    public static func run(_ script: String, arguments: [String] = [], input: Data = Data()) async throws -> Data {
        try await runOnOwnThread { try runBlocking(script, arguments: arguments, input: input) }
    }

    private static func runBlocking(_ script: String, arguments: [String], input: Data) throws -> Data {
        let process = try makeProcess(script, arguments: arguments)
        let output = Pipe()
        let errors = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = stdin
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PythonError(
                description: "python exited with status \(process.terminationStatus): "
                    + String(decoding: stderr, as: UTF8.self))
        }
        return stdout
    }

    static func makeProcess(_ script: String, arguments: [String]) throws -> Process {
        guard let python = TestEnvironment.python else {
            throw PythonError(description: "LOGS_TEST_PYTHON is not set; run the tests through script/test")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-u", "-c", prelude + script] + arguments
        return process
    }

    /// Python run before every script. The test process blocks signals such as SIGTERM in its
    /// threads, and a child inherits that mask, so the script unblocks them to stay stoppable.
    private static let prelude = """
        import signal as _signal
        _signal.pthread_sigmask(_signal.SIG_SETMASK, set())
        _signal.signal(_signal.SIGTERM, _signal.SIG_DFL)

        """
}

/// A Python HTTP server on 127.0.0.1, started from source text for tests.
///
/// The script must bind port 0 on 127.0.0.1 and print the port it got as its first line of standard
/// output. The server stops when ``stop()`` is called or the value is released.
public final class LocalPythonServer: @unchecked Sendable {
    // @unchecked Sendable: `process` is only read after `init`, and terminating twice is harmless.
    private let process: Process
    /// The server's standard input. It is never written; the server exits when it closes, which
    /// happens when this process exits, even by a crash.
    private let input = Pipe()
    public let port: Int

    /// Python that exits the server once its standard input reaches end of file.
    private static let parentWatch = """
        import os as _os, sys as _sys, threading as _threading
        _threading.Thread(target=lambda: (_sys.stdin.buffer.read(), _os._exit(0)), daemon=True).start()

        """

    /// Starts the server and waits, on a thread of its own, until it prints its port.
    ///
    /// - Throws: `PythonError` when the interpreter is missing or the script exits before printing a port.
    public static func start(script: String, arguments: [String] = []) async throws -> LocalPythonServer {
        try await runOnOwnThread { try LocalPythonServer(script: script, arguments: arguments) }
    }

    private init(script: String, arguments: [String]) throws {
        process = try PythonProcess.makeProcess(Self.parentWatch + script, arguments: arguments)
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw PythonError(
                description: "the server script printed no port: \(String(decoding: line, as: UTF8.self))")
        }
        self.port = port
    }

    deinit {
        stop()
    }

    /// The server's base URL, such as `http://127.0.0.1:43210`.
    public var baseURL: String {
        "http://127.0.0.1:\(port)"
    }

    public func stop() {
        try? input.fileHandleForWriting.close()
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
