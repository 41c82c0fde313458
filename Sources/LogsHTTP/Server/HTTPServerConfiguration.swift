import Foundation

/// Settings of the HTTP server.
public struct HTTPServerConfiguration: Sendable, Equatable {
    /// The IPv4 address to listen on, such as `127.0.0.1` or `0.0.0.0`.
    public var bindAddress = "127.0.0.1"
    /// The TCP port; 0 lets the kernel pick one, which `HTTPServer.port` then returns.
    public var port = 5555
    /// The number of libmicrohttpd threads, each with its own epoll set.
    public var threadCount = max(2, ProcessInfo.processInfo.activeProcessorCount)
    /// How long a connection may stay idle, which includes a client that sends its request too
    /// slowly, before libmicrohttpd closes it. libmicrohttpd counts whole seconds.
    public var connectionTimeout: Duration = .seconds(30)
    /// How long a route handler may take before the client gets 503.
    public var requestTimeout: Duration = .seconds(30)
    /// How long `shutdown()` waits for requests in progress before it closes their connections.
    public var shutdownTimeout: Duration = .seconds(20)

    public init() {}
}
