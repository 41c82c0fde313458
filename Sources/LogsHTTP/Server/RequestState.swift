import Foundation
import Synchronization

/// What the server keeps about one request between libmicrohttpd's calls for it.
///
/// libmicrohttpd stores a retained pointer to it in the request context, and the server's
/// completion callback releases it.
final class RequestState: Sendable {
    /// How far the request has got.
    enum Phase: Sendable {
        case receiving
        /// A suspending handler runs; the connection is suspended until it stores a response.
        case handling
        case responded
    }

    struct Mutable: Sendable {
        var phase = Phase.receiving
        var body = Data()
        var isBodyTooLarge = false
        var response: HTTPResponse?
        /// Set when a preparer's completion resumed the connection so that the route's handler
        /// starts on libmicrohttpd's thread, where the headers can be read.
        var startsHandlerOnResume = false
        var status = 0
    }

    let startedAt = ContinuousClock.now
    let method: String
    let path: String
    let query: [String: String]
    let match: Router.Match
    let maximumBodySize: Int
    /// The message of the 400 response to a request rejected before routing, or nil.
    let rejection: String?
    let mutable = Mutex(Mutable())

    init(method: String, path: String, query: [String: String], match: Router.Match, rejection: String? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.match = match
        self.rejection = rejection
        if case .found(let route, _) = match {
            maximumBodySize = route.maximumBodySize
        } else {
            maximumBodySize = 1 << 20
        }
    }

    /// Appends a chunk of the body, or marks the body too large and drops it.
    func appendBody(_ bytes: UnsafeRawBufferPointer) {
        mutable.withLock { state in
            guard !state.isBodyTooLarge else { return }
            if state.body.count + bytes.count > maximumBodySize {
                state.isBodyTooLarge = true
                state.body = Data()
            } else {
                state.body.append(contentsOf: bytes)
            }
        }
    }

    /// The route's pattern, or `unmatched`, as the access log and metrics name it.
    var routePattern: String {
        if case .found(let route, _) = match { return route.pattern }
        return "unmatched"
    }

    /// The job id from the path, for the access log.
    var jobID: String? {
        guard case .found(_, let parameters) = match else { return nil }
        return parameters["job_id"] ?? (query["by"] == "id" ? nil : parameters["id"])
    }

    /// Makes the request for a handler with every header and the body read.
    ///
    /// Call it only from libmicrohttpd's callbacks for this request, which read the headers.
    func makeRequest(parameters: [String: String], connection: ConnectionHandle) -> HTTPRequest {
        var request = HTTPRequest(
            method: method, path: path, lowercasedHeaders: connection.collectHeaders(), query: query,
            body: mutable.withLock { $0.body })
        request.pathParameters = parameters
        return request
    }

    /// Makes the request for a route's preparer, which looks up headers on the connection when it
    /// requests them, so a request served from memory builds no header dictionary.
    func makePreparerRequest(parameters: [String: String], connection: ConnectionHandle) -> HTTPRequest {
        var request = HTTPRequest(
            method: method, path: path, lowercasedHeaders: [:], query: query, body: mutable.withLock { $0.body })
        request.pathParameters = parameters
        request.connection = connection
        return request
    }
}
