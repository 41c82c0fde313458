internal import CCurl
import Foundation

/// The owner of one libcurl easy handle, which performs one blocking transfer at a time.
///
/// Reusing the handle keeps its connection cache, so requests to the same host reuse connections.
/// A transfer resets the options first, so nothing leaks from one request into the next, unless it
/// has the method, body presence and client options of the transfer before it. Then it sets only
/// the options that differ between such requests: the URL, headers, body and response context.
/// `perform` blocks the calling thread; ``CurlHTTPClient`` calls it on its own thread.
final class CurlEasyHandle {
    /// The request traits and client options that let the next transfer skip `curl_easy_reset`.
    private struct Setup: Equatable {
        var method: String
        var hasBody: Bool
        var options: CurlHTTPClient.Options
    }

    private let handle: UnsafeMutableRawPointer
    /// libcurl writes a detailed message here when a transfer fails.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The setup of the last transfer, or nil when the options must be reset before the next one.
    private var lastSetup: Setup?

    init() throws {
        CurlGlobal.initializeOnce()
        guard let handle = curl_easy_init() else {
            throw HTTPClientError(
                code: .transferFailed, curlCode: Int(CURLE_FAILED_INIT.rawValue), message: "curl_easy_init failed",
                method: "", url: "")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends the request and returns the response, blocking until it is complete.
    func perform(_ request: HTTPRequest, options: CurlHTTPClient.Options) throws -> HTTPResponse {
        let setup = Setup(method: request.method, hasBody: request.body != nil, options: options)
        let keepsOptions = setup == lastSetup
        // Cleared before anything can fail, so a failed transfer always resets the next one.
        lastSetup = nil
        if !keepsOptions { curl_easy_reset(handle) }
        errorBuffer[0] = 0
        let transfer = CurlTransfer(maximumBodySize: options.maximumResponseBodySize)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }

        do {
            if keepsOptions {
                try configureTarget(request, transfer: transfer)
            } else {
                try configure(request, options: options, transfer: transfer)
            }
            headerList = try makeHeaderList(request.headers)
            try check(travis_curl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList), request)
            let body = request.body ?? Data()
            try body.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
                try performTransfer(request, body: bytes, transfer: transfer)
            }
        } catch {
            if transfer.exceededMaximumBodySize {
                throw HTTPClientError(
                    code: .responseTooLarge, curlCode: Int(CURLE_WRITE_ERROR.rawValue),
                    message: "response body exceeds \(options.maximumResponseBodySize) bytes",
                    method: request.method, url: request.redactedURL)
            }
            throw error
        }

        lastSetup = setup
        var status = 0
        _ = travis_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: transfer.headers, body: transfer.body)
    }

    private func configure(
        _ request: HTTPRequest, options: CurlHTTPClient.Options, transfer: CurlTransfer
    ) throws {
        try configureTarget(request, transfer: transfer)
        try check(travis_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), request)
        // Signals cannot interrupt a transfer on a thread of a multi-threaded process.
        try check(travis_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1), request)
        try check(
            travis_curl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, options.connectTimeout.milliseconds),
            request)
        try check(travis_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, options.timeout.milliseconds), request)
        try check(travis_curl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1), request)
        try check(travis_curl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2), request)
        // Only http and https, so a URL from configuration cannot reach file:// or other schemes.
        try check(travis_curl_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"), request)
        try check(travis_curl_easy_setopt_string(handle, CURLOPT_USERAGENT, options.userAgent), request)
        try check(travis_curl_easy_setopt_callback(handle, CURLOPT_WRITEFUNCTION, curlWriteBody), request)
        try check(travis_curl_easy_setopt_callback(handle, CURLOPT_HEADERFUNCTION, curlWriteHeader), request)
    }

    /// Sets the options that differ between requests of the same method: the URL and the object
    /// that collects the response.
    private func configureTarget(_ request: HTTPRequest, transfer: CurlTransfer) throws {
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        try check(travis_curl_easy_setopt_string(handle, CURLOPT_URL, request.url), request)
        try check(travis_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, context), request)
        try check(travis_curl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, context), request)
    }

    private func performTransfer(
        _ request: HTTPRequest, body: UnsafeRawBufferPointer, transfer: CurlTransfer
    ) throws {
        switch request.method {
        case "GET":
            try check(travis_curl_easy_setopt_long(handle, CURLOPT_HTTPGET, 1), request)
        case "HEAD":
            try check(travis_curl_easy_setopt_long(handle, CURLOPT_NOBODY, 1), request)
        default:
            try check(travis_curl_easy_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method), request)
        }
        if request.body != nil {
            // POSTFIELDS sends the bytes without copying them; they stay valid until this returns.
            let pointer = UnsafeMutableRawPointer(mutating: body.baseAddress ?? UnsafeRawPointer(errorBuffer))
            try check(
                travis_curl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), request)
            try check(travis_curl_easy_setopt_pointer(handle, CURLOPT_POSTFIELDS, pointer), request)
        }
        try check(curl_easy_perform(handle), request)
    }

    private func makeHeaderList(
        _ headers: [(name: String, value: String)]
    ) throws -> UnsafeMutablePointer<curl_slist>? {
        var list: UnsafeMutablePointer<curl_slist>?
        // An empty `Expect:` stops libcurl from waiting for `100 Continue` before large bodies.
        for line in headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            guard let appended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw HTTPClientError(
                    code: .transferFailed, curlCode: Int(CURLE_OUT_OF_MEMORY.rawValue),
                    message: "curl_slist_append failed", method: "", url: "")
            }
            list = appended
        }
        return list
    }

    private func check(_ result: CURLcode, _ request: HTTPRequest) throws {
        guard result != CURLE_OK else { return }
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail
        throw HTTPClientError(
            code: Self.code(for: result), curlCode: Int(result.rawValue), message: message, method: request.method,
            url: request.redactedURL)
    }

    private static func code(for result: CURLcode) -> HTTPClientError.Code {
        switch result {
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT, CURLE_GOT_NOTHING,
            CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return .connectionFailed
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return .tlsFailed
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_UNKNOWN_OPTION, CURLE_BAD_FUNCTION_ARGUMENT:
            return .invalidRequest
        default:
            return .transferFailed
        }
    }
}

extension Duration {
    /// The duration in whole milliseconds, at least 1, as libcurl's `_MS` options take it.
    fileprivate var milliseconds: Int {
        let (seconds, attoseconds) = components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
