import Foundation
import LogsCore
import LogsHTTP
import Testing

@Suite("OpenAPI document")
struct OpenAPITests {
    /// Returns the path with its parameter names erased, so `/logs/:job_id` and `/logs/{id}` compare equal.
    static func template(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix(":") || segment.hasPrefix("{") ? "{}" : String(segment)
        }.joined(separator: "/")
    }

    @Test("every router route is documented")
    func everyRouteDocumented() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let response = try await server.send("GET", "/openapi.json")
        #expect(response.status == 200)
        let document = try response.json()
        #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented: Set<String> = []
        for (path, operations) in paths {
            for method in operations.keys {
                documented.insert("\(method.uppercased()) \(Self.template(path))")
            }
        }
        let api = try LogsAPI.configured(pipeline: server.pipeline)
        let routes = api.makeRouter().routes
        #expect(routes.count >= 12)
        for route in routes {
            let key = "\(route.method) \(Self.template(route.pattern))"
            #expect(documented.contains(key), "\(route.method) \(route.pattern) is missing from /openapi.json")
        }
        #expect(documented.count == routes.count, "documented: \(documented.sorted())")
    }
}
