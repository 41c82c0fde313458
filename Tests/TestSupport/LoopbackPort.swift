import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback socket call that failed, with the C function's name and `errno`.
public struct LoopbackPortError: Error, CustomStringConvertible {
    public let description: String
}

/// Returns a TCP port on 127.0.0.1 that was free a moment ago, found by binding port 0.
///
/// Another process may take the port before the caller binds it, which is rare on a test machine.
public func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw LoopbackPortError(description: "socket() failed: errno \(errno)") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
        }
    }
    guard bound else { throw LoopbackPortError(description: "bind() on 127.0.0.1 failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}
