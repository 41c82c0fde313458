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
    func appendHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers.removeAll()
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = String(line[..<colon])
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        if name.caseInsensitiveCompare("Content-Length") == .orderedSame, let length = Int(value),
            length <= maximumBodySize
        {
            body.reserveCapacity(length)
        }
        headers.append((name: name, value: value))
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
