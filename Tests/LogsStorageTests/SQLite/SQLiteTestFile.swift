import Foundation

/// A database path in a fresh temporary folder, removed with the folder by `remove()`.
struct SQLiteTestFile {
    let directory: URL
    let path: String

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("travis-logs-sqlite-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("logs.sqlite3").path
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
