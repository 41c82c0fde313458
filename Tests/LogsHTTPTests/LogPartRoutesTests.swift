import Foundation
import LogsCore
import LogsHTTP
import Testing

@Suite("Log part routes")
struct LogPartRoutesTests {
    static let content = Data("fafafaf".utf8).base64EncodedString()

    static func partBody(final: Bool = false) -> [String: Any] {
        ["@type": "log_part", "encoding": "base64", "content": content, "final": final]
    }

    @Test("PUT /log-parts with a valid JWT queues the part")
    func putPartWithJWT() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let token = try Fixtures.token("valid_job_42")
        let body = try JSONSerialization.data(withJSONObject: Self.partBody(final: true))
        let response = try await server.send(
            "PUT", "/log-parts/42/last", headers: ["Authorization": "Bearer \(token)"], body: body)
        #expect(response.status == 204)
        let jobs = await server.queue.jobs(in: "log_parts")
        #expect(jobs.count == 1)
        let part = try #require(jobs.first?.args.first?.arrayValue?.first)
        #expect(part["id"] == .integer(42))
        #expect(part["number"] == "last")
        #expect(part["final"] == .bool(true))
        #expect(part["log"] == .string(Self.content))
        #expect(await server.queue.jobs(in: "logs.pusher_forwarding").count == 1)
    }

    @Test(
        "PUT /log-parts rejects bad tokens with 403",
        arguments: [
            "expired_job_42", "not_yet_valid_job_42", "wrong_sub_job_43", "other_key_job_42", "rs256_job_42",
            "alg_none_job_42", "hs512_public_key_job_42",
        ])
    func putPartRejectsToken(name: String) async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let token = try Fixtures.token(name)
        let body = try JSONSerialization.data(withJSONObject: Self.partBody())
        let response = try await server.send(
            "PUT", "/log-parts/42/1", headers: ["Authorization": "Bearer \(token)"], body: body)
        #expect(response.status == 403, "\(name)")
        #expect(await server.queue.jobs(in: "log_parts").isEmpty)
    }

    @Test("PUT /log-parts accepts a JWT without exp and the token")
    func putPartOtherAuthorizations() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let body = try JSONSerialization.data(withJSONObject: Self.partBody())
        let token = try Fixtures.token("valid_job_42_without_exp")
        let bearer = try await server.send(
            "PUT", "/log-parts/42/1", headers: ["Authorization": "Bearer \(token)"], body: body)
        #expect(bearer.status == 204)
        let shared = try await server.send("PUT", "/log-parts/42/2", token: true, body: body)
        #expect(shared.status == 204)
    }

    @Test("PUT /log-parts without a key returns 500, without a header 403")
    func putPartMissingKeyOrHeader() async throws {
        let server = try APITestServer(publicKey: false)
        defer { Task { await server.stop() } }
        let body = try JSONSerialization.data(withJSONObject: Self.partBody())
        let token = try Fixtures.token("valid_job_42")
        let noKey = try await server.send(
            "PUT", "/log-parts/42/1", headers: ["Authorization": "Bearer \(token)"], body: body)
        #expect(noKey.status == 500)
        let noHeader = try await server.send("PUT", "/log-parts/42/1", body: body)
        #expect(noHeader.status == 403)
    }

    @Test("PUT /log-parts checks @type and encoding")
    func putPartValidatesBody() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        var wrongType = Self.partBody()
        wrongType["@type"] = "log"
        let typeResponse = try await server.send("PUT", "/log-parts/42/1", token: true, json: wrongType)
        #expect(typeResponse.status == 400)
        #expect(typeResponse.errorMessage == "@type should be log_part")
        var wrongEncoding = Self.partBody()
        wrongEncoding["encoding"] = "utf-8"
        let encodingResponse = try await server.send("PUT", "/log-parts/42/1", token: true, json: wrongEncoding)
        #expect(encodingResponse.status == 400)
        #expect(encodingResponse.errorMessage == "invalid encoding")
        var badBase64 = Self.partBody()
        badBase64["content"] = "!!!"
        #expect(try await server.send("PUT", "/log-parts/42/1", token: true, json: badBase64).status == 400)
    }

    @Test("POST /log-parts/multi drops parts with bad tok")
    func postMultiDropsUnauthorized() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        var items: [[String: Any]] = []
        for jobID in [1, 2, 5] {
            var item = Self.partBody()
            item["job_id"] = jobID
            item["number"] = "1"
            item["tok"] = jobID == 1 ? "bogus" : try Fixtures.token("valid_job_\(jobID)")
            items.append(item)
        }
        let tokens = items.map { $0["tok"] as! String }.joined()
        let signature = TestDigest.sha1Hex(tokens)
        let body = try JSONSerialization.data(withJSONObject: items)
        let response = try await server.send(
            "POST", "/log-parts/multi", headers: ["Authorization": "token sig:\(signature)"], body: body)
        #expect(response.status == 204)
        let parts = await server.queue.jobs(in: "log_parts").first?.args.first?.arrayValue ?? []
        #expect(parts.map { $0["id"] } == [.integer(2), .integer(5)])
        #expect(await server.queue.jobs(in: "logs.pusher_forwarding").count == 2)
        let dropped = server.logs.entries.filter { $0.message == "dropped unauthorized log part" }
        #expect(dropped.count == 1)
        #expect(dropped.first?.metadata["job_id"]?.description == "1")
        let metrics = server.pipeline.metrics.renderPrometheus()
        #expect(metrics.contains("travis_logs_parts_dropped_total{reason=\"unauthorized_malformed\"} 1"))
    }

    @Test("POST /log-parts/multi rejects a wrong signature")
    func postMultiWrongSignature() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        var item = Self.partBody()
        item["job_id"] = 1
        item["number"] = "1"
        item["tok"] = "fafafaf"
        let body = try JSONSerialization.data(withJSONObject: [item])
        let response = try await server.send(
            "POST", "/log-parts/multi", headers: ["Authorization": "token sig:wat"], body: body)
        #expect(response.status == 403)
        #expect(try await server.send("POST", "/log-parts/multi", body: body).status == 403)
    }

    @Test("GET /log-parts lists parts with filters")
    func getLogParts() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let logID = try await server.store.findOrCreateLog(jobID: JobID(42), at: Date())
        try await server.store.insertParts(
            (0..<4).map { NewLogPart(logID: logID, number: $0, content: "part \($0)", isFinal: $0 == 3) }, at: Date())
        let all = try await server.send("GET", "/log-parts/42", token: true).json()
        #expect(all["@type"] as? String == "log_parts")
        #expect(all["job_id"] as? Int == 42)
        let parts = try #require(all["log_parts"] as? [[String: Any]])
        #expect(parts.map { $0["number"] as? Int } == [0, 1, 2, 3])
        #expect(parts[3]["final"] as? Bool == true)
        #expect(parts[0]["content"] as? String == "part 0")

        let after = try await server.send("GET", "/log-parts/42?after=1&content=false", token: true).json()
        let afterParts = try #require(after["log_parts"] as? [[String: Any]])
        #expect(afterParts.map { $0["number"] as? Int } == [2, 3])
        #expect(afterParts.allSatisfy { $0["content"] == nil })

        let missing = try await server.send("GET", "/log-parts/42?part_numbers=1,7&require_all=true", token: true)
        let missingParts = try #require(try missing.json()["log_parts"] as? [[String: Any]])
        #expect(missingParts.count == 1)
        #expect(missingParts[0]["content"] as? String == "Your log is temporarily unavailable")

        #expect(try await server.send("GET", "/log-parts/43", token: true).status == 404)
    }

    @Test("maintenance returns 503 with Retry-After on part routes")
    func maintenance() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        try await server.pipeline.maintenance.enable(for: .seconds(90))
        let get = try await server.send("GET", "/log-parts/42", token: true)
        #expect(get.status == 503)
        #expect(get.headers["retry-after"] == "90")
        let put = try await server.send("PUT", "/log-parts/42/1", token: true, json: Self.partBody())
        #expect(put.status == 503)
        #expect(put.headers["retry-after"] != nil)
        let multi = try await server.send("POST", "/log-parts/multi", token: true, json: [Any]())
        #expect(multi.status == 503)
        #expect(try await server.send("GET", "/uptime").status == 200)
    }
}
