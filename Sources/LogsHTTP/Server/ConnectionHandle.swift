internal import CMicroHTTPD

/// A libmicrohttpd connection pointer that can cross to the task that handles the request.
///
/// `@unchecked Sendable`: the task only passes the pointer to `MHD_resume_connection`, which
/// libmicrohttpd allows from any thread, and to `MHD_suspend_connection` from libmicrohttpd's own
/// callbacks. The connection stays valid while it is suspended, because libmicrohttpd neither
/// times out nor closes a suspended connection.
struct ConnectionHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    func suspend() {
        MHD_suspend_connection(pointer)
    }

    func resume() {
        MHD_resume_connection(pointer)
    }
}
