import Foundation
import LogsCore

// Streams a file given as the first argument (or a short sample text) through the pipeline as
// job 1, the way a CI worker sends it, and archives the joined log with `DirectoryArchive`.
let sample = Data("\u{1B}[32mHello from an embedded pipeline\u{1B}[0m\nsecond line\n".utf8)
let input =
    CommandLine.arguments.count > 1 ? try Data(contentsOf: URL(fileURLWithPath: CommandLine.arguments[1])) : sample
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("embedded-archiving-\(getpid())")

var configuration = try LogsConfiguration(environment: [:])
configuration.logs.intervals.regular = .zero
var pipeline = Pipeline.inMemory(configuration: configuration, liveStream: nil)
pipeline.archive = DirectoryArchive(root: directory)

try await EmbeddedArchiving.run(input, through: pipeline)
let archived = try await pipeline.archive.content(jobID: JobID(1)) ?? Data()
print("archived \(archived.count) bytes at \(directory.appendingPathComponent(ArchiveKey.key(for: JobID(1))).path)")
print(archived == input ? "the archive equals the input" : "the archive differs from the input")
