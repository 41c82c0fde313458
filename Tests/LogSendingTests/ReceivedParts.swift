import Foundation
import LogSending
import LogsCore
import Testing

/// The log parts that reached a `web` process, read back from the `log_parts` jobs it queued.
struct ReceivedParts {
    struct Part: Equatable {
        var number: Int
        var content: Data
        var isFinal: Bool
    }

    var parts: [Part]

    /// Reads the parts of `jobID` from `log_parts` jobs, in the order they were queued.
    init(jobs: [Job], jobID: JobID) throws {
        var parts: [Part] = []
        for job in jobs {
            guard case .logParts(let raw) = try JobPayload(job: job) else { continue }
            for part in raw where part.jobID == jobID {
                let content = try #require(Data(base64Encoded: part.log), "part \(part.number) is not base64")
                parts.append(Part(number: part.number.storedValue, content: content, isFinal: part.isFinal))
            }
        }
        self.parts = parts
    }

    var numbers: [Int] { parts.map(\.number) }

    /// The content of each number's first copy, joined in number order, as aggregation joins it.
    var joinedContent: Data {
        var firstCopies: [Int: Data] = [:]
        for part in parts where firstCopies[part.number] == nil { firstCopies[part.number] = part.content }
        return firstCopies.keys.sorted().reduce(into: Data()) { $0 += firstCopies[$1]! }
    }

    /// Records an issue for each way these parts differ from `sent` with every part exactly once.
    func expectExactlyOnce(_ sent: [OutgoingLogPart], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(numbers.sorted() == sent.map(\.number), "part numbers", sourceLocation: sourceLocation)
        #expect(parts.count == sent.count, "part count", sourceLocation: sourceLocation)
        expectComplete(sent, sourceLocation: sourceLocation)
    }

    /// Records an issue for each part of `sent` that is missing or differs; repeats are allowed.
    func expectComplete(_ sent: [OutgoingLogPart], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Set(numbers) == Set(sent.map(\.number)), "part numbers", sourceLocation: sourceLocation)
        let sentBytes = sent.reduce(into: Data()) { $0 += $1.content }
        #expect(joinedContent.count == sentBytes.count, "byte count", sourceLocation: sourceLocation)
        #expect(joinedContent == sentBytes, "bytes", sourceLocation: sourceLocation)
        let finals = parts.filter(\.isFinal).map(\.number)
        #expect(Set(finals) == [sent.count], "final part number", sourceLocation: sourceLocation)
        #expect(parts.last?.isFinal == true, "the final part arrives last", sourceLocation: sourceLocation)
    }
}
