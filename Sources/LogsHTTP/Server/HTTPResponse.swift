import Foundation
import LogsCore

/// An HTTP response: a status, headers, and a body that is either complete or streamed.
public struct HTTPResponse: Sendable {
    /// A response body.
    public enum Body: Sendable {
        case data(Data)
        /// A body of unknown length written by `producer` while the client stays connected.
        case stream(@Sendable (ResponseStreamWriter) async -> Void)
    }

    public var status: Int
    public var headers: [String: String]
    public var body: Body
    /// The bytes of `body` in a buffer that the server sends without copying, or nil. Code that
    /// sets it must keep `body` equal to it, because the server then sends the buffer instead.
    var buffer: ResponseBuffer?
    /// A libmicrohttpd response made from `status`, `headers` and `buffer` once, which the server
    /// queues instead of making a new one. Code that sets it must keep the other fields equal to it.
    var shared: SharedResponse?

    public init(status: Int, headers: [String: String] = [:], body: Body = .data(Data())) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response with `Content-Type: application/json`.
    public static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        json(encoded: JSONWriter.data(value), status: status)
    }

    /// Makes a JSON response with `Content-Type: application/json` from an encoded body.
    static func json(encoded body: Data, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json;charset=utf-8"], body: .data(body))
    }

    /// Makes a JSON response like `json(encoded:)` that the server sends from `buffer` without
    /// copying it.
    static func json(buffer: ResponseBuffer, status: Int = 200) -> HTTPResponse {
        var response = json(encoded: buffer.data, status: status)
        response.buffer = buffer
        return response
    }

    /// Makes a response like `json(buffer:)` whose libmicrohttpd response object is created now
    /// and queued for every request that gets this response, for bodies served many times.
    static func sharedJSON(buffer: ResponseBuffer, status: Int = 200) -> HTTPResponse {
        var response = json(buffer: buffer, status: status)
        response.shared = SharedResponse(buffer: buffer, headers: response.headers)
        return response
    }

    /// A JSON error response, `{"error": message}`.
    public static func error(_ status: Int, _ message: String, headers: [String: String] = [:]) -> HTTPResponse {
        var response = json(["error": .string(message)], status: status)
        response.headers.merge(headers) { _, new in new }
        return response
    }

    /// A response with no body, such as 204.
    public static func empty(_ status: Int) -> HTTPResponse {
        HTTPResponse(status: status)
    }

    /// The body's bytes, or nil for a streamed body.
    public var bodyData: Data? {
        if case .data(let data) = body { return data }
        return nil
    }
}

/// The sink a streamed response body writes to.
public protocol ResponseStreamWriter: Sendable {
    /// Queues bytes for the client.
    ///
    /// - Returns: false once the client has gone or the server is stopping, so the producer can end.
    @discardableResult
    func write(_ data: Data) -> Bool

    /// Whether the client has gone or the server is stopping.
    var isClosed: Bool { get }
}
