import Foundation

/// The address, credentials and database of a Redis server, read from `REDIS_URL`.
///
/// Accepted forms: `redis://[[user]:password@]host[:port][/database]` and
/// `unix:///path/to/socket[?db=N&password=P]`. The password is percent-decoded. `rediss://` is
/// rejected because Debian 12's hiredis 0.14.1 has no TLS support.
public struct RedisEndpoint: Sendable, Hashable, CustomStringConvertible {
    public enum Address: Sendable, Hashable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    public var address: Address
    /// The ACL user name for `AUTH user password` (Redis 6 and later), or nil for `AUTH password`.
    public var username: String?
    public var password: String?
    public var database: Int

    public init(address: Address, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.address = address
        self.username = username
        self.password = password
        self.database = database
    }

    /// Reads an endpoint from a Redis URL.
    ///
    /// - Parameter usesTLS: the value of `REDIS_SSL`; true always fails, see the type's notes.
    /// - Throws: `RedisError` with code `.invalidURL` naming the problem (never the password), or
    ///   `.unsupported` when TLS is asked for.
    public init(url: String, usesTLS: Bool = false) throws {
        if usesTLS || url.lowercased().hasPrefix("rediss://") {
            throw RedisError(
                .unsupported,
                "REDIS_SSL=true (or a rediss:// URL) asks for TLS, but the linked hiredis "
                    + "\(TransportLibraries.hiredisVersion) has no TLS support; unset REDIS_SSL and use "
                    + "redis://, or reach Redis through a local TLS tunnel")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw RedisError(.invalidURL, "REDIS_URL is not a URL; expected redis://host:port/database")
        }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        switch scheme {
        case "redis":
            self = try Self.tcpEndpoint(components)
        case "unix":
            guard !components.path.isEmpty else {
                throw RedisError(.invalidURL, "REDIS_URL unix:// has no socket path")
            }
            self.init(address: .unixSocket(path: components.path), password: query["password"])
            database = try Self.database(query["db"] ?? "0")
        default:
            throw RedisError(.invalidURL, "REDIS_URL has scheme \"\(scheme)\"; expected redis:// or unix://")
        }
        if let database = query["db"], scheme == "redis" {
            self.database = try Self.database(database)
        }
    }

    private static func tcpEndpoint(_ components: URLComponents) throws -> RedisEndpoint {
        var host = components.host ?? ""
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        if host.isEmpty { host = "127.0.0.1" }
        let port = components.port ?? 6379
        guard (1...65535).contains(port) else {
            throw RedisError(.invalidURL, "REDIS_URL port \(port) is out of range 1-65535")
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding }
        let password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        return RedisEndpoint(
            address: .tcp(host: host, port: port),
            username: (user?.isEmpty ?? true) ? nil : user,
            password: (password?.isEmpty ?? true) ? nil : password,
            database: try database(path.isEmpty ? "0" : path))
    }

    private static func database(_ text: String) throws -> Int {
        guard let number = Int(text), number >= 0 else {
            throw RedisError(.invalidURL, "REDIS_URL database \"\(text)\" is not a number of 0 or more")
        }
        return number
    }

    /// The address without credentials, for logs and errors.
    public var description: String {
        switch address {
        case .tcp(let host, let port):
            return host.contains(":") ? "[\(host)]:\(port)/\(database)" : "\(host):\(port)/\(database)"
        case .unixSocket(let path):
            return "unix:\(path)/\(database)"
        }
    }
}
