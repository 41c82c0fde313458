import Foundation

/// An `Archive` in memory, with switches to make it fail the way a real object store can.
public actor InMemoryArchive: Archive {
    /// A fault to inject, for tests of retries and verification.
    public enum Fault: Sendable, Hashable {
        /// The next uploads fail.
        case failStores(count: Int)
        /// Objects are stored without their last byte, as a broken upload would leave them.
        case storeShortObjects
        /// `objectInfo` fails, as when the service is down.
        case failObjectInfo
    }

    private var objects: [JobID: Data] = [:]
    private var faults: Set<Fault> = []
    private var storesToFail = 0

    /// How many uploads were attempted, failed ones included.
    public private(set) var storeAttempts = 0

    public init() {}

    public func inject(_ fault: Fault) {
        if case .failStores(let count) = fault {
            storesToFail = count
        } else {
            faults.insert(fault)
        }
    }

    public func clearFaults() {
        faults.removeAll()
        storesToFail = 0
    }

    /// Puts an object in place directly, for tests.
    public func setObject(_ content: Data?, jobID: JobID) {
        objects[jobID] = content
    }

    /// Every stored key, for tests.
    public func keys() -> [String] {
        objects.keys.sorted().map(ArchiveKey.key(for:))
    }

    public func store(_ content: Data, jobID: JobID) throws {
        storeAttempts += 1
        if storesToFail > 0 {
            storesToFail -= 1
            throw ArchiveFault(message: "injected upload failure for \(ArchiveKey.key(for: jobID))")
        }
        objects[jobID] = faults.contains(.storeShortObjects) ? content.dropLast() : content
    }

    public func objectInfo(jobID: JobID) throws -> ArchivedObject? {
        if faults.contains(.failObjectInfo) {
            throw ArchiveFault(message: "injected failure reading \(ArchiveKey.key(for: jobID))")
        }
        guard let object = objects[jobID] else { return nil }
        return ArchivedObject(contentLength: object.count, md5: MD5.digest(of: object))
    }

    public func content(jobID: JobID) -> Data? {
        objects[jobID]
    }
}

/// The error `InMemoryArchive` throws for an injected fault.
public struct ArchiveFault: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
