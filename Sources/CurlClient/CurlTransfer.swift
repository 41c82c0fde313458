internal import CCurl
import Foundation

/// The response of one transfer as libcurl's callbacks deliver it.
///
/// The callbacks run on the thread inside `curl_easy_perform`, which is the only thread that
/// touches this object while the transfer runs.
final class CurlTransfer {
    let maximumBodySize: Int
    private(set) var body = Data()
    private(set) var headers: [(name: String, value: String)] = []
    private(set) var exceededMaximumBodySize = false

    init(maximumBodySize: Int) {
        self.maximumBodySize = maximumBodySize
    }

    /// Appends body bytes; returns false, which aborts the transfer, past the maximum size.
    func appendBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard body.count + bytes.count <= maximumBodySize else {
            exceededMaximumBodySize = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    /// Records one header line. A status line starts a new response (after `100 Continue` or a
    /// redirect), so the fields collected so far are dropped.
    ///
    /// The line is split and trimmed as bytes, because Foundation's `trimmingCharacters(in:)` and
    /// `caseInsensitiveCompare` took about 6% of a Pusher forwarding worker's CPU time in perf.
    func appendHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        let line = bytes.bindMemory(to: UInt8.self)
        if line.starts(with: Self.statusLinePrefix) {
            headers.removeAll()
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = String(decoding: UnsafeBufferPointer(rebasing: line[..<colon]), as: UTF8.self)
        var valueStart = colon + 1
        var valueEnd = line.endIndex
        while valueStart < valueEnd, Self.isWhitespace(line[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart, Self.isWhitespace(line[valueEnd - 1]) { valueEnd -= 1 }
        let value = String(decoding: UnsafeBufferPointer(rebasing: line[valueStart..<valueEnd]), as: UTF8.self)
        if Self.isContentLength(line[..<colon]), let length = Int(value), length <= maximumBodySize {
            body.reserveCapacity(length)
        }
        headers.append((name: name, value: value))
    }

    private static let statusLinePrefix = Array("HTTP/".utf8)
    private static let contentLength = Array("content-length".utf8)

    /// Returns whether the byte is a space, a tab, CR or LF, the whitespace around a header value.
    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }

    /// Returns whether a header name is `Content-Length` in any case.
    private static func isContentLength(_ name: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard name.count == contentLength.count else { return false }
        return zip(name, contentLength).allSatisfy { byte, lower in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 == lower : byte == lower
        }
    }
}

/// libcurl's CURLOPT_WRITEFUNCTION: appends a chunk of the body to the `CurlTransfer` in `context`.
func curlWriteBody(
    _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    return transfer.appendBody(UnsafeRawBufferPointer(start: buffer, count: length)) ? length : 0
}

/// libcurl's CURLOPT_HEADERFUNCTION: records one header line in the `CurlTransfer` in `context`.
func curlWriteHeader(
    _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    transfer.appendHeaderLine(UnsafeRawBufferPointer(start: buffer, count: length))
    return length
}

/// libcurl's process-wide initialization, done once before the first handle is created.
enum CurlGlobal {
    /// Swift runs a global's initializer once, on first use, under a lock.
    private static let initialization: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))

    static func initializeOnce() {
        precondition(initialization == CURLE_OK, "curl_global_init failed with code \(initialization.rawValue)")
    }
}
