import Foundation

/// The address, credentials, vhost and connection settings of a RabbitMQ broker, read from
/// `RABBITMQ_URL`.
///
/// The form is `amqp[s]://[user[:password]@]host[:port][/vhost][?heartbeat=S&connection_timeout=MS]`,
/// as Bunny and the RabbitMQ URI specification read it: the user and password default to `guest`,
/// the port to 5672 (5671 for `amqps`), and an empty path to the vhost `/`. The vhost is
/// percent-decoded, so `%2F` names the vhost `/`.
public struct AMQPEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String
    public var vhost: String
    /// Whether the connection uses TLS (`amqps://`).
    public var usesTLS: Bool
    /// The heartbeat interval the client proposes; zero turns heartbeats off.
    public var heartbeat: Duration
    /// How long opening the socket and the AMQP handshake may take.
    public var connectTimeout: Duration
    /// A PEM file of the certificate authorities that a TLS broker's certificate must chain to.
    public var caCertificatePath: String?

    public init(
        host: String = "127.0.0.1", port: Int = 5672, username: String = "guest", password: String = "guest",
        vhost: String = "/", usesTLS: Bool = false, heartbeat: Duration = .seconds(30),
        connectTimeout: Duration = .seconds(10), caCertificatePath: String? = nil
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.vhost = vhost
        self.usesTLS = usesTLS
        self.heartbeat = heartbeat
        self.connectTimeout = connectTimeout
        self.caCertificatePath = caCertificatePath
    }

    /// Reads an endpoint from an AMQP URL.
    ///
    /// - Throws: `AMQPError` with code `.invalidURL` naming the problem (never the password).
    public init(url: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw AMQPError(.invalidURL, "RABBITMQ_URL is not a URL; expected amqp://user:password@host:port/vhost")
        }
        guard scheme == "amqp" || scheme == "amqps" else {
            throw AMQPError(.invalidURL, "RABBITMQ_URL has scheme \"\(scheme)\"; expected amqp:// or amqps://")
        }
        self.init(usesTLS: scheme == "amqps")
        port = components.port ?? (usesTLS ? 5671 : 5672)
        guard (1...65535).contains(port) else {
            throw AMQPError(.invalidURL, "RABBITMQ_URL port \(port) is out of range 1-65535")
        }
        var host = components.host ?? ""
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "127.0.0.1" : host
        if let user = components.percentEncodedUser?.removingPercentEncoding, !user.isEmpty { username = user }
        if let secret = components.percentEncodedPassword?.removingPercentEncoding { password = secret }
        let path = components.percentEncodedPath
        let encodedVhost = path.hasPrefix("/") ? String(path.dropFirst()) : path
        vhost = encodedVhost.isEmpty ? "/" : (encodedVhost.removingPercentEncoding ?? encodedVhost)
        try readQuery(components.queryItems ?? [])
    }

    private mutating func readQuery(_ items: [URLQueryItem]) throws {
        for item in items {
            switch item.name {
            case "heartbeat":
                heartbeat = .seconds(try Self.number(item, in: 0...65535))
            case "connection_timeout":
                connectTimeout = .milliseconds(try Self.number(item, in: 1...3_600_000))
            case "cacertfile":
                caCertificatePath = item.value
            default:
                // Other query options of the URI specification (such as channel_max) keep their defaults.
                continue
            }
        }
    }

    private static func number(_ item: URLQueryItem, in range: ClosedRange<Int>) throws -> Int {
        guard let text = item.value, let value = Int(text), range.contains(value) else {
            throw AMQPError(
                .invalidURL,
                "RABBITMQ_URL option \(item.name)=\(item.value ?? "") is invalid: expected a whole number from "
                    + "\(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// The address and vhost without credentials, for logs and errors.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(usesTLS ? "amqps" : "amqp")://\(shownHost):\(port)/\(vhost)"
    }
}
