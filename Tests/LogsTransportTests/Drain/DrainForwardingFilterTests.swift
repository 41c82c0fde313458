import Foundation
import LogsCore
import Synchronization
import Testing

@testable import LogsTransport

/// A presence whose reads fail while `isFailing` is set, and that counts its reads.
private final class SwitchablePresence: ChannelPresence {
    let wrapped = InMemoryChannelPresence()
    let isFailing = Mutex(false)
    let reads = Mutex(0)

    func markOccupied(_ channel: String) async throws { await wrapped.markOccupied(channel) }
    func markVacant(_ channel: String) async throws { await wrapped.markVacant(channel) }
    func isOccupied(_ channel: String) async throws -> Bool { await wrapped.isOccupied(channel) }

    func occupiedChannels(among channels: [String]) async throws -> Set<String> {
        reads.withLock { $0 += 1 }
        if isFailing.withLock({ $0 }) { throw RedisError(.io, "injected presence failure") }
        return try await wrapped.occupiedChannels(among: channels)
    }
}

@Suite("Drain forwarding filter")
struct DrainForwardingFilterTests {
    private func makeFilter(
        presence: SwitchablePresence, audience: InMemoryLiveStreamAudience, isPrivate: Bool = false,
        maximumAge: Duration = .seconds(60), handler: RecordingLogHandler = RecordingLogHandler()
    ) -> DrainForwardingFilter {
        DrainForwardingFilter(
            presence: presence, audience: audience, usesPrivateChannels: isPrivate, maximumAge: maximumAge,
            logger: Logger(label: "filter-test", factory: { _ in handler }))
    }

    @Test("keeps occupied and streamed jobs")
    func keepsWatchedJobs() async throws {
        let presence = SwitchablePresence()
        let audience = InMemoryLiveStreamAudience()
        try await presence.markOccupied("job-1")
        await audience.markWatched([JobID(2)])
        // A private channel name does not count while channels are public.
        try await presence.markOccupied("private-job-3")
        let filter = makeFilter(presence: presence, audience: audience)
        let watched = await filter.watchedJobs(among: [JobID(1), JobID(2), JobID(3), JobID(4)])
        #expect(watched == [JobID(1), JobID(2)])
    }

    @Test("reads private channel names")
    func readsPrivateChannels() async throws {
        let presence = SwitchablePresence()
        try await presence.markOccupied("private-job-3")
        try await presence.markOccupied("job-4")
        let filter = makeFilter(presence: presence, audience: InMemoryLiveStreamAudience(), isPrivate: true)
        #expect(await filter.watchedJobs(among: [JobID(3), JobID(4)]) == [JobID(3)])
    }

    @Test("keeps results for maximum age")
    func keepsAnswers() async throws {
        let presence = SwitchablePresence()
        let audience = InMemoryLiveStreamAudience()
        let filter = makeFilter(presence: presence, audience: audience, maximumAge: .milliseconds(300))
        #expect(await filter.watchedJobs(among: [JobID(5)]) == [])
        try await presence.markOccupied("job-5")
        // Within the maximum age the kept result is returned without a read.
        #expect(await filter.watchedJobs(among: [JobID(5)]) == [])
        #expect(presence.reads.withLock { $0 } == 1)
        try await Task.sleep(for: .milliseconds(400))
        #expect(await filter.watchedJobs(among: [JobID(5)]) == [JobID(5)])
        #expect(presence.reads.withLock { $0 } == 2)
    }

    @Test("forwards everything when reads fail")
    func forwardsEverythingOnFailure() async throws {
        let presence = SwitchablePresence()
        let handler = RecordingLogHandler()
        let filter = makeFilter(presence: presence, audience: InMemoryLiveStreamAudience(), handler: handler)
        presence.isFailing.withLock { $0 = true }
        #expect(await filter.watchedJobs(among: [JobID(6)]) == nil)
        #expect(await filter.watchedJobs(among: [JobID(7)]) == nil)
        let failures = handler.entries.filter { $0.level == .warning }
        #expect(failures.count == 1)
        #expect(failures.first?.metadata["error"].map { "\($0)".contains("injected presence failure") } == true)
        // An error is not kept, so the next read goes to the presence again.
        presence.isFailing.withLock { $0 = false }
        try await presence.markOccupied("job-6")
        #expect(await filter.watchedJobs(among: [JobID(6)]) == [JobID(6)])
        let recoveries = handler.entries.filter { $0.message.contains("works again") }
        #expect(recoveries.count == 1)
        #expect(recoveries.first?.level == .info)
    }
}
