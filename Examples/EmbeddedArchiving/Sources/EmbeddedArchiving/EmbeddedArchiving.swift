import Foundation
import LogsCore

enum EmbeddedArchiving {
    /// The largest part a Travis CI worker sends, in bytes.
    static let partSize = 1653

    /// Cuts `log` into worker-sized parts plus an empty final one, queues them, and runs every queue
    /// until the log is aggregated and archived.
    static func run(_ log: Data, through pipeline: Pipeline) async throws {
        var parts: [RawLogPart] = []
        var offset = 0
        while offset < log.count {
            let end = min(offset + partSize, log.count)
            parts.append(.base64(jobID: JobID(1), content: log[offset..<end], number: .number(parts.count + 1)))
            offset = end
        }
        parts.append(.base64(jobID: JobID(1), content: Data(), number: .number(parts.count + 1), isFinal: true))
        try await pipeline.enqueue(parts)

        let runner = pipeline.makeJobRunner()
        let queues = JobPayload.Queue.all.map { WeightedQueue($0) }
        while try await runner.runUntilIdle(queues: queues) > 0 {}
    }
}
