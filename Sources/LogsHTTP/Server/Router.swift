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
        /// The UTF-8 bytes of each literal segment, and nil for each parameter, in path order.
        let segmentBytes: [[UInt8]?]
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
    /// block. Every other request goes to `handler`, which must return the same responses.
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
                segments: segments,
                segmentBytes: segments.map { segment in
                    if case .literal(let text) = segment { return Array(text.utf8) }
                    return nil
                }, literalCount: segments.filter { !$0.isParameter }.count, responder: responder))
    }

    /// Finds the route for a request.
    ///
    /// `HEAD` on a path without a `HEAD` route gets the `GET` route, as Sinatra routes it, and
    /// libmicrohttpd sends the response's status and headers without the body. `Allow` lists
    /// `HEAD` wherever it lists `GET`.
    public func match(method: String, path: String) -> Match {
        let found = matchRegistered(method: method, path: path)
        if method == "HEAD", case .methodNotAllowed(let allowed) = found, allowed.contains("GET") {
            return matchRegistered(method: "GET", path: path)
        }
        return found
    }

    /// Finds the route registered for `method`.
    ///
    /// Routes are compared by index and parameters are collected only for the route found,
    /// because copying the matching routes and building a dictionary for each were visible costs
    /// of every request in perf on a release build.
    private func matchRegistered(method: String, path: String) -> Match {
        var contiguous = path
        return contiguous.withUTF8 { bytes in
            guard bytes.first == UInt8(ascii: "/") else { return match(method: method, segments: Self.split(path)) }
            return match(method: method, path: path, afterSlash: UnsafeBufferPointer(rebasing: bytes[1...]))
        }
    }

    /// Matches a path whose UTF-8 bytes after the leading `/` are `bytes`, comparing bytes so that
    /// no array of segments or substring is built.
    private func match(method: String, path: String, afterSlash bytes: UnsafeBufferPointer<UInt8>) -> Match {
        var segmentCount = 1
        for byte in bytes where byte == UInt8(ascii: "/") { segmentCount += 1 }
        let (found, maxLiteralCount) = mostSpecificRoute(for: method) { route in
            route.segmentBytes.count == segmentCount && Self.matches(route.segmentBytes, bytes)
        }
        if let found {
            return .found(routes[found], parameters: Self.parameters(of: routes[found].segments, bytes))
        }
        guard maxLiteralCount >= 0 else { return .notFound }
        return methodNotAllowed(Self.split(path), literalCount: maxLiteralCount)
    }

    /// Matches a path given as its segments, for paths that do not start with `/`.
    private func match(method: String, segments pathSegments: ArraySlice<Substring>) -> Match {
        let (found, maxLiteralCount) = mostSpecificRoute(for: method) { route in
            Self.matches(route.segments, pathSegments)
        }
        if let found, let parameters = Self.parameters(of: routes[found].segments, in: pathSegments) {
            return .found(routes[found], parameters: parameters)
        }
        guard maxLiteralCount >= 0 else { return .notFound }
        return methodNotAllowed(pathSegments, literalCount: maxLiteralCount)
    }

    /// Returns the index of the first route for `method` among the matching routes with the most
    /// literal segments, and that number of literals, which is -1 when no route matches.
    private func mostSpecificRoute(
        for method: String, where isMatch: (Route) -> Bool
    ) -> (index: Int?, literalCount: Int) {
        var maxLiteralCount = -1
        var found: Int?
        for index in routes.indices where isMatch(routes[index]) {
            let literalCount = routes[index].literalCount
            if literalCount > maxLiteralCount {
                maxLiteralCount = literalCount
                found = nil
            }
            if literalCount == maxLiteralCount, found == nil, routes[index].method == method {
                found = index
            }
        }
        return (found, maxLiteralCount)
    }

    private func methodNotAllowed(_ pathSegments: ArraySlice<Substring>, literalCount: Int) -> Match {
        let allowed = routes.filter { route in
            route.literalCount == literalCount && Self.matches(route.segments, pathSegments)
        }
        var methods = Set(allowed.map(\.method))
        if methods.contains("GET") { methods.insert("HEAD") }
        return .methodNotAllowed(allowed: methods.sorted())
    }

    /// Splits the path at `/` and drops the text before its first `/`.
    private static func split(_ path: String) -> ArraySlice<Substring> {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
    }

    /// Compares a route's segments with `bytes`, which has as many segments, byte by byte.
    private static func matches(_ segmentBytes: [[UInt8]?], _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = 0
        for literal in segmentBytes {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "/") { end += 1 }
            if let literal {
                guard literal.count == end - start else { return false }
                for offset in 0..<literal.count where literal[offset] != bytes[start + offset] { return false }
            } else if end == start {
                return false
            }
            start = end + 1
        }
        return true
    }

    /// Returns the values of a matching route's `:name` segments in `bytes`.
    private static func parameters(of segments: [Segment], _ bytes: UnsafeBufferPointer<UInt8>) -> [String: String] {
        var parameters: [String: String] = [:]
        var start = 0
        for segment in segments {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "/") { end += 1 }
            if case .parameter(let name) = segment {
                parameters[name] = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            }
            start = end + 1
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
