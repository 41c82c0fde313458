/// Completes a request that a route's preparer suspended; see `Router.Preparation.suspend`.
///
/// Call `respond(_:)` or `runHandler()` once, from any thread. A request that gets neither within
/// the server's request timeout gets a 503, and a later call does nothing.
public struct ResponseCompletion: Sendable {
    let core: ServerCore
    let key: ObjectIdentifier

    /// Sends `response` and resumes the connection.
    public func respond(_ response: HTTPResponse) {
        core.finishHandler(key, response: response)
    }

    /// Runs the route's handler in a task and sends its response, for requests that the
    /// preparer's work could not complete.
    ///
    /// This resumes the connection, and libmicrohttpd's thread then reads the headers and starts
    /// the handler, because the connection's headers may be read only there.
    public func runHandler() {
        core.resumeToStartHandler(key)
    }
}
