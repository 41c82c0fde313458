import LogsCore
import LogsStorage
import Testing

@Suite("SQLite part store conformance")
struct SQLitePartStoreConformanceTests {
    @Test("conformance check", arguments: PartStoreConformance.checkNames)
    func conformance(check: String) async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        let store = try await SQLitePartStore(path: file.path)
        do {
            try await PartStoreConformance.run(check) { store }
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}
