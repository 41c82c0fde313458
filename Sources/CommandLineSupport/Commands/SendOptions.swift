import Foundation
import LogsCore

/// The options of `send`, checked.
public struct SendOptions: Sendable, Hashable {
    /// The authentication of `send`'s requests.
    public enum Authentication: Sendable, Hashable {
        /// `PUT /log-parts/:job_id/:number` with `Authorization: token ...`.
        case token(String)
        /// `POST /log-parts/multi` with a token per part signed by the RSA private key in this PEM file.
        case jwtKey(path: String)
    }

    /// The log file, or `-` for standard input.
    public var file: String
    public var jobID: JobID
    public var url: URL
    public var authentication: Authentication
    /// Maximum parts per second; nil sends as fast as the server accepts.
    public var rate: Double?
    /// Maximum requests in flight at once.
    public var concurrency: Int
    /// How long one request is retried before the send gives up.
    public var retryTimeout: Duration

    /// - Parameter environment: the process environment, read for `AUTH_TOKEN`.
    /// - Throws: `ArgumentError` with code `.invalidValue` naming the option and value at fault, or
    ///   `.missingOption` when neither a token nor a key is given.
    public init(_ arguments: ParsedArguments, environment: [String: String]) throws(ArgumentError) {
        file = arguments.argument("file") ?? "-"
        let jobID = try arguments.value("job-id", expected: "a job id, 1 or more") { text in
            Int64(text).flatMap { $0 > 0 ? JobID($0) : nil }
        }
        guard let jobID else { throw ArgumentError(.missingOption, "missing expected option '--job-id <id>'") }
        self.jobID = jobID
        url = try arguments.value("url", expected: "an http or https URL with a host", Self.webURL)!
        authentication = try Self.authentication(arguments, environment: environment)
        rate = try arguments.number("rate", in: Double.leastNonzeroMagnitude...1_000_000)
        concurrency = try arguments.integer("concurrency", in: 1...64) ?? 4
        retryTimeout = .seconds(try arguments.integer("retry-timeout", in: 1...86_400) ?? 120)
    }

    private static func webURL(_ text: String) -> URL? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            url.host?.isEmpty == false
        else { return nil }
        return url
    }

    private static func authentication(
        _ arguments: ParsedArguments, environment: [String: String]
    ) throws(ArgumentError) -> Authentication {
        let token = arguments.value("token")
        let keyPath = arguments.value("jwt-key")
        switch (token, keyPath) {
        case (let token?, nil):
            guard !token.isEmpty else { throw arguments.invalid("token", token, expected: "a non-empty token") }
            return .token(token)
        case (nil, let keyPath?):
            guard !keyPath.isEmpty else { throw arguments.invalid("jwt-key", keyPath, expected: "a PEM file path") }
            return .jwtKey(path: keyPath)
        case (_?, _?):
            throw ArgumentError(.invalidValue, "'--token' and '--jwt-key' cannot be used together; choose one")
        case (nil, nil):
            if let token = environment["AUTH_TOKEN"], !token.isEmpty { return .token(token) }
            throw ArgumentError(
                .missingOption, "missing '--token <token>' or '--jwt-key <file>', and AUTH_TOKEN is not set")
        }
    }
}
