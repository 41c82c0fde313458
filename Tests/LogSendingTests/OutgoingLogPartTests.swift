import Foundation
import LogSending
import Testing

@Suite("Splitting a log into parts")
struct OutgoingLogPartTests {
    @Test("parts are 1653 bytes with a remainder")
    func sizes() {
        let log = Data(repeating: UInt8(ascii: "a"), count: 1653 * 2 + 100)
        let parts = OutgoingLogPart.split(log)
        #expect(parts.map(\.content.count) == [1653, 1653, 100, 0])
        #expect(parts.map(\.number) == [1, 2, 3, 4])
        #expect(parts.map(\.isFinal) == [false, false, false, true])
    }

    @Test("exact multiple has no short part")
    func exactMultiple() {
        let parts = OutgoingLogPart.split(Data(repeating: 0x41, count: 1653 * 3))
        #expect(parts.map(\.content.count) == [1653, 1653, 1653, 0])
        #expect(parts.last?.isFinal == true)
    }

    @Test("joined parts equal the log")
    func joinedEqualsLog() {
        let log = Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let parts = OutgoingLogPart.split(log, partSize: 777)
        #expect(parts.reduce(Data()) { $0 + $1.content } == log)
        #expect(parts.dropLast().allSatisfy { $0.content.count <= 777 })
    }

    @Test("multi-byte character is cut")
    func cutsMultiByteCharacter() throws {
        // 1652 ASCII bytes, then "é" (0xC3 0xA9): the first part ends on the character's first byte.
        let log = Data(String(repeating: "x", count: 1652).utf8) + Data("é tail".utf8)
        let parts = OutgoingLogPart.split(log)
        #expect(parts.count == 3)
        #expect(parts[0].content.count == 1653)
        #expect(parts[0].content.last == 0xC3)
        #expect(parts[1].content.first == 0xA9)
        #expect(String(data: parts[0].content, encoding: .utf8) == nil)
        #expect(String(decoding: parts[0].content + parts[1].content, as: UTF8.self).hasSuffix("é tail"))
    }

    @Test("empty log has only the final part")
    func emptyLog() {
        let parts = OutgoingLogPart.split(Data())
        #expect(parts == [OutgoingLogPart(number: 1, content: Data(), isFinal: true)])
    }

    @Test("split of a slice starts at its first byte")
    func sliceIndices() {
        let whole = Data("0123456789".utf8)
        let slice = whole[4...]
        let parts = OutgoingLogPart.split(slice, partSize: 4)
        #expect(parts.map { String(decoding: $0.content, as: UTF8.self) } == ["4567", "89", ""])
    }
}
