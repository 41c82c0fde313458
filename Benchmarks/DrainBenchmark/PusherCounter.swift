import Foundation
import LogsCore
import LogsHTTP
import Synchronization

/// A Pusher HTTP API stand-in for the end-to-end phase of script/bench/drain that counts events
/// and checks no signature.
///
/// It runs on this project's libmicrohttpd server, on 127.0.0.1, so that the benchmark's own
/// endpoint takes little of the CPU that it measures. `POST /apps/<id>/events` counts one event,
/// `POST /apps/<id>/batch_events` counts the members of the body's `batch` array, and both reply
/// 200 with `{}`. A body that does not have the shape of Pusher's gets 400 and counts nothing.
/// `GET /events` returns the count so far as a decimal number.
///
/// The bodies are scanned, not decoded: `JSONValue(parsing:)` goes through Foundation's
/// `JSONDecoder`, which took as much CPU time per event as the forwarding worker itself.
enum PusherCounter {
    /// Starts the server on a free port, writes the port to standard output and serves until
    /// standard input ends.
    static func run() throws {
        let events = Atomic<Int>(0)

        var router = Router()
        router.addImmediate("POST", "/apps/:app_id/events") { request in
            guard request.body.first == UInt8(ascii: "{") else {
                return .error(400, "expected a Pusher event object")
            }
            events.add(1, ordering: .relaxed)
            return reply
        }
        router.addImmediate("POST", "/apps/:app_id/batch_events") { request in
            guard let count = batchCount(request.body) else {
                return .error(400, "expected an object with a batch array of event objects")
            }
            events.add(count, ordering: .relaxed)
            return reply
        }
        router.addImmediate("GET", "/events") { _ in
            HTTPResponse(
                status: 200, headers: ["Content-Type": "text/plain"],
                body: .data(Data(String(events.load(ordering: .relaxed)).utf8)))
        }

        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        configuration.threadCount = 1
        // At info level the server logs every request.
        var logger = Logger(label: "drain-benchmark.pusher")
        logger.logLevel = .warning
        let server = HTTPServer(router: router, configuration: configuration, logger: logger)
        try server.start()
        // Written unbuffered, because the caller reads the port before standard output is flushed.
        FileHandle.standardOutput.write(Data("\(server.port)\n".utf8))
        _ = FileHandle.standardInput.readDataToEndOfFile()
    }

    /// Returns the number of objects in the array of a `{"batch":[...]}` body, or nil when the body
    /// does not start that way or its brackets do not balance. Brackets inside strings do not count,
    /// and neither do the objects inside an event.
    static func batchCount(_ body: Data) -> Int? {
        let prefix = Array(#"{"batch":["#.utf8)
        guard body.starts(with: prefix) else { return nil }
        return body.withUnsafeBytes { batchCount(afterPrefix: $0.dropFirst(prefix.count)) }
    }

    private static func batchCount(afterPrefix bytes: Slice<UnsafeRawBufferPointer>) -> Int? {
        var depth = 2
        var count = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth == 2 && byte == UInt8(ascii: "{") { count += 1 }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth < 0 { return nil }
            default:
                break
            }
        }
        return depth == 0 ? count : nil
    }

    private static let reply = HTTPResponse(
        status: 200, headers: ["Content-Type": "application/json"], body: .data(Data("{}".utf8)))
}
