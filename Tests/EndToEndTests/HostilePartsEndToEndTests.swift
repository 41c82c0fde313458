import Foundation
import LogsCore
import Testing

/// Parts as real workers and networks deliver them: out of order, repeated, numbered `last`, cut
/// inside a character, with bytes that are not UTF-8 and with NUL bytes.
@Suite(
    "End to end: hostile parts", .serialized,
    .enabled(if: EndToEndSystem.isAvailable, "the end-to-end tests need the services that script/test starts"))
struct HostilePartsEndToEndTests {
    /// Text whose 1653-byte cuts fall inside multi-byte characters, with invalid UTF-8 and NULs.
    static func hostileBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        var line = 0
        while bytes.count < 12_000 {
            line += 1
            bytes += Array("\u{1B}[32mline \(line) ✔ 日本語 🚀 \r".utf8)
            if line.isMultiple(of: 7) { bytes += [0xFF, 0xFE, 0x41, 0xC3] }
            if line.isMultiple(of: 11) { bytes += [0x00, 0x42, 0x00] }
            bytes += Array("progress 100%\n".utf8)
        }
        return bytes
    }

    @Test(
        "shuffled, repeated and broken parts archived", .timeLimit(.minutes(4))
    )
    func shuffledRepeatedAndBrokenText() async throws {
        try await EndToEndSystem.with { system in
            var generator = SystemRandomNumberGenerator()
            let bytes = Self.hostileBytes()
            let amqpLog = WorkerLog(name: "hostile over AMQP", jobID: system.jobIDBase, bytes: bytes)
            let httpLog = WorkerLog(name: "hostile over HTTP", jobID: system.jobIDBase + 1, bytes: bytes)

            // Every content part twice, in random order, and the empty final part numbered `last`.
            var messages: [Data] = []
            for part in amqpLog.parts.dropLast() {
                let message = WorkerLog.message(
                    jobID: amqpLog.jobID, number: part.number, bytes: part.bytes, isFinal: false)
                messages += [message, message]
            }
            messages.shuffle(using: &generator)
            messages.append(
                Data(#"{"id":\#(amqpLog.jobID),"log":"","number":"last","final":true,"uuid":"u","meta":{}}"#.utf8))
            try await system.publish(messages)

            var parts = httpLog.parts.dropLast().map { $0 }
            parts += parts.prefix(3)
            parts.shuffle(using: &generator)
            for part in parts {
                try await system.putPart(jobID: httpLog.jobID, number: String(part.number), bytes: part.bytes)
            }
            try await system.putPart(jobID: httpLog.jobID, number: "last", bytes: [], isFinal: true)

            try await system.expectArchivedAndPurged(
                [amqpLog, httpLog].map { (jobID: $0.jobID, expected: $0.expected, name: $0.name) })
        }
    }
}

extension EndToEndSystem {
    /// Sends one part with `PUT /log-parts/:job_id/:number` and token auth, as a worker may.
    func putPart(jobID: Int64, number: String, bytes: ArraySlice<UInt8>, isFinal: Bool = false) async throws {
        let body =
            #"{"@type":"log_part","encoding":"base64","content":"\#(Data(bytes).base64EncodedString())","final":\#(isFinal)}"#
        let response = try await request("PUT", "/log-parts/\(jobID)/\(number)", body: Data(body.utf8))
        #expect(response.status == 204, "PUT /log-parts/\(jobID)/\(number) answered \(response.status)")
    }
}
