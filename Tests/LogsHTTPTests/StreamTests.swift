import Foundation
import Glibc
import LogsCore
import LogsHTTP
import Synchronization
import Testing

@Suite("Live stream endpoint")
struct StreamTests {
    static func event(_ number: Int, _ content: String, final: Bool = false) -> LogPartEvent {
        LogPartEvent(channel: "job-42", jobID: JobID(42), content: content, number: number, isFinal: final)
    }

    /// Opens the stream on the client thread and returns the whole body once the server ends it.
    static func readStream(_ server: APITestServer, headers: [String: String] = [:]) async throws -> TestResponse {
        var allHeaders = headers
        allHeaders["Authorization"] = "token \(APITestServer.authToken)"
        let requestHeaders = allHeaders
        let port = server.port
        return try await server.onClientThread {
            try LoopbackHTTPClient.request("GET", "/logs/42/stream", port: port, headers: requestHeaders)
        }
    }

    static func waitForSubscriber(_ server: APITestServer, count: Int = 1) async throws {
        for _ in 0..<200 {
            if await server.liveStream.subscriberCount(jobID: JobID(42)) == count { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the stream never had \(count) subscribers")
    }

    /// Returns the `(id, event)` pairs of an SSE body, with `id` nil where the event has none.
    static func events(_ text: String) -> [(id: String?, event: String)] {
        text.components(separatedBy: "\n\n").compactMap { block in
            let lines = block.split(separator: "\n")
            guard let event = lines.first(where: { $0.hasPrefix("event: ") }) else { return nil }
            let id = lines.first(where: { $0.hasPrefix("id: ") }).map { String($0.dropFirst(4)) }
            return (id, String(event.dropFirst(7)))
        }
    }

    @Test("stored parts first, then live parts, then end")
    func storedThenLive() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let logID = try await server.store.findOrCreateLog(jobID: JobID(42), at: Date())
        try await server.store.insertParts(
            [
                NewLogPart(logID: logID, number: 0, content: "zero ", isFinal: false),
                NewLogPart(logID: logID, number: 1, content: "one ", isFinal: false),
            ], at: Date())
        async let response = Self.readStream(server)
        try await Self.waitForSubscriber(server)
        await server.liveStream.broadcast([
            Self.event(1, "one "), Self.event(2, "two "), Self.event(3, "", final: true),
        ])
        let stream = try await response
        #expect(stream.status == 200)
        #expect(stream.headers["content-type"] == "text/event-stream")
        let events = Self.events(stream.text)
        #expect(events.map(\.id) == ["0", "1", "2", "3", nil])
        #expect(events.map(\.event) == ["part", "part", "part", "part", "end"])
        #expect(stream.text.contains("\"_log\":\"two \""))
    }

    @Test("final part waits for earlier stored parts")
    func finalWaitsForEarlierParts() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        async let response = Self.readStream(server)
        try await Self.waitForSubscriber(server)
        // Part 2's live event is lost, as when forwarding jobs finish out of order; it is stored.
        await server.liveStream.broadcast([Self.event(1, "one ")])
        let logID = try await server.store.findOrCreateLog(jobID: JobID(42), at: Date())
        try await server.store.insertParts(
            [NewLogPart(logID: logID, number: 2, content: "two ", isFinal: false)], at: Date())
        await server.liveStream.broadcast([Self.event(3, "", final: true)])
        let stream = try await response
        let events = Self.events(stream.text)
        #expect(events.map(\.id) == ["1", "2", "3", nil])
        #expect(stream.text.contains("\"_log\":\"two \""))
    }

    @Test("out-of-order live parts are sent in order")
    func outOfOrderLiveParts() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        async let response = Self.readStream(server)
        try await Self.waitForSubscriber(server)
        await server.liveStream.broadcast([
            Self.event(3, "three "), Self.event(1, "one "), Self.event(3, "three "), Self.event(2, "two "),
            Self.event(1, "one "), Self.event(4, "", final: true),
        ])
        let events = Self.events(try await response.text)
        #expect(events.map(\.id) == ["1", "2", "3", "4", nil])
        #expect(events.map(\.event) == ["part", "part", "part", "part", "end"])
    }

    @Test("resubscription sends missed stored parts")
    func resubscriptionSendsMissedParts() async throws {
        let source = ScriptedLiveEventSource()
        let server = try APITestServer(liveEvents: { _ in source })
        defer { Task { await server.stop() } }
        let port = server.port
        let socketDescriptor = try await server.onClientThread { try Self.openStream(port: port) }
        defer { close(socketDescriptor) }
        try await source.waitForSubscriber()
        source.send(.part(Self.event(0, "zero ")))
        source.send(.part(Self.event(1, "one ")))
        let before = try await server.onClientThread { try Self.receive(socketDescriptor, until: "id: 1\n") }

        // Parts 2 to 4 are stored while the subscription is down, so their live events are lost.
        let logID = try await server.store.findOrCreateLog(jobID: JobID(42), at: Date())
        try await server.store.insertParts(
            (1...4).map { NewLogPart(logID: logID, number: $0, content: "part \($0) ", isFinal: $0 == 4) },
            at: Date())
        source.send(.resubscribed)
        source.send(.part(Self.event(3, "part 3 ")))
        let after = try await server.onClientThread { try LoopbackHTTPClient.receiveUntilClosed(socketDescriptor) }

        let text = try LoopbackHTTPClient.parse(before + after).text
        #expect(Self.events(text).map(\.id) == ["0", "1", "2", "3", "4", nil])
        #expect(Self.events(text).map(\.event) == ["part", "part", "part", "part", "part", "end"])
        #expect(text.contains(#""_log":"part 2 ""#))
    }

    /// Sends a stream request on a new connection and returns the socket without reading.
    static func openStream(port: UInt16) throws -> Int32 {
        let socketDescriptor = try LoopbackHTTPClient.connectedSocket(port: port, receiveTimeout: 10)
        let request =
            "GET /logs/42/stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            + "Authorization: token \(APITestServer.authToken)\r\n\r\n"
        try LoopbackHTTPClient.sendBytes(socketDescriptor, Data(request.utf8))
        return socketDescriptor
    }

    /// Reads from the socket until the response body received so far contains `marker`, and
    /// returns the raw bytes.
    static func receive(_ socketDescriptor: Int32, until marker: String) throws -> Data {
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while (try? LoopbackHTTPClient.parse(received))?.text.contains(marker) != true {
            let count = recv(socketDescriptor, &buffer, buffer.count, 0)
            guard count > 0 else { throw LoopbackHTTPClient.SocketError(call: "recv", code: errno) }
            received.append(contentsOf: buffer[0..<count])
        }
        return received
    }

    @Test("live part after a gap waits for the stored part")
    func gapFilledFromStore() async throws {
        let source = ScriptedLiveEventSource()
        let server = try APITestServer(liveEvents: { _ in source })
        defer { Task { await server.stop() } }
        async let response = Self.readStream(server, headers: ["Last-Event-ID": "4"])
        try await source.waitForSubscriber()
        source.send(.part(Self.event(7, "seven ")))
        source.send(.part(Self.event(5, "five ")))
        let logID = try await server.store.findOrCreateLog(jobID: JobID(42), at: Date())
        try await server.store.insertParts(
            [NewLogPart(logID: logID, number: 6, content: "six ", isFinal: false)], at: Date())
        source.send(.part(Self.event(8, "", final: true)))
        source.finish()
        let events = Self.events(try await response.text)
        #expect(events.map(\.id) == ["5", "6", "7", "8", nil])
    }

    @Test("part never stored is given up")
    func partNeverStoredGivenUp() async throws {
        let source = ScriptedLiveEventSource()
        let server = try APITestServer(
            liveEvents: { _ in source }, settings: LogsAPI.Settings(streamHeartbeat: .seconds(1)))
        defer { Task { await server.stop() } }
        // The store has the parts around part 1, so it is not behind, and part 1 never comes.
        let logID = try await server.store.findOrCreateLog(jobID: JobID(42), at: Date())
        let stored = [0, 2].map { NewLogPart(logID: logID, number: $0, content: "\($0) ", isFinal: $0 == 2) }
        try await server.store.insertParts(stored, at: Date())
        let started = ContinuousClock.now
        async let response = Self.readStream(server, headers: ["Last-Event-ID": "0"])
        try await source.waitForSubscriber()
        source.send(.part(Self.event(2, "", final: true)))
        source.finish()

        let events = Self.events(try await response.text)
        #expect(events.map(\.id) == ["2", nil])
        // Released after the 5 s wait for a gap, not the minute a lagging store gets.
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test("Last-Event-ID resumes after that part")
    func resumesAfterLastEventID() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let logID = try await server.store.findOrCreateLog(jobID: JobID(42), at: Date())
        try await server.store.insertParts(
            (0..<3).map { NewLogPart(logID: logID, number: $0, content: "\($0)", isFinal: false) }, at: Date())
        async let response = Self.readStream(server, headers: ["Last-Event-ID": "1"])
        try await Self.waitForSubscriber(server)
        await server.liveStream.broadcast([Self.event(1, "1"), Self.event(3, "3", final: true)])
        let events = Self.events(try await response.text)
        #expect(events.map(\.id) == ["2", "3", nil])
    }

    @Test("aggregated log is sent whole")
    func aggregatedLog() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        _ = try await server.send("PUT", "/logs/42", token: true, body: Data("the whole log".utf8))
        let stream = try await Self.readStream(server)
        let events = Self.events(stream.text)
        #expect(events.map(\.event) == ["log", "end"])
        #expect(stream.text.contains("the whole log"))
    }

    @Test("client leaving ends its subscription")
    func clientLeaving() async throws {
        let server = try APITestServer(settings: LogsAPI.Settings(streamHeartbeat: .milliseconds(50)))
        defer { Task { await server.stop() } }
        let port = server.port
        try await server.onClientThread {
            let socketDescriptor = try LoopbackHTTPClient.connectedSocket(port: port, receiveTimeout: 5)
            let request =
                "GET /logs/42/stream HTTP/1.1\r\nHost: x\r\nAuthorization: token \(APITestServer.authToken)\r\n\r\n"
            try LoopbackHTTPClient.sendBytes(socketDescriptor, Data(request.utf8))
            var buffer = [UInt8](repeating: 0, count: 1024)
            _ = recv(socketDescriptor, &buffer, buffer.count, 0)
            close(socketDescriptor)
        }
        try await Self.waitForSubscriber(server, count: 0)
    }

    @Test("shutdown ends open streams")
    func shutdownEndsStreams() async throws {
        let server = try APITestServer()
        async let response = Self.readStream(server)
        try await Self.waitForSubscriber(server)
        await server.liveStream.broadcast([Self.event(0, "zero")])
        try await Task.sleep(for: .milliseconds(50))
        await server.stop()
        let stream = try await response
        #expect(Self.events(stream.text).map(\.id) == ["0"])
    }

    @Test("non-numeric Last-Event-ID returns 400")
    func badLastEventID() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let response = try await server.send(
            "GET", "/logs/42/stream", token: true, headers: ["Last-Event-ID": "abc"])
        #expect(response.status == 400)
    }
}

/// A live event source whose events the test sends, to play a lost and renewed subscription.
final class ScriptedLiveEventSource: LiveEventSource {
    private let continuations = Mutex<[AsyncStream<LiveEvent>.Continuation]>([])

    func subscribe(jobID: JobID) -> AsyncStream<LiveEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: LiveEvent.self)
        continuations.withLock { $0.append(continuation) }
        return stream
    }

    func send(_ event: LiveEvent) {
        for continuation in continuations.withLock({ $0 }) { continuation.yield(event) }
    }

    /// Ends every subscriber's stream, as a source does after the final part.
    func finish() {
        for continuation in continuations.withLock({ $0 }) { continuation.finish() }
    }

    func waitForSubscriber() async throws {
        for _ in 0..<200 {
            if !continuations.withLock({ $0.isEmpty }) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the stream endpoint never subscribed")
    }
}
