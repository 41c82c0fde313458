internal import CMicroHTTPD

/// A libmicrohttpd response object over a `ResponseBuffer`, created once and queued for any
/// number of requests.
///
/// libmicrohttpd counts the references to a response: each `MHD_queue_response` adds one, and the
/// connection drops it when it has sent the response. This object holds the first reference and
/// drops it in `deinit`. The response holds a retained reference to the buffer until libmicrohttpd
/// frees the response, so the bytes outlive every connection still sending them. Creating,
/// filling and destroying a response for each request of a kept `GET /logs/:id` body cost a
/// `malloc` for the response, one for each header, and a mutex.
final class SharedResponse: @unchecked Sendable {
    // @unchecked: the response is not changed after `init`. libmicrohttpd changes the reference
    // count under the response's mutex (`MHD_increment_response_rc` in response.c), so threads may
    // queue it at the same time.
    let pointer: OpaquePointer

    /// Creates the response, or returns nil when libmicrohttpd cannot allocate it.
    init?(buffer: ResponseBuffer, headers: [String: String]) {
        let context = Unmanaged.passRetained(buffer).toOpaque()
        guard
            let pointer = MHD_create_response_from_buffer_with_free_callback_cls(
                buffer.count, buffer.base, releaseResponseBuffer, context)
        else {
            Unmanaged<ResponseBuffer>.fromOpaque(context).release()
            return nil
        }
        for (name, value) in headers {
            _ = MHD_add_response_header(pointer, name, value)
        }
        self.pointer = pointer
    }

    deinit {
        MHD_destroy_response(pointer)
    }
}
