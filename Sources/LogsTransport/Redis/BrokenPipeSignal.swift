import Foundation

/// Ignores SIGPIPE in this process, once.
///
/// hiredis writes commands with `write(2)`, and on Linux a write to a socket that Redis has closed
/// raises SIGPIPE, whose default action ends the whole process without a message. With the signal
/// ignored, the write fails with EPIPE instead, and the connection reports an I/O error and
/// reconnects. Every Redis connection calls this before it opens a socket.
enum BrokenPipeSignal {
    private static let ignored: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    static func ignore() {
        _ = ignored
    }
}
