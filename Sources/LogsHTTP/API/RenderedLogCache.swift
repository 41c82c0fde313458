import Foundation
import LogsCore
import Synchronization

/// Response bodies of `GET /logs/:id`, each kept with the version of the `logs` row it was
/// rendered from.
///
/// Only logs whose JSON depends on their row alone are kept (see `LogFetcher.VersionedFetch`). A
/// body is served again only after the store has reported the same row version for the request,
/// so a log whose row changed is read and rendered anew. This saves reading the content from the
/// database, checking it as UTF-8 and writing it as JSON.
final class RenderedLogCache: Sendable {
    /// A kept body. It is a class, so that reading it for a request retains one object.
    final class Entry: Sendable {
        let version: LogRowVersion
        let body: ResponseBuffer
        /// The 200 JSON response of `body`, whose libmicrohttpd response object every request
        /// served from this entry queues.
        let response: HTTPResponse
        let storedAt: ContinuousClock.Instant

        init(version: LogRowVersion, body: ResponseBuffer, response: HTTPResponse, storedAt: ContinuousClock.Instant) {
            self.version = version
            self.body = body
            self.response = response
            self.storedAt = storedAt
        }
    }

    private struct Contents: Sendable {
        var entries: [LogFetcher.Lookup: Entry] = [:]
        var byteCount = 0
    }

    /// The maximum body bytes kept, where 0 keeps none.
    let maximumBytes: Int
    /// How long an entry may be served. PostgreSQL's row versions are transaction ids, which wrap
    /// around after 2^32 transactions, so an old entry could match a new row version; 10 minutes
    /// would take about 7 million transactions a second.
    let maximumAge: Duration
    private let contents = Mutex(Contents())

    init(maximumBytes: Int, maximumAge: Duration = .seconds(600)) {
        self.maximumBytes = maximumBytes
        self.maximumAge = maximumAge
    }

    /// Returns the entry for the lookup unless it is older than `maximumAge`.
    func entry(for lookup: LogFetcher.Lookup, now: ContinuousClock.Instant = .now) -> Entry? {
        guard maximumBytes > 0 else { return nil }
        guard let entry = contents.withLock({ $0.entries[lookup] }) else { return nil }
        return now - entry.storedAt < maximumAge ? entry : nil
    }

    /// Keeps a body with the row version read before its row, replacing the lookup's old entry.
    ///
    /// Removes other entries, in no particular order, while the bytes kept would exceed
    /// `maximumBytes`. A body larger than that is not kept.
    ///
    /// - Returns: the 200 JSON response of `body`, shared with the entry when it is kept.
    @discardableResult
    func store(_ body: ResponseBuffer, version: LogRowVersion, for lookup: LogFetcher.Lookup) -> HTTPResponse {
        guard body.count <= maximumBytes else {
            remove(lookup)
            return .json(buffer: body)
        }
        let entry = Entry(version: version, body: body, response: .sharedJSON(buffer: body), storedAt: .now)
        contents.withLock { contents in
            if let old = contents.entries.removeValue(forKey: lookup) { contents.byteCount -= old.body.count }
            while contents.byteCount + body.count > maximumBytes, let evicted = contents.entries.first {
                contents.entries.removeValue(forKey: evicted.key)
                contents.byteCount -= evicted.value.body.count
            }
            contents.entries[lookup] = entry
            contents.byteCount += body.count
        }
        return entry.response
    }

    func remove(_ lookup: LogFetcher.Lookup) {
        contents.withLock { contents in
            if let old = contents.entries.removeValue(forKey: lookup) { contents.byteCount -= old.body.count }
        }
    }

    /// The number of entries kept, for tests.
    var count: Int { contents.withLock { $0.entries.count } }
}
