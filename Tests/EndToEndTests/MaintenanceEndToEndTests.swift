import Foundation
import LogsCore
import LogsTransport
import Testing

/// The maintenance switch during load: web returns 503, workers wait, pg_partman's maintenance
/// runs, and nothing is lost once the switch goes off.
@Suite(
    "End to end: maintenance", .serialized,
    .enabled(if: EndToEndSystem.isAvailable, "the end-to-end tests need the services that script/test starts"))
struct MaintenanceEndToEndTests {
    static let part = Data(#"{"@type":"log_part","encoding":"base64","content":"YQ==","final":false}"#.utf8)

    @Test("switch on under load loses nothing", .timeLimit(.minutes(5)))
    func maintenanceUnderLoad() async throws {
        try await EndToEndSystem.with { system in
            let load = FaultLoad(jobIDBase: system.jobIDBase, count: 3)
            async let fed: Void = load.run(on: system, rounds: 20, pause: .milliseconds(300), rate: 10)

            try await Task.sleep(for: .seconds(1.5))
            try await system.redis(["SET", RedisMaintenanceSwitch.key, "on", "EX", "120"])
            // web caches the switch for a second, so the first requests may still be taken.
            var refused = try await system.request("PUT", "/log-parts/\(system.jobIDBase + 99)/1", body: Self.part)
            let deadline = ContinuousClock.now + .seconds(5)
            while refused.status != 503 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                refused = try await system.request("PUT", "/log-parts/\(system.jobIDBase + 99)/1", body: Self.part)
            }
            #expect(refused.status == 503, "PUT /log-parts during maintenance answered \(refused.status)")
            #expect(refused.header("Retry-After") != nil, "503 without Retry-After")

            try await system.sql("SELECT partman.run_maintenance('public.log_parts')")
            let partsBefore = try await system.sql("SELECT count(*) FROM log_parts").values.first?.first ?? nil
            try await Task.sleep(for: .seconds(3))
            let partsAfter = try await system.sql("SELECT count(*) FROM log_parts").values.first?.first ?? nil
            #expect(partsBefore == partsAfter, "parts were written while maintenance was on")

            try await system.redis(["DEL", RedisMaintenanceSwitch.key])
            try await fed
            try await system.expectArchivedAndPurged(load.all)
            let answered = try await system.request("PUT", "/log-parts/\(system.jobIDBase + 99)/1", body: Self.part)
            #expect(answered.status == 204, "PUT /log-parts after maintenance answered \(answered.status)")
        }
    }
}

extension EndToEndSystem {
    /// Sends one command to the system's Redis database.
    @discardableResult
    func redis(_ arguments: [String]) async throws -> RedisReply {
        let pool = RedisConnectionPool(endpoint: try RedisEndpoint(url: redisURL), logger: Logger(label: "e2e-redis"))
        defer { pool.close() }
        return try await pool.send(arguments)
    }
}
