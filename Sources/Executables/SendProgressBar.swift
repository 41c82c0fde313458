import Foundation
import LogSending
import Synchronization

/// A one-line progress bar on standard error, redrawn at most ten times a second.
final class SendProgressBar: Sendable {
    private let lastDrawn = Mutex<ContinuousClock.Instant?>(nil)
    private static let width = 30

    func show(_ progress: SendProgress) {
        let isComplete = progress.deliveredParts == progress.totalParts
        let now = ContinuousClock.now
        let shouldDraw = lastDrawn.withLock { last in
            if !isComplete, let last, now - last < .milliseconds(100) { return false }
            last = now
            return true
        }
        guard shouldDraw else { return }
        FileHandle.standardError.write(Data(("\r" + Self.line(progress) + "\u{1B}[K").utf8))
    }

    /// Erases the bar, so that the summary or an error starts on a clean line.
    func clear() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// Formats a line such as `[#########.....] 120/300 parts 40% 198 KiB 2 retries`.
    static func line(_ progress: SendProgress) -> String {
        let fraction = progress.totalParts > 0 ? Double(progress.deliveredParts) / Double(progress.totalParts) : 1
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let kilobytes = progress.deliveredBytes / 1024
        return "[\(bar)] \(progress.deliveredParts)/\(progress.totalParts) parts \(Int(fraction * 100))% "
            + "\(kilobytes) KiB \(progress.retries) retries"
    }
}
