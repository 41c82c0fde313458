import CommandLineSupport
import Foundation
import LogsCore
import Testing

@Suite("Send options")
struct SendOptionsTests {
    private func options(_ arguments: [String]) throws -> SendOptions {
        try SendOptions(ArgumentParser.parse(arguments, for: TravisLogsCommands.send), environment: [:])
    }

    @Test("concurrency and retry timeout defaults")
    func defaults() throws {
        let options = try options(["log.txt", "--job-id", "1", "--token", "t"])
        #expect(options.concurrency == 4)
        #expect(options.retryTimeout == .seconds(120))
        #expect(options.rate == nil)
    }

    @Test("concurrency and retry timeout values")
    func values() throws {
        let options = try options(["log.txt", "--job-id", "1", "--token", "t", "-c", "8", "--retry-timeout=30"])
        #expect(options.concurrency == 8)
        #expect(options.retryTimeout == .seconds(30))
    }

    @Test(
        "out-of-range values are rejected",
        arguments: [
            ["--concurrency", "0"], ["--concurrency", "65"], ["--concurrency", "two"], ["--retry-timeout", "0"],
            ["--retry-timeout", "86401"],
        ])
    func outOfRange(extra: [String]) throws {
        #expect {
            try options(["log.txt", "--job-id", "1", "--token", "t"] + extra)
        } throws: { error in
            "\(error)".contains("'\(extra[1])'")
        }
    }
}
