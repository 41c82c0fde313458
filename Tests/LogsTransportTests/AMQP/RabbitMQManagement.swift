import CurlClient
import Foundation
import LogsCore
import Testing

@testable import LogsTransport

/// Requests to the test node's management HTTP API, on `RABBITMQ_MANAGEMENT_PORT` with the
/// credentials of `RABBITMQ_URL`.
struct RabbitMQManagement {
    let endpoint: AMQPEndpoint
    let port: Int

    init() throws {
        endpoint = try RabbitMQTestServer.endpoint()
        let portText = try #require(
            RabbitMQTestServer.environment["RABBITMQ_MANAGEMENT_PORT"],
            "RABBITMQ_MANAGEMENT_PORT is unset: script/services/rabbitmq did not run")
        port = try #require(Int(portText))
    }

    /// The `TRAVIS_AMQP_*` settings that point at this API.
    var settings: LogsConfiguration.AMQP {
        var settings = LogsConfiguration.AMQP()
        settings.host = endpoint.host
        settings.apiPort = port
        settings.vhost = endpoint.vhost
        settings.username = endpoint.username
        settings.password = endpoint.password
        return settings
    }

    static func encoded(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? segment
    }

    var vhostPath: String { Self.encoded(endpoint.vhost) }

    /// Sends a request and returns its status and the body parsed as JSON (null when empty).
    func send(_ method: String, _ path: String, body: JSONValue? = nil) async throws -> (status: Int, json: JSONValue) {
        let credentials = Data("\(endpoint.username):\(endpoint.password)".utf8).base64EncodedString()
        var headers = [("Authorization", "Basic \(credentials)")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let request = HTTPRequest(
            method: method, url: "http://\(endpoint.host):\(port)/api/\(path)", headers: headers,
            body: body?.jsonData())
        let response = try await CurlHTTPClient(name: "management-test").execute(request)
        let json = response.body.isEmpty ? JSONValue.null : try JSONValue(parsing: response.body)
        return (response.status, json)
    }

    /// Closes, as a broker shutdown does, every connection that consumes from `queue`.
    func closeConnections(consumingFrom queue: String) async throws -> Int {
        let (_, json) = try await send("GET", "queues/\(vhostPath)/\(Self.encoded(queue))")
        let names = Set(
            (json["consumer_details"]?.arrayValue ?? []).compactMap {
                $0["channel_details"]?["connection_name"]?.stringValue
            })
        for name in names {
            _ = try await send("DELETE", "connections/\(Self.encoded(name))")
        }
        return names.count
    }
}
