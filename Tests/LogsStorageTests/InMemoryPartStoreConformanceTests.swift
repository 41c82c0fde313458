import LogsCore
import Testing

@Suite("In-memory part store conformance")
struct InMemoryPartStoreConformanceTests {
    @Test("conformance check", arguments: PartStoreConformance.checkNames)
    func conformance(check: String) async throws {
        try await PartStoreConformance.run(check) { InMemoryPartStore() }
    }
}
