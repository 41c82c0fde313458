import CurlClient
import Foundation
import LogsCore

/// The `logs-sharding` policy that makes the sharding plugin spread `reporting.jobs.logs_sharded`
/// over shard queues on every node, set through the RabbitMQ management HTTP API.
///
/// The body is the original service's: the exchange pattern, `shards-per-node` and the priority
/// from the `TRAVIS_AMQP_*` settings, applied to exchanges. Setting it again with the same body
/// changes nothing on the broker.
public struct ShardingPolicy: Sendable {
    /// The policy's name, `logs-sharding` as the original names it.
    public var name = "logs-sharding"
    public var settings: LogsConfiguration.AMQP
    /// The exchange the policy applies to.
    public var exchangeName = "reporting.jobs.logs_sharded"

    public init(settings: LogsConfiguration.AMQP) {
        self.settings = settings
    }

    /// Sets the policy.
    ///
    /// - Throws: `AMQPError` with code `.invalidURL` when the management host or port is not
    ///   configured, and `.managementRequestFailed` with the HTTP status (never the password) when
    ///   the request fails or is rejected.
    public func ensure() async throws {
        guard let host = settings.host, let port = settings.apiPort else {
            throw AMQPError(.invalidURL, "TRAVIS_AMQP_HOST and TRAVIS_AMQP_API_PORT are needed to set the policy")
        }
        let scheme = settings.tls ? "https" : "http"
        let vhost = settings.vhost.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? settings.vhost
        let url = "\(scheme)://\(host):\(port)/api/policies/\(vhost)/\(name)"
        let request = HTTPRequest(
            method: "PUT", url: url,
            headers: [("Authorization", authorization()), ("Content-Type", "application/json")],
            body: body().jsonData())
        let response: HTTPResponse
        do {
            let client = try CurlHTTPClient(name: "rabbitmq-management")
            response = try await client.execute(request)
        } catch {
            throw AMQPError(.managementRequestFailed, "\(error)", operation: "PUT \(request.redactedURL)")
        }
        guard response.isSuccess else {
            throw AMQPError(
                .managementRequestFailed, "the management API returned HTTP \(response.status)",
                operation: "PUT \(request.redactedURL)")
        }
    }

    func body() -> JSONValue {
        // The dots are left unescaped, as the original writes the pattern, so that a fleet running
        // both services does not rewrite the policy back and forth.
        return [
            "pattern": .string("^\(exchangeName)$"),
            "definition": ["shards-per-node": .integer(Int64(settings.shardsPerNode))],
            "priority": .integer(Int64(settings.shardsPriority)),
            "apply-to": "exchanges",
        ]
    }

    private func authorization() -> String {
        let user = settings.managementUser ?? settings.username ?? "guest"
        let password = settings.managementPassword ?? settings.password ?? "guest"
        return "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}
