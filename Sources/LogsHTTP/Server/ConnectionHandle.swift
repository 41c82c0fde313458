internal import CMicroHTTPD
import Foundation

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

    /// Returns the first value of a request header, matching `name` without regard to case.
    ///
    /// Call it only from libmicrohttpd's callbacks for this connection's current request.
    func header(_ name: String) -> String? {
        MHD_lookup_connection_value(pointer, .HEADER_KIND, name).map { String(cString: $0) }
    }

    /// Calls `body` with the UTF-8 bytes of a request header's first value, or nil when the header
    /// is missing, without copying them into a `String`.
    ///
    /// Call it only from libmicrohttpd's callbacks for this connection's current request.
    func withHeaderBytes<Result>(_ name: String, _ body: (UnsafeBufferPointer<UInt8>?) -> Result) -> Result {
        guard let value = MHD_lookup_connection_value(pointer, .HEADER_KIND, name) else { return body(nil) }
        return value.withMemoryRebound(to: UInt8.self, capacity: 1) { bytes in
            body(UnsafeBufferPointer(start: bytes, count: strlen(value)))
        }
    }

    /// Returns every request header by lower-cased name, each repeated header with its first value.
    ///
    /// Call it only from libmicrohttpd's callbacks for this connection's current request.
    func collectHeaders() -> [String: String] {
        var headers: [String: String] = [:]
        withUnsafeMutablePointer(to: &headers) { headersPointer in
            _ = MHD_get_connection_values(pointer, .HEADER_KIND, collectValue, headersPointer)
        }
        return headers
    }
}
