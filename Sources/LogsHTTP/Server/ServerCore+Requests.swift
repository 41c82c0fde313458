internal import CMicroHTTPD
import Foundation

extension ServerCore {
    /// Reads the request line and query when the headers have arrived. The headers are read later,
    /// and only for requests that reach a handler.
    ///
    /// - Parameter rejection: the message of a 400 response for input that libmicrohttpd could not
    ///   hand over whole, such as a path cut at a NUL byte. Such a request matches no route.
    func beginRequest(_ connection: ConnectionHandle, method: String, path: String, rejection: String?)
        -> RequestState
    {
        if let rejection {
            return RequestState(method: method, path: path, query: [:], match: .notFound, rejection: rejection)
        }
        var query: [String: String] = [:]
        withUnsafeMutablePointer(to: &query) { pointer in
            _ = MHD_get_connection_values(connection.pointer, .GET_ARGUMENT_KIND, collectValue, pointer)
        }
        let match = router.match(method: method, path: path)
        return RequestState(method: method, path: path, query: query, match: match)
    }

    /// Responds with 400 to a request that `beginRequest` rejected, and with 413 when
    /// `Content-Length` is over the route's limit, before the body is read.
    ///
    /// - Returns: false when the response could not be queued, which closes the connection.
    func rejectEarly(_ state: RequestState, on connection: ConnectionHandle) -> Bool {
        if let rejection = state.rejection {
            return queue(.error(400, rejection), for: state, on: connection)
        }
        guard let length = connection.header("Content-Length").flatMap(Int.init), length > state.maximumBodySize
        else {
            return true
        }
        return queue(Self.tooLargeResponse(state), for: state, on: connection)
    }

    /// Handles the call after the body: runs the handler, or sends the response it stored.
    ///
    /// - Returns: false when libmicrohttpd should close the connection.
    func continueRequest(_ state: RequestState, on connection: ConnectionHandle) -> Bool {
        let (phase, stored, isTooLarge, startsHandler) = state.mutable.withLock { mutable in
            let startsHandler = mutable.startsHandlerOnResume
            mutable.startsHandlerOnResume = false
            return (mutable.phase, mutable.response, mutable.isBodyTooLarge, startsHandler)
        }
        switch phase {
        case .responded:
            return true
        case .handling:
            if let stored { return queue(stored, for: state, on: connection) }
            if startsHandler, case .found(let route, let parameters) = state.match,
                case .prepared(_, let handler) = route.responder
            {
                let request = state.makeRequest(parameters: parameters, connection: connection)
                suspend(state, on: connection)
                startHandler(handler, request: request, state: state, connection: connection)
            }
            return true
        case .receiving:
            break
        }
        if isTooLarge {
            return queue(Self.tooLargeResponse(state), for: state, on: connection)
        }
        switch state.match {
        case .notFound:
            return queue(.error(404, "no route for \(state.method) \(state.path)"), for: state, on: connection)
        case .methodNotAllowed(let allowed):
            let message =
                "method \(state.method) is not allowed on \(state.path); use \(allowed.joined(separator: ", "))"
            return queue(
                .error(405, message, headers: ["Allow": allowed.joined(separator: ", ")]), for: state, on: connection)
        case .found(let route, let parameters):
            return run(route, parameters: parameters, for: state, on: connection)
        }
    }

    private func run(
        _ route: Router.Route, parameters: [String: String], for state: RequestState, on connection: ConnectionHandle
    ) -> Bool {
        switch route.responder {
        case .immediate(let handler):
            let request = state.makeRequest(parameters: parameters, connection: connection)
            return queue(handler(request), for: state, on: connection)
        case .suspending(let handler):
            let request = state.makeRequest(parameters: parameters, connection: connection)
            suspend(state, on: connection)
            startHandler(handler, request: request, state: state, connection: connection)
            return true
        case .prepared(let prepare, let handler):
            switch prepare(state.makePreparerRequest(parameters: parameters, connection: connection)) {
            case .respond(let response):
                return queue(response, for: state, on: connection)
            case .suspend(let start):
                suspend(state, on: connection)
                let key = registerPending(state, connection: connection)
                start(ResponseCompletion(core: self, key: key))
            case .runHandler:
                let request = state.makeRequest(parameters: parameters, connection: connection)
                suspend(state, on: connection)
                startHandler(handler, request: request, state: state, connection: connection)
            }
            return true
        }
    }

    /// Suspends the connection until a handler or a completion stores the response.
    private func suspend(_ state: RequestState, on connection: ConnectionHandle) {
        state.mutable.withLock { $0.phase = .handling }
        connection.suspend()
    }

    private static func tooLargeResponse(_ state: RequestState) -> HTTPResponse {
        .error(413, "the request body is larger than \(state.maximumBodySize) bytes, the limit of this route")
    }

    /// Sends a response and records its status.
    private func queue(_ response: HTTPResponse, for state: RequestState, on connection: ConnectionHandle) -> Bool {
        state.mutable.withLock { mutable in
            mutable.phase = .responded
            mutable.status = response.status
            mutable.response = nil
        }
        if let shared = response.shared {
            return MHD_queue_response(connection.pointer, UInt32(response.status), shared.pointer) == .YES
        }
        guard let mhdResponse = makeResponse(response, for: state, on: connection) else { return false }
        defer { MHD_destroy_response(mhdResponse) }
        for (name, value) in response.headers {
            _ = MHD_add_response_header(mhdResponse, name, value)
        }
        return MHD_queue_response(connection.pointer, UInt32(response.status), mhdResponse) == .YES
    }

    private func makeResponse(_ response: HTTPResponse, for state: RequestState, on connection: ConnectionHandle)
        -> OpaquePointer?
    {
        if let buffer = response.buffer {
            let context = Unmanaged.passRetained(buffer).toOpaque()
            guard
                let mhdResponse = MHD_create_response_from_buffer_with_free_callback_cls(
                    buffer.count, buffer.base, releaseResponseBuffer, context)
            else {
                Unmanaged<ResponseBuffer>.fromOpaque(context).release()
                return nil
            }
            return mhdResponse
        }
        switch response.body {
        case .data(let data):
            return data.withUnsafeBytes { bytes in
                MHD_create_response_from_buffer(
                    bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
            }
        case .stream(let producer):
            let stream = ResponseStream(connection: connection) { [weak self] stream in self?.unregister(stream) }
            let context = Unmanaged.passRetained(stream).toOpaque()
            guard
                let response = MHD_create_response_from_callback(
                    UInt64.max, 16 * 1024, readStream, context, releaseStream)
            else {
                Unmanaged<ResponseStream>.fromOpaque(context).release()
                return nil
            }
            register(stream)
            if state.method == "HEAD" {
                // libmicrohttpd sends no body for HEAD, so the producer is not started. Version
                // 0.9.75 still sends the last chunk of a chunked body, which the client would read
                // as the start of the next response. So this response is not chunked, and the
                // connection closes after the headers because the body's length is unknown.
                _ = travis_mhd_set_response_flags(response, .RF_HTTP_1_0_COMPATIBLE_STRICT)
                stream.finish()
            } else {
                stream.start(producer)
            }
            return response
        }
    }
}
