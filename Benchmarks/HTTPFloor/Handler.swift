import CMicroHTTPD
import Glibc

/// The large constant body, allocated once at start and never freed, passed to `replyConstant` as
/// the daemon's context.
struct LargeBody {
    let bytes: UnsafeBufferPointer<UInt8>

    /// Makes a JSON object of exactly `size` bytes (at least 64) whose `content` string is 80-column
    /// lines, as the log that script/bench/http serves, so the floor escapes nothing but sends as
    /// many bytes as the API.
    static func make(size: Int) -> LargeBody {
        let size = max(size, 64)
        let prefix = Array(#"{"@type":"log","content":""#.utf8)
        let suffix = Array(#""}"#.utf8)
        let contentSize = size - prefix.count - suffix.count
        let line = Array(String(repeating: "x", count: 79).utf8) + Array(#"\n"#.utf8)
        var content: [UInt8] = []
        content.reserveCapacity(contentSize)
        while content.count < contentSize {
            content.append(contentsOf: line.prefix(contentSize - content.count))
        }
        // A cut line must not end in a lone backslash, which would escape the closing quote.
        if content.last == UInt8(ascii: "\\") { content[content.count - 1] = UInt8(ascii: "x") }
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: size)
        _ = buffer.initialize(from: prefix + content + suffix)
        return LargeBody(bytes: UnsafeBufferPointer(buffer))
    }
}

/// Replies 200 with a constant JSON body to every request, on libmicrohttpd's thread: the large
/// body for `/large`, and a small one for any other path.
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
    let small: StaticString = #"{"ok":true}"#
    var bodyPointer = UnsafeMutableRawPointer(mutating: small.utf8Start)
    var bodySize = small.utf8CodeUnitCount
    if let url, let context, strcmp(url, "/large") == 0 {
        let large = context.assumingMemoryBound(to: LargeBody.self).pointee.bytes
        bodyPointer = UnsafeMutableRawPointer(mutating: large.baseAddress!)
        bodySize = large.count
    }
    guard let response = MHD_create_response_from_buffer(bodySize, bodyPointer, .RESPMEM_PERSISTENT) else {
        return .NO
    }
    defer { MHD_destroy_response(response) }
    return MHD_queue_response(connection, UInt32(MHD_HTTP_OK), response)
}
