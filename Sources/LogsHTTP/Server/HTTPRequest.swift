import Foundation

/// One HTTP request as a route handler sees it, with the whole body read.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path without the query string, percent-decoded by libmicrohttpd.
    public var path: String
    /// Header values by lower-cased name; a repeated header keeps its first value.
    public var headers: [String: String]
    /// Query parameters by name; a repeated parameter keeps its first value, and one without `=`
    /// has an empty value.
    public var query: [String: String]
    public var body: Data
    /// Values of the route's `:name` segments.
    public var pathParameters: [String: String] = [:]
    /// The connection whose headers `header(_:)` looks up, in the request that a route's preparer
    /// gets, whose `headers` is empty; nil in every other request.
    var connection: ConnectionHandle?

    public init(
        method: String, path: String, headers: [String: String] = [:], query: [String: String] = [:],
        body: Data = Data()
    ) {
        self.method = method
        self.path = path
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }) { first, _ in first }
        self.query = query
        self.body = body
    }

    /// Makes a request from headers whose names are lower-cased already, as the server collects
    /// them, which saves building the dictionary again for every request.
    init(method: String, path: String, lowercasedHeaders: [String: String], query: [String: String], body: Data) {
        self.method = method
        self.path = path
        self.headers = lowercasedHeaders
        self.query = query
        self.body = body
    }

    /// Returns a header's value; `name` is matched without regard to case.
    public func header(_ name: String) -> String? {
        if let connection { return connection.header(name) }
        return headers[name.lowercased()]
    }
}
