import LogsCore
import Testing

@Suite("In-memory job queue conformance")
struct InMemoryJobQueueConformanceTests {
    @Test("conformance check", arguments: JobQueueConformance.checkNames)
    func conformance(check: String) async throws {
        try await JobQueueConformance.run(check) { clock in InMemoryJobQueue(clock: clock) }
    }
}
