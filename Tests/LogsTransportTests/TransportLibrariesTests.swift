import CHiredis
import Foundation
import LogsTransport
import Testing

@Suite("Transport C libraries")
struct TransportLibrariesTests {
    @Test(
        "version is dotted digits",
        arguments: [
            ("rabbitmq-c", TransportLibraries.rabbitMQVersion),
            ("hiredis", TransportLibraries.hiredisVersion),
        ]
    )
    func versionIsDottedDigits(library: String, version: String) {
        #expect(isDottedVersion(version), "\(library) reported version \"\(version)\"")
    }

    @Test("redis command on failed connection returns nil")
    func redisCommandOnFailedConnectionReturnsNil() throws {
        let socketPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("missing-\(UUID().uuidString).sock").path
        let context = try #require(redisConnectUnix(socketPath))
        defer { redisFree(context) }
        #expect(context.pointee.err == REDIS_ERR_IO)

        let arguments = ["PING"]
        var cStrings: [UnsafePointer<CChar>?] = arguments.map { UnsafePointer(strdup($0)) }
        defer {
            for cString in cStrings {
                free(UnsafeMutablePointer(mutating: cString))
            }
        }
        let lengths = arguments.map { $0.utf8.count }

        let reply = travis_redis_command_argv(context, Int32(arguments.count), &cStrings, lengths)
        #expect(reply == nil)
    }
}

/// Returns whether `text` is two or more groups of decimal digits joined by single dots.
private func isDottedVersion(_ text: String) -> Bool {
    let groups = text.split(separator: ".", omittingEmptySubsequences: false)
    guard groups.count >= 2 else {
        return false
    }
    return groups.allSatisfy { group in
        !group.isEmpty && group.allSatisfy(\.isASCII) && group.allSatisfy(\.isNumber)
    }
}
