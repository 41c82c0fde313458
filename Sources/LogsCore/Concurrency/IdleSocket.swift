import Foundation

/// A check of the socket of a pooled connection that has no request outstanding.
package enum IdleSocket {
    /// Returns whether the socket is anything but quiet: input, an end of stream or an error is
    /// waiting, or `poll` itself failed. With no request outstanding, each of these means the
    /// server ended the connection or something went wrong with it. It costs one `poll` call,
    /// which does not wait.
    package static func hasEvent(_ descriptor: Int32) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) != 0
    }
}
