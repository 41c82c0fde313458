import Foundation

/// An immutable response body in memory of its own, which libmicrohttpd sends without copying.
///
/// Each response that sends it holds a retained reference until libmicrohttpd frees the response,
/// so one buffer can serve any number of responses at once. Copying a 50 KB body into
/// libmicrohttpd's own buffer, with the page faults of that allocation, took about a tenth of the
/// CPU time of libmicrohttpd's threads during `GET /logs/:id` (perf on a release build).
final class ResponseBuffer: @unchecked Sendable {
    // @unchecked: the bytes are written once in `init` and only read after that.
    let base: UnsafeMutableRawPointer
    let count: Int

    init(copying data: Data) {
        count = data.count
        // At least one byte, because `Data(bytesNoCopy:)` needs an address even for no bytes.
        base = UnsafeMutableRawPointer.allocate(byteCount: max(1, count), alignment: 16)
        data.withUnsafeBytes { bytes in
            if let source = bytes.baseAddress { base.copyMemory(from: source, byteCount: count) }
        }
    }

    deinit {
        base.deallocate()
    }

    /// The bytes as `Data` without a copy; the `Data` keeps this buffer alive.
    var data: Data {
        Data(bytesNoCopy: base, count: count, deallocator: .custom { _, _ in withExtendedLifetime(self) {} })
    }
}
