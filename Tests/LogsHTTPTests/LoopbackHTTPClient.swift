import Glibc

/// A minimal blocking HTTP/1.1 client for 127.0.0.1 that reads one response until the server closes.
///
/// It uses plain sockets so the test needs neither libcurl nor URLSession, which may honour proxy
/// settings from the environment.
enum LoopbackHTTPClient {
    /// A failed socket call, with the call's name and `errno`.
    struct SocketError: Error, CustomStringConvertible {
        let call: String
        let code: Int32

        var description: String {
            "\(call) failed: \(String(cString: strerror(code)))"
        }
    }

    /// Returns the IPv4 loopback address with `port`.
    static func address(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: INADDR_LOOPBACK.bigEndian)
        return address
    }

    /// Returns the IPv4 address that the socket `socketDescriptor` is bound to.
    static func localAddress(of socketDescriptor: Int32) throws -> sockaddr_in {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketDescriptor, $0, &length) }
        }
        guard result == 0 else {
            throw SocketError(call: "getsockname", code: errno)
        }
        return address
    }

    /// Sends `GET path` with `Connection: close` and returns the raw response, headers included.
    ///
    /// - Throws: `SocketError` when a socket call fails or the 5-second receive timeout passes.
    static func get(path: String, port: UInt16) throws -> String {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else {
            throw SocketError(call: "socket", code: errno)
        }
        defer { close(socketDescriptor) }

        try setReceiveTimeout(socketDescriptor, seconds: 5)
        try connect(socketDescriptor, port: port)
        try sendAll(socketDescriptor, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return try receiveAll(socketDescriptor)
    }

    private static func setReceiveTimeout(_ socketDescriptor: Int32, seconds: Int) throws {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        let result = setsockopt(
            socketDescriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard result == 0 else {
            throw SocketError(call: "setsockopt", code: errno)
        }
    }

    private static func connect(_ socketDescriptor: Int32, port: UInt16) throws {
        var address = address(port: port)
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                Glibc.connect(socketDescriptor, socketAddress, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            throw SocketError(call: "connect", code: errno)
        }
    }

    private static func sendAll(_ socketDescriptor: Int32, _ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { buffer in
                send(socketDescriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else {
                throw SocketError(call: "send", code: errno)
            }
            offset += sent
        }
    }

    private static func receiveAll(_ socketDescriptor: Int32) throws -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socketDescriptor, $0.baseAddress, $0.count, 0) }
            guard count >= 0 else {
                throw SocketError(call: "recv", code: errno)
            }
            if count == 0 {
                return String(decoding: received, as: UTF8.self)
            }
            received.append(contentsOf: buffer[..<count])
        }
    }
}
