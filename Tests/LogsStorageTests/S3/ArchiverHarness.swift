import Foundation
import LogsCore

/// An `Archiver` and a `Purger` on in-memory stores around the archive under test, with one
/// aggregated log ready to archive.
struct ArchiverHarness {
    let store = InMemoryPartStore()
    let queue = InMemoryJobQueue()
    let jobID = JobID(Int64.random(in: 1_000_000...9_999_999))
    let logID: LogID
    let archiver: Archiver
    let purger: Purger

    init(archive: any Archive, content: String, attempts: Int = 2) async {
        let now = Date()
        logID = await store.setContent([LogContentUpdate(jobID: jobID, content: content)], at: now)[0].id
        let clock = SystemClock()
        archiver = Archiver(
            store: store, archive: archive, queue: queue, clock: clock,
            settings: Archiver.Settings(attempts: attempts, purgesLogs: true, backoff: .milliseconds(10)),
            logger: Logger(label: "test"), metrics: MetricsRegistry())
        purger = Purger(
            store: store, archive: archive, queue: queue, clock: clock, logger: Logger(label: "test"),
            metrics: MetricsRegistry())
    }
}

/// An archive that stores every object without its last byte, as a broken upload would leave it.
struct TruncatingArchive: Archive {
    let base: any Archive

    func store(_ content: Data, jobID: JobID) async throws {
        try await base.store(content.dropLast(), jobID: jobID)
    }

    func objectInfo(jobID: JobID) async throws -> ArchivedObject? {
        try await base.objectInfo(jobID: jobID)
    }

    func content(jobID: JobID) async throws -> Data? {
        try await base.content(jobID: jobID)
    }
}
