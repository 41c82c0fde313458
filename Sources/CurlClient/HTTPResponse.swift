import Foundation

/// The status, header fields and body of one HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header fields in the order received, from the final response only (not from a
    /// `100 Continue`).
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(status: Int, headers: [(name: String, value: String)], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Returns the value of the first header field named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Whether the status is in the 2xx range.
    public var isSuccess: Bool {
        (200..<300).contains(status)
    }
}
