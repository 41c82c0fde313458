import Foundation
import TestSupport

/// A job log as a Travis worker sends it: cut every 1653 bytes, whatever the UTF-8 boundaries, then
/// an empty final part, each as a base64 AMQP message.
struct WorkerLog: Sendable {
    static let partSize = 1653

    var name: String
    var jobID: Int64
    var bytes: [UInt8]

    /// The bytes the archive must hold: NUL bytes removed, invalid UTF-8 replaced by U+FFFD.
    var expected: [UInt8] {
        Array(String(decoding: bytes.filter { $0 != 0 }, as: UTF8.self).utf8)
    }

    /// The parts as `(number, bytes)`, numbered from 1, the last one empty.
    var parts: [(number: Int, bytes: ArraySlice<UInt8>)] {
        var parts = stride(from: 0, to: bytes.count, by: Self.partSize).enumerated().map { index, start in
            (number: index + 1, bytes: bytes[start..<min(start + Self.partSize, bytes.count)])
        }
        parts.append((number: parts.count + 1, bytes: []))
        return parts
    }

    /// The AMQP message of each part, in order, the last one final.
    var messages: [Data] {
        let parts = self.parts
        return parts.map { part in
            Self.message(jobID: jobID, number: part.number, bytes: part.bytes, isFinal: part.number == parts.count)
        }
    }

    static func message(jobID: Int64, number: Int, bytes: ArraySlice<UInt8>, isFinal: Bool) -> Data {
        let content = Data(bytes).base64EncodedString()
        return Data(
            #"{"id":\#(jobID),"log":"\#(content)","encoding":"base64","number":\#(number),"final":\#(isFinal),"uuid":"\#(UUID().uuidString)","meta":{}}"#
                .utf8)
    }
}

/// The real CI logs of `LOGS_CORPUS_DIR`, which `script/test` sets when the corpus sits beside the
/// repository; the files are never copied into the repository.
enum Corpus {
    static var directory: URL? {
        guard let path = TestEnvironment.value("LOGS_CORPUS_DIR") else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return nil
        }
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    /// Returns the corpus's `.log` files, sorted by name.
    static func files() throws -> [URL] {
        guard let directory else {
            throw EndToEndError("LOGS_CORPUS_DIR is unset or not a directory; set it to the log corpus path")
        }
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "log" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
