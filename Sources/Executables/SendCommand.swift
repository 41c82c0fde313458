import CommandLineSupport
import Dispatch
import Foundation
import LogSending
import LogsCore

/// `travis-logs send FILE --job-id N`: streams a log file to a running web process.
///
/// The summary line goes to standard output, also after a failure. Progress, warnings and errors go
/// to standard error, progress only when it is a terminal. Exits 0 when every part was accepted, 1
/// when some could not be delivered, and 2 when the file or the key cannot be read.
enum SendCommand {
    static func run(_ options: SendOptions) -> Never {
        let log = readLog(options.file)
        let sender: LogSender
        do {
            let settings = LogSender.Settings(
                baseURL: options.url, jobID: options.jobID, authentication: try authentication(options),
                rate: options.rate, concurrency: options.concurrency, retryTimeout: options.retryTimeout)
            sender = try LogSender(settings: settings, logger: Logger(label: "travis-logs.send"))
        } catch {
            CommandLineTool.fail("send cannot start: \(error)")
        }

        let parts = OutgoingLogPart.split(log)
        let progressBar = isatty(STDERR_FILENO) == 1 ? SendProgressBar() : nil
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                outcome.summary = try await sender.send(parts) { progressBar?.show($0) }
            } catch {
                outcome.error = error
            }
            done.signal()
        }
        done.wait()
        progressBar?.clear()

        guard let summary = outcome.summary else {
            if let delivered = (outcome.error as? SendError)?.delivered { print(delivered) }
            let message = outcome.error.map { "\($0)" } ?? "the send ended without a result"
            FileHandle.standardError.write(Data("\(TravisLogsCommands.programName) send: \(message)\n".utf8))
            exit(1)
        }
        print(summary)
        exit(0)
    }

    /// Returns the whole log, from standard input for `-`; exits 2 when it cannot be read.
    private static func readLog(_ path: String) -> Data {
        if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            CommandLineTool.fail("cannot read the log file '\(path)': \(error.localizedDescription)")
        }
    }

    private static func authentication(_ options: SendOptions) throws -> LogSender.Authentication {
        switch options.authentication {
        case .token(let token):
            return .token(token)
        case .jwtKey(let path):
            let pem: String
            do {
                pem = try String(contentsOf: URL(fileURLWithPath: path), encoding: .utf8)
            } catch {
                CommandLineTool.fail("cannot read the key file '\(path)': \(error.localizedDescription)")
            }
            do {
                return .partTokens(try PartTokenSigner(privateKeyPEM: pem))
            } catch {
                CommandLineTool.fail("invalid key file '\(path)': \(error); pass an RSA private key in PEM form")
            }
        }
    }

    /// The result of the sending task, read after it has signalled.
    ///
    /// `@unchecked Sendable`: the task writes the fields before signalling the semaphore, and the
    /// main thread reads them only after waiting on it.
    private final class Outcome: @unchecked Sendable {
        var summary: SendSummary?
        var error: (any Error)?
    }
}
