internal import CMicroHTTPD
import Foundation

// libmicrohttpd's callbacks. They are top-level functions because Swift passes only those, not
// closures that capture context, as C function pointers. Each gets `ServerCore` or the request's
// state through its context pointer.

/// The access handler. libmicrohttpd calls it once when the headers have arrived, once per chunk
/// of body, once when the body is complete, and once more after each resume.
func handleConnection(
    context: UnsafeMutableRawPointer?,
    connection: OpaquePointer?,
    url: UnsafePointer<CChar>?,
    method: UnsafePointer<CChar>?,
    version: UnsafePointer<CChar>?,
    uploadData: UnsafePointer<CChar>?,
    uploadDataSize: UnsafeMutablePointer<Int>?,
    requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let context, let connection, let requestContext else { return .NO }
    let core = Unmanaged<ServerCore>.fromOpaque(context).takeUnretainedValue()
    let handle = ConnectionHandle(pointer: connection)

    // The first call finds the record of the URI log callback, or nil, in the request context.
    guard let statePointer = requestContext.pointee, RawRequestTarget(contextPointer: statePointer) == nil else {
        let target = requestContext.pointee.flatMap(RawRequestTarget.init(contextPointer:))
        let state = core.beginRequest(
            handle, method: method.map { String(cString: $0) } ?? "", path: url.map { String(cString: $0) } ?? "/",
            rejection: handle.nulByteMessage(target: target, url: url, method: method, version: version))
        requestContext.pointee = Unmanaged.passRetained(state).toOpaque()
        core.requestStarted()
        return core.rejectEarly(state, on: handle) ? .YES : .NO
    }
    let state = Unmanaged<RequestState>.fromOpaque(statePointer).takeUnretainedValue()

    if let uploadDataSize, uploadDataSize.pointee > 0 {
        if let uploadData {
            state.appendBody(UnsafeRawBufferPointer(start: uploadData, count: uploadDataSize.pointee))
        }
        uploadDataSize.pointee = 0
        return .YES
    }
    return core.continueRequest(state, on: handle) ? .YES : .NO
}

/// Called when libmicrohttpd has finished with a request, whether it was answered or the client left.
func completeRequest(
    context: UnsafeMutableRawPointer?,
    connection: OpaquePointer?,
    requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    terminationCode: MHD_RequestTerminationCode
) {
    guard let context, let requestContext, let statePointer = requestContext.pointee else { return }
    requestContext.pointee = nil
    // A request that ends before the access handler runs still has the URI log callback's record.
    guard RawRequestTarget(contextPointer: statePointer) == nil else { return }
    let core = Unmanaged<ServerCore>.fromOpaque(context).takeUnretainedValue()
    let state = Unmanaged<RequestState>.fromOpaque(statePointer).takeRetainedValue()
    core.requestCompleted(state, terminatedNormally: terminationCode == .REQUEST_TERMINATED_COMPLETED_OK)
}

/// The URI log callback, called with the raw request target before libmicrohttpd decodes it.
/// Returns the request context that the access handler's first call gets: a `RawRequestTarget`
/// record.
func inspectRequestTarget(
    context: UnsafeMutableRawPointer?, target: UnsafePointer<CChar>?, connection: OpaquePointer?
) -> UnsafeMutableRawPointer? {
    guard let target else { return nil }
    return RawRequestTarget(target: target).contextPointer
}

/// Checks one header for `HeaderLayoutCheck`, which `context` points to, and stops the iteration
/// once a check has failed.
func checkHeaderLayout(
    context: UnsafeMutableRawPointer?,
    kind: MHD_ValueKind,
    key: UnsafePointer<CChar>?,
    keySize: Int,
    value: UnsafePointer<CChar>?,
    valueSize: Int
) -> MHD_Result {
    guard let context, let key, let value else { return .YES }
    let check = context.assumingMemoryBound(to: HeaderLayoutCheck.self)
    return check.pointee.advance(name: key, value: value, valueSize: valueSize) ? .YES : .NO
}

/// Adds one header or query parameter to the dictionary that `context` points to.
func collectValue(
    context: UnsafeMutableRawPointer?,
    kind: MHD_ValueKind,
    key: UnsafePointer<CChar>?,
    value: UnsafePointer<CChar>?
) -> MHD_Result {
    guard let context, let key else { return .YES }
    let values = context.assumingMemoryBound(to: [String: String].self)
    var name = String(cString: key)
    if kind == .HEADER_KIND { name = name.lowercased() }
    if values.pointee[name] == nil {
        values.pointee[name] = value.map { String(cString: $0) } ?? ""
    }
    return .YES
}

/// The content reader of a streamed response.
func readStream(context: UnsafeMutableRawPointer?, position: UInt64, buffer: UnsafeMutablePointer<CChar>?, size: Int)
    -> Int
{
    guard let context, let buffer else { return -2 }
    let stream = Unmanaged<ResponseStream>.fromOpaque(context).takeUnretainedValue()
    return stream.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: size))
}

/// Called when libmicrohttpd frees a streamed response; releases the stream's retained pointer.
func releaseStream(context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    let stream = Unmanaged<ResponseStream>.fromOpaque(context).takeRetainedValue()
    stream.close()
}

/// Called when libmicrohttpd frees a response sent from a `ResponseBuffer`; releases the buffer's
/// retained pointer.
func releaseResponseBuffer(context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    Unmanaged<ResponseBuffer>.fromOpaque(context).release()
}
