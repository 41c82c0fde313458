import Foundation
import Synchronization
import Testing

@testable import LogsCore

@Suite("Partition maintenance step")
struct PartitionMaintenanceTests {
    /// The store's counters at the moment the maintenance switch was turned off.
    struct CountsAtDisable: Sendable, Equatable {
        var maintenanceRuns: Int
        var analyzeRuns: Int
    }

    /// A maintenance switch that records the store's counters when it is turned off.
    final class ObservedSwitch: MaintenanceSwitch {
        let inner: InMemoryMaintenanceSwitch
        let store: InMemoryPartStore
        let recorded = Mutex<[CountsAtDisable]>([])

        init(clock: any LogsClock, store: InMemoryPartStore) {
            inner = InMemoryMaintenanceSwitch(clock: clock)
            self.store = store
        }

        func remainingTime() async throws -> Duration? {
            try await inner.remainingTime()
        }

        func enable(for duration: Duration) async throws {
            try await inner.enable(for: duration)
        }

        func disable() async throws {
            let counts = CountsAtDisable(
                maintenanceRuns: await store.partitionMaintenanceRuns, analyzeRuns: await store.logPartsAnalyzeRuns)
            recorded.withLock { $0.append(counts) }
            try await inner.disable()
        }
    }

    let clock = ManualClock()
    let store = InMemoryPartStore()

    func makeStep(_ maintenance: ObservedSwitch, initialSleep: Duration) -> PartitionMaintenance {
        PartitionMaintenance(
            store: store, maintenance: maintenance, clock: clock, expiry: .seconds(600), initialSleep: initialSleep,
            logger: Logger(label: "test", factory: { _ in RecordingLogHandler() }))
    }

    @Test("statistics update after switch off")
    func statisticsAfterSwitchOff() async throws {
        let maintenance = ObservedSwitch(clock: clock, store: store)

        try await makeStep(maintenance, initialSleep: .zero).run()

        #expect(maintenance.recorded.withLock { $0 } == [CountsAtDisable(maintenanceRuns: 1, analyzeRuns: 0)])
        #expect(await store.logPartsAnalyzeRuns == 1)
        #expect(try await maintenance.isEnabled() == false)
    }

    @Test("interrupted maintenance skips statistics")
    func interruptedMaintenanceSkipsStatistics() async throws {
        let maintenance = ObservedSwitch(clock: clock, store: store)
        let step = makeStep(maintenance, initialSleep: .seconds(60))

        let running = Task { try await step.run() }
        while clock.sleeperCount == 0 { try await Task.sleep(for: .milliseconds(1)) }
        running.cancel()

        await #expect(throws: CancellationError.self) { try await running.value }
        #expect(maintenance.recorded.withLock { $0 } == [CountsAtDisable(maintenanceRuns: 0, analyzeRuns: 0)])
        #expect(await store.logPartsAnalyzeRuns == 0)
        #expect(try await maintenance.isEnabled() == false)
    }
}
