internal import CMicroHTTPD
import Glibc

/// The facts that the URI log callback records about the raw request target, before libmicrohttpd
/// decodes the target in place.
///
/// libmicrohttpd 0.9.75 hands the path and the query values to the server as C strings after
/// decoding them, so a raw NUL byte or a `%00` would cut them short. The record travels to the
/// access handler in the request context pointer as an integer with its lowest bit set, which no
/// `RequestState` pointer has, because Swift objects are aligned to at least 8 bytes.
struct RawRequestTarget: Equatable {
    /// The number of bytes before the first NUL byte.
    let length: Int
    let containsEncodedNUL: Bool

    init(target: UnsafePointer<CChar>) {
        length = strlen(target)
        containsEncodedNUL = strstr(target, "%00") != nil
    }

    /// Reads the record from a request context pointer, or returns nil for a `RequestState`.
    init?(contextPointer: UnsafeMutableRawPointer) {
        let bits = Int(bitPattern: contextPointer)
        guard bits & 1 == 1 else { return nil }
        length = bits >> 2
        containsEncodedNUL = bits & 2 != 0
    }

    var contextPointer: UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: length << 2 | (containsEncodedNUL ? 2 : 0) | 1)!
    }

    /// Returns whether the target that libmicrohttpd decoded to `url` was cut at a NUL byte.
    ///
    /// `url` and `version` point into the request line: libmicrohttpd ended the target by writing
    /// a NUL over the space before the version, so the whole raw target is `version - 1 - url`
    /// bytes long.
    func isCut(url: UnsafePointer<CChar>, version: UnsafePointer<CChar>) -> Bool {
        containsEncodedNUL || url + length != version - 1
    }
}

/// Walks the request headers in the order of their lines and checks that libmicrohttpd's copy of
/// each value ends where its line ends.
///
/// libmicrohttpd 0.9.75 measures a header value with `strlen`, so a NUL byte cuts the value, and
/// `MHD_get_connection_values_n` reports the cut length. Its values point into the read buffer,
/// where the request line and the header lines lie in order and libmicrohttpd has overwritten
/// every colon, CR and LF with a NUL. So between the end of one value and the name on the next
/// line, and after the last value, every byte is zero unless a value went on past a NUL byte.
// NOTE: a value whose only hidden bytes are trailing NUL bytes passes, with those bytes dropped.
struct HeaderLayoutCheck {
    private var cursor: UnsafeRawPointer
    private let end: UnsafeRawPointer
    private var previousName: UnsafePointer<CChar>?
    /// The name of the header whose value goes on past a NUL byte, or of the first header that
    /// does not lie where the layout puts it, such as a folded line that libmicrohttpd joined.
    private(set) var rejectedName: UnsafePointer<CChar>?
    private(set) var isRejected = false

    /// - Parameters:
    ///   - versionEnd: the end of the request line's version, where the header lines start.
    ///   - end: the end of the request's header block.
    init(versionEnd: UnsafeRawPointer, end: UnsafeRawPointer) {
        cursor = versionEnd
        self.end = end
    }

    /// Checks the next header, and returns false once a check has failed.
    mutating func advance(name: UnsafePointer<CChar>, value: UnsafePointer<CChar>, valueSize: Int) -> Bool {
        let nameStart = UnsafeRawPointer(name)
        let valueEnd = UnsafeRawPointer(value) + valueSize
        guard cursor <= nameStart, nameStart < UnsafeRawPointer(value), valueEnd <= end else {
            reject(name)
            return false
        }
        guard Self.isZero(from: cursor, to: nameStart) else {
            reject(previousName)
            return false
        }
        previousName = name
        cursor = valueEnd
        return true
    }

    /// Checks the bytes after the last header.
    mutating func finish() {
        if !isRejected, cursor > end || !Self.isZero(from: cursor, to: end) {
            reject(previousName)
        }
    }

    private mutating func reject(_ name: UnsafePointer<CChar>?) {
        isRejected = true
        rejectedName = name
    }

    private static func isZero(from start: UnsafeRawPointer, to end: UnsafeRawPointer) -> Bool {
        UnsafeRawBufferPointer(start: start, count: end - start).allSatisfy { $0 == 0 }
    }
}

extension ConnectionHandle {
    /// Returns the message of a 400 response when libmicrohttpd cut the request target or a header
    /// value at a NUL byte, or nil when nothing was cut.
    ///
    /// Call it only from the first call of the access handler for this connection's request, with
    /// the pointers libmicrohttpd passed to it.
    func nulByteMessage(
        target: RawRequestTarget?, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?,
        version: UnsafePointer<CChar>?
    ) -> String? {
        guard let url, let method, let version else { return nil }
        if let target, target.isCut(url: url, version: version) {
            return "the request path or query contains a NUL byte (raw or as %00), which is not allowed"
        }
        guard let info = travis_mhd_get_connection_info(pointer, .CONNECTION_INFO_REQUEST_HEADER_SIZE) else {
            return nil
        }
        // The header block starts with the method, and the request line ends after the version.
        let end = UnsafeRawPointer(method) + info.pointee.header_size
        var check = HeaderLayoutCheck(versionEnd: UnsafeRawPointer(version) + strlen(version), end: end)
        withUnsafeMutablePointer(to: &check) { checkPointer in
            _ = MHD_get_connection_values_n(pointer, .HEADER_KIND, checkHeaderLayout, checkPointer)
        }
        check.finish()
        guard check.isRejected else { return nil }
        guard let name = check.rejectedName else {
            return "the request line contains a NUL byte, which is not allowed"
        }
        return "header \(RequestParsing.shown(String(cString: name))) contains a NUL byte or a folded line, "
            + "which is not allowed"
    }
}
