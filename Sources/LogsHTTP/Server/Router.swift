/// Routes requests by method and path pattern, such as `GET /logs/:id`, to handlers.
///
/// A pattern is split at `/`; a segment starting with `:` matches any one non-empty segment and
/// stores it under its name. When several routes match a path, only those with the most literal
/// segments count, so `/logs/multi` is `POST /logs/multi` alone, and `GET /logs/multi` gets 405
/// rather than reaching `GET /logs/:id`.
public struct Router: Sendable {
    /// A route handler. Throwing `HTTPError` sends its status and message; the server turns any
    /// other error into a 500 response.
    public typealias Handler = @Sendable (HTTPRequest) async throws -> HTTPResponse
    /// A handler that returns its response without awaiting anything.
    public typealias ImmediateHandler = @Sendable (HTTPRequest) -> HTTPResponse

    /// A route's first step, called on libmicrohttpd's thread; see `Preparation`.
    ///
    /// Its request has an empty `headers`, and `header(_:)` looks a header up on the connection
    /// instead, so the request is valid only during the call: a closure that the preparer returns
    /// must copy the values it needs.
    public typealias Preparer = @Sendable (HTTPRequest) -> Preparation

    /// The decision of a `Preparer` for one request.
    public enum Preparation: Sendable {
        /// Send this response at once, without suspending the connection.
        case respond(HTTPResponse)
        /// Suspend the connection and call the closure, which starts work that later calls the
        /// completion once, from any thread.
        case suspend(@Sendable (ResponseCompletion) -> Void)
        /// Run the route's handler in a task, as for a route without a preparer.
        case runHandler
    }

    /// How a route produces its response.
    enum Responder: Sendable {
        case suspending(Handler)
        /// Called on libmicrohttpd's thread, without suspending the connection.
        case immediate(ImmediateHandler)
        /// The preparer runs on libmicrohttpd's thread and may respond there, wait for a callback,
        /// or leave the request to the handler.
        case prepared(Preparer, Handler)
    }

    /// One registered route.
    public struct Route: Sendable {
        public var method: String
        public var pattern: String
        /// The largest body accepted, in bytes; larger ones get 413.
        public var maximumBodySize: Int
        let segments: [Segment]
        /// The number of literal segments, which decides between routes that match the same path.
        let literalCount: Int
        let responder: Responder
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)

        var isParameter: Bool {
            if case .parameter = self { return true }
            return false
        }
    }

    /// The result of looking up a request.
    public enum Match: Sendable {
        case found(Route, parameters: [String: String])
        /// The path matches routes, but none with this method.
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    public private(set) var routes: [Route] = []
    /// The body limit of routes registered without one.
    public var defaultMaximumBodySize: Int

    public init(defaultMaximumBodySize: Int = 1 << 20) {
        self.defaultMaximumBodySize = defaultMaximumBodySize
    }

    /// Registers a route whose handler may await; the server suspends the connection meanwhile.
    ///
    /// - Parameter maximumBodySize: the largest accepted body in bytes; `defaultMaximumBodySize`
    ///   when nil.
    public mutating func add(
        _ method: String, _ pattern: String, maximumBodySize: Int? = nil, handler: @escaping Handler
    ) {
        append(method, pattern, maximumBodySize, .suspending(handler))
    }

    /// Registers a route whose handler responds at once. The server calls it on libmicrohttpd's
    /// thread, which saves the suspend and resume that an awaiting handler costs.
    public mutating func addImmediate(
        _ method: String, _ pattern: String, maximumBodySize: Int? = nil, handler: @escaping ImmediateHandler
    ) {
        append(method, pattern, maximumBodySize, .immediate(handler))
    }

    /// Registers a route with a first step on libmicrohttpd's thread and a handler that may await.
    ///
    /// `prepare` responds to the requests it can complete without waiting, such as from memory, or
    /// starts work that completes the request from another thread without a task. It must not
    /// block. Every other request goes to `handler`, which must give the same answers.
    public mutating func add(
        _ method: String, _ pattern: String, maximumBodySize: Int? = nil, prepare: @escaping Preparer,
        handler: @escaping Handler
    ) {
        append(method, pattern, maximumBodySize, .prepared(prepare, handler))
    }

    private mutating func append(_ method: String, _ pattern: String, _ maximumBodySize: Int?, _ responder: Responder) {
        let segments = Self.segments(of: pattern)
        routes.append(
            Route(
                method: method, pattern: pattern, maximumBodySize: maximumBodySize ?? defaultMaximumBodySize,
                segments: segments, literalCount: segments.filter { !$0.isParameter }.count, responder: responder))
    }

    /// Finds the route for a request.
    ///
    /// Routes are compared by index and parameters are collected only for the route found,
    /// because copying the matching routes and building a dictionary for each were visible costs
    /// of every request in perf on a release build.
    public func match(method: String, path: String) -> Match {
        var maxLiteralCount = -1
        var found: Int?
        for index in routes.indices where Self.matches(routes[index].segments, path: path) {
            let literalCount = routes[index].literalCount
            if literalCount > maxLiteralCount {
                maxLiteralCount = literalCount
                found = nil
            }
            if literalCount == maxLiteralCount, found == nil, routes[index].method == method {
                found = index
            }
        }
        if let found {
            let parameters =
                path.utf8.first == UInt8(ascii: "/")
                ? Self.parameters(of: routes[found].segments, path: path)
                : Self.parameters(
                    of: routes[found].segments,
                    in: path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()) ?? [:]
            return .found(routes[found], parameters: parameters)
        }
        guard maxLiteralCount >= 0 else { return .notFound }
        let pathSegments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let allowed = routes.filter { route in
            route.literalCount == maxLiteralCount && Self.matches(route.segments, pathSegments)
        }
        return .methodNotAllowed(allowed: Set(allowed.map(\.method)).sorted())
    }

    /// Compares a route's segments with a path's segments (the parts between `/`, after the
    /// leading one) by walking the path's UTF-8 bytes, which builds no array of segments.
    static func matches(_ segments: [Segment], path: String) -> Bool {
        let utf8 = path.utf8
        guard utf8.first == UInt8(ascii: "/") else {
            // `split` drops the first segment, the text before the first `/`.
            return matches(segments, path.split(separator: "/", omittingEmptySubsequences: false).dropFirst())
        }
        var start = utf8.index(after: utf8.startIndex)
        for (position, segment) in segments.enumerated() {
            let end = utf8[start...].firstIndex(of: UInt8(ascii: "/")) ?? utf8.endIndex
            let value = path[start..<end]
            switch segment {
            case .literal(let text):
                guard text == value else { return false }
            case .parameter:
                guard !value.isEmpty else { return false }
            }
            if end == utf8.endIndex {
                return position == segments.count - 1
            }
            start = utf8.index(after: end)
        }
        return false
    }

    /// Returns the values of a matching route's `:name` segments in `path`.
    static func parameters(of segments: [Segment], path: String) -> [String: String] {
        var parameters: [String: String] = [:]
        let utf8 = path.utf8
        guard utf8.first == UInt8(ascii: "/") else { return parameters }
        var start = utf8.index(after: utf8.startIndex)
        for segment in segments {
            let end = utf8[start...].firstIndex(of: UInt8(ascii: "/")) ?? utf8.endIndex
            if case .parameter(let name) = segment { parameters[name] = String(path[start..<end]) }
            guard end != utf8.endIndex else { break }
            start = utf8.index(after: end)
        }
        return parameters
    }

    // `matches` and `parameters` walk the path by index: with `zip`, which the optimizer did not
    // specialize here, the generic iterators' retains took most of `match` in perf.
    private static func matches(_ segments: [Segment], _ path: ArraySlice<Substring>) -> Bool {
        guard segments.count == path.count else { return false }
        var pathIndex = path.startIndex
        for segment in segments {
            let value = path[pathIndex]
            pathIndex += 1
            switch segment {
            case .literal(let text):
                guard text == value else { return false }
            case .parameter:
                guard !value.isEmpty else { return false }
            }
        }
        return true
    }

    static func segments(of pattern: String) -> [Segment] {
        pattern.split(separator: "/").map { segment in
            segment.hasPrefix(":") ? .parameter(String(segment.dropFirst())) : .literal(String(segment))
        }
    }

    private static func parameters(of segments: [Segment], in path: ArraySlice<Substring>) -> [String: String]? {
        guard segments.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        var pathIndex = path.startIndex
        for segment in segments {
            let value = path[pathIndex]
            pathIndex += 1
            switch segment {
            case .literal(let text):
                guard text == value else { return nil }
            case .parameter(let name):
                guard !value.isEmpty else { return nil }
                parameters[name] = String(value)
            }
        }
        return parameters
    }
}
