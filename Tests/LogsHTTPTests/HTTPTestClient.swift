import Foundation
import Glibc

/// A parsed HTTP response as the tests read it.
struct TestResponse: Sendable {
    var status: Int
    /// Header values by lower-cased name.
    var headers: [String: String]
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body's `error` member, or nil when the body is not a JSON error.
    var errorMessage: String? {
        (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["error"] as? String
    }

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw LoopbackHTTPClient.SocketError(call: "JSON object", code: 0)
        }
        return object
    }
}

extension LoopbackHTTPClient {
    /// Sends one request with `Connection: close` and parses the response.
    ///
    /// - Throws: `SocketError` when a socket call fails or the 5-second receive timeout passes.
    static func request(
        _ method: String, _ path: String, port: UInt16, headers: [String: String] = [:], body: Data = Data()
    ) throws -> TestResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers {
            head += "\(name): \(value)\r\n"
        }
        if !body.isEmpty || ["PUT", "POST"].contains(method) {
            head += "Content-Length: \(body.count)\r\n"
        }
        let raw = try exchange(Data(head.utf8) + Data("\r\n".utf8) + body, port: port)
        return try parse(raw)
    }

    /// Writes raw bytes and returns everything the server sends until it closes the connection.
    ///
    /// - Parameter closesWriting: whether to shut down the sending side after the bytes, so the
    ///   server reads the end of the input instead of waiting for more.
    static func exchange(
        _ bytes: Data, port: UInt16, receiveTimeout seconds: Int = 5, closesWriting: Bool = false
    ) throws -> Data {
        let socketDescriptor = try connectedSocket(port: port, receiveTimeout: seconds)
        defer { close(socketDescriptor) }
        try sendBytes(socketDescriptor, bytes)
        if closesWriting { shutdown(socketDescriptor, Int32(SHUT_WR)) }
        return try receiveUntilClosed(socketDescriptor)
    }

    static func connectedSocket(port: UInt16, receiveTimeout seconds: Int) throws -> Int32 {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw SocketError(call: "socket", code: errno) }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(socketDescriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = address(port: port)
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socketDescriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(socketDescriptor)
            throw SocketError(call: "connect", code: errno)
        }
        return socketDescriptor
    }

    static func sendBytes(_ socketDescriptor: Int32, _ bytes: Data) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { buffer in
                Glibc.send(socketDescriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw SocketError(call: "send", code: errno) }
            offset += sent
        }
    }

    /// Reads until the server closes; a reset after some bytes counts as the end.
    static func receiveUntilClosed(_ socketDescriptor: Int32) throws -> Data {
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socketDescriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { return received }
            if count < 0 {
                if errno == ECONNRESET, !received.isEmpty { return received }
                throw SocketError(call: "recv", code: errno)
            }
            received.append(contentsOf: buffer[..<count])
        }
    }

    /// Parses a response with a `Content-Length` or chunked body.
    static func parse(_ raw: Data) throws -> TestResponse {
        guard let headEnd = raw.firstRange(of: Data("\r\n\r\n".utf8)) else {
            throw SocketError(call: "parse: no header end in \(raw.count) bytes", code: 0)
        }
        let lines = String(decoding: raw[..<headEnd.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw SocketError(call: "parse: bad status line \(lines[0])", code: 0)
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(raw[headEnd.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            body = dechunk(body)
        }
        return TestResponse(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: Data) -> Data {
        var result = Data()
        var rest = data[...]
        while let lineEnd = rest.firstRange(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";")[0], radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            let end = rest.index(start, offsetBy: size, limitedBy: rest.endIndex) ?? rest.endIndex
            result.append(rest[start..<end])
            rest = rest[min(rest.endIndex, end + 2)...]
        }
        return result
    }
}
