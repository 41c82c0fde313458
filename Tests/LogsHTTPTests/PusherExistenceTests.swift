import Foundation
import LogsCore
import LogsHTTP
import Testing

@Suite("Pusher existence webhook")
struct PusherExistenceTests {
    static func webhookBody(_ events: [[String: String]], timeMilliseconds: Double? = nil) throws -> Data {
        let time = timeMilliseconds ?? Date().timeIntervalSince1970 * 1000
        return try JSONSerialization.data(withJSONObject: ["time_ms": Int64(time), "events": events])
    }

    @Test("signed webhook updates channel presence")
    func signedWebhookUpdatesPresence() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        try await server.pipeline.presence.markOccupied("job-2")
        let body = try Self.webhookBody([
            ["name": "channel_occupied", "channel": "job-1"], ["name": "channel_vacated", "channel": "job-2"],
        ])
        let signature = TestDigest.hmacSHA256Hex(key: APITestServer.pusherSecret, message: body)
        let response = try await server.send(
            "POST", "/pusher/existence",
            headers: ["X-Pusher-Key": APITestServer.pusherKey, "X-Pusher-Signature": signature], body: body)
        #expect(response.status == 204)
        #expect(try await server.pipeline.presence.isOccupied("job-1"))
        #expect(try await !server.pipeline.presence.isOccupied("job-2"))
    }

    @Test("bad signature or key returns 401")
    func badSignature() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let body = try Self.webhookBody([["name": "channel_occupied", "channel": "job-1"]])
        let signature = TestDigest.hmacSHA256Hex(key: "wrong", message: body)
        let wrongSignature = try await server.send(
            "POST", "/pusher/existence",
            headers: ["X-Pusher-Key": APITestServer.pusherKey, "X-Pusher-Signature": signature], body: body)
        #expect(wrongSignature.status == 401)
        let rightSignature = TestDigest.hmacSHA256Hex(key: APITestServer.pusherSecret, message: body)
        let wrongKey = try await server.send(
            "POST", "/pusher/existence", headers: ["X-Pusher-Key": "other", "X-Pusher-Signature": rightSignature],
            body: body)
        #expect(wrongKey.status == 401)
        let unsigned = try await server.send("POST", "/pusher/existence", body: body)
        #expect(unsigned.status == 401)
        #expect(try await !server.pipeline.presence.isOccupied("job-1"))
    }
}
