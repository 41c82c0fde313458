import CMicroHTTPD
import Glibc
import LogsHTTP
import Testing

@Suite("HTTP C libraries")
struct HTTPLibrariesTests {
    @Test("libmicrohttpd version is dotted digits")
    func microHTTPDVersionIsDottedDigits() {
        let version = HTTPLibraries.microHTTPDVersion
        #expect(isDottedVersion(version), "libmicrohttpd reported version \"\(version)\"")
    }

    @Test("daemon on loopback serves handler")
    func daemonOnLoopbackServesHandler() throws {
        let daemon = try #require(startLoopbackDaemon(), "travis_mhd_start_daemon returned NULL")
        defer { MHD_stop_daemon(daemon) }

        let portInfo = try #require(travis_mhd_get_daemon_info(daemon, .DAEMON_INFO_BIND_PORT))
        let port = portInfo.pointee.port
        #expect(port != 0)

        let socketInfo = try #require(travis_mhd_get_daemon_info(daemon, .DAEMON_INFO_LISTEN_FD))
        let boundAddress = try LoopbackHTTPClient.localAddress(of: socketInfo.pointee.listen_fd)
        #expect(boundAddress.sin_addr.s_addr == INADDR_LOOPBACK.bigEndian)
        #expect(boundAddress.sin_port == port.bigEndian)

        let response = try LoopbackHTTPClient.get(path: "/logs/1", port: port)
        #expect(response.hasPrefix("HTTP/1.1 200"), "response: \(response)")
        #expect(response.hasSuffix("\r\n\r\nok"), "response: \(response)")
    }
}

/// Starts a daemon with its own polling thread on 127.0.0.1 and a port the kernel picks.
private func startLoopbackDaemon() -> OpaquePointer? {
    var address = LoopbackHTTPClient.address(port: 0)
    return withUnsafeMutablePointer(to: &address) { addressPointer in
        let options = [
            MHD_OptionItem(option: .SOCK_ADDR, value: 0, ptr_value: UnsafeMutableRawPointer(addressPointer)),
            MHD_OptionItem(option: .END, value: 0, ptr_value: nil),
        ]
        let flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_ERROR_LOG.rawValue
        return travis_mhd_start_daemon(flags, 0, nil, nil, replyOK, nil, options)
    }
}

/// Replies 200 with the body "ok" to every request. libmicrohttpd calls it on its polling thread.
private func replyOK(
    context: UnsafeMutableRawPointer?,
    connection: OpaquePointer?,
    url: UnsafePointer<CChar>?,
    method: UnsafePointer<CChar>?,
    version: UnsafePointer<CChar>?,
    uploadData: UnsafePointer<CChar>?,
    uploadDataSize: UnsafeMutablePointer<Int>?,
    requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    let body: StaticString = "ok"
    let bodyPointer = UnsafeMutableRawPointer(mutating: body.utf8Start)
    guard let response = MHD_create_response_from_buffer(body.utf8CodeUnitCount, bodyPointer, .RESPMEM_PERSISTENT)
    else {
        return .NO
    }
    defer { MHD_destroy_response(response) }
    return MHD_queue_response(connection, UInt32(MHD_HTTP_OK), response)
}

/// Returns whether `text` is two or more groups of decimal digits joined by single dots.
private func isDottedVersion(_ text: String) -> Bool {
    let groups = text.split(separator: ".", omittingEmptySubsequences: false)
    guard groups.count >= 2 else {
        return false
    }
    return groups.allSatisfy { group in
        !group.isEmpty && group.allSatisfy(\.isASCII) && group.allSatisfy(\.isNumber)
    }
}
