import CMicroHTTPD

/// Replies 200 with a small constant JSON body to every request, on libmicrohttpd's thread.
func replyConstant(
    context: UnsafeMutableRawPointer?,
    connection: OpaquePointer?,
    url: UnsafePointer<CChar>?,
    method: UnsafePointer<CChar>?,
    version: UnsafePointer<CChar>?,
    uploadData: UnsafePointer<CChar>?,
    uploadDataSize: UnsafeMutablePointer<Int>?,
    requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    // The first call only announces the headers; reply on the second, as handlers with bodies must.
    if requestContext?.pointee == nil {
        requestContext?.pointee = UnsafeMutableRawPointer(bitPattern: 1)
        return .YES
    }
    if let uploadDataSize, uploadDataSize.pointee > 0 {
        uploadDataSize.pointee = 0
        return .YES
    }
    let body: StaticString = #"{"ok":true}"#
    let bodyPointer = UnsafeMutableRawPointer(mutating: body.utf8Start)
    guard let response = MHD_create_response_from_buffer(body.utf8CodeUnitCount, bodyPointer, .RESPMEM_PERSISTENT)
    else {
        return .NO
    }
    defer { MHD_destroy_response(response) }
    return MHD_queue_response(connection, UInt32(MHD_HTTP_OK), response)
}
