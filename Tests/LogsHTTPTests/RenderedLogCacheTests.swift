import Foundation
import LogsCore
import Testing

@testable import LogsHTTP

@Suite("Rendered log cache")
struct RenderedLogCacheTests {
    private static func buffer(_ size: Int) -> ResponseBuffer {
        ResponseBuffer(copying: Data(repeating: UInt8(ascii: "x"), count: size))
    }

    private static func version(_ logID: Int64, _ revision: Int64 = 1) -> LogRowVersion {
        LogRowVersion(logID: LogID(logID), revision: revision)
    }

    @Test("kept body is returned with its version")
    func keptBody() {
        let cache = RenderedLogCache(maximumBytes: 1000)
        cache.store(Self.buffer(10), version: Self.version(1, 7), for: .jobID(JobID(1)))

        let entry = cache.entry(for: .jobID(JobID(1)))
        #expect(entry?.version == Self.version(1, 7))
        #expect(entry?.body.data == Data(repeating: UInt8(ascii: "x"), count: 10))
        #expect(cache.entry(for: .id(LogID(1))) == nil)
    }

    @Test("bytes stay within the maximum")
    func evictsOverMaximum() {
        let cache = RenderedLogCache(maximumBytes: 250)
        for jobID in Int64(1)...5 {
            cache.store(Self.buffer(100), version: Self.version(jobID), for: .jobID(JobID(jobID)))
        }
        #expect(cache.count == 2)
        #expect(cache.entry(for: .jobID(JobID(5))) != nil)
    }

    @Test("body over the maximum is not kept")
    func oversizedBody() {
        let cache = RenderedLogCache(maximumBytes: 100)
        cache.store(Self.buffer(50), version: Self.version(1, 1), for: .jobID(JobID(1)))
        cache.store(Self.buffer(101), version: Self.version(1, 2), for: .jobID(JobID(1)))
        #expect(cache.entry(for: .jobID(JobID(1))) == nil)
        #expect(cache.count == 0)
    }

    @Test("entry older than the maximum age is not served")
    func expiredEntry() {
        let cache = RenderedLogCache(maximumBytes: 1000, maximumAge: .seconds(600))
        cache.store(Self.buffer(10), version: Self.version(1), for: .jobID(JobID(1)))
        #expect(cache.entry(for: .jobID(JobID(1)), now: .now + .seconds(599)) != nil)
        #expect(cache.entry(for: .jobID(JobID(1)), now: .now + .seconds(601)) == nil)
    }

    @Test("zero maximum keeps nothing")
    func disabled() {
        let cache = RenderedLogCache(maximumBytes: 0)
        cache.store(Self.buffer(1), version: Self.version(1), for: .jobID(JobID(1)))
        #expect(cache.entry(for: .jobID(JobID(1))) == nil)
    }
}
