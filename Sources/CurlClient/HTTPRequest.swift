import Foundation

/// One HTTP request for ``CurlHTTPClient``.
public struct HTTPRequest: Sendable {
    /// The method, such as `GET`, `HEAD`, `PUT` or `POST`.
    public var method: String
    /// The absolute http or https URL, already percent-encoded.
    public var url: String
    /// Header fields in the order they are sent. libcurl adds `Host` from the URL unless one is given
    /// here, and this client turns off its `Expect: 100-continue`.
    public var headers: [(name: String, value: String)]
    /// The request body; nil sends none.
    public var body: Data?

    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The URL without its query string, which may carry signatures, for errors and logs.
    public var redactedURL: String {
        guard let queryStart = url.firstIndex(of: "?") else { return url }
        return String(url[..<queryStart])
    }
}
