import CMicroHTTPD
import Foundation
import Glibc

// The libmicrohttpd floor for script/bench/http: a daemon with the flags and thread pool that
// HTTPServer uses, whose handler replies 200 with a constant body on libmicrohttpd's thread.
// `GET /large` replies with a JSON body of LARGE_BODY_BYTES bytes (default 52,000), every other
// request with a small one.
//
//   http-floor PORT [THREADS] [LARGE_BODY_BYTES]

let arguments = CommandLine.arguments
guard arguments.count >= 2, let port = UInt16(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: http-floor PORT [THREADS] [LARGE_BODY_BYTES]\n".utf8))
    exit(64)
}
let threads = arguments.count >= 3 ? Int(arguments[2]) ?? 2 : 2
let largeBody = UnsafeMutablePointer<LargeBody>.allocate(capacity: 1)
largeBody.initialize(to: LargeBody.make(size: arguments.count >= 4 ? Int(arguments[3]) ?? 52_000 : 52_000))

var address = sockaddr_in()
address.sin_family = sa_family_t(AF_INET)
address.sin_port = port.bigEndian
address.sin_addr = in_addr(s_addr: INADDR_LOOPBACK.bigEndian)

let daemon = withUnsafeMutablePointer(to: &address) { addressPointer in
    let options = [
        MHD_OptionItem(option: .SOCK_ADDR, value: 0, ptr_value: UnsafeMutableRawPointer(addressPointer)),
        MHD_OptionItem(option: .THREAD_POOL_SIZE, value: threads, ptr_value: nil),
        MHD_OptionItem(option: .END, value: 0, ptr_value: nil),
    ]
    let flags =
        MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
        | MHD_USE_ITC.rawValue
    return travis_mhd_start_daemon(flags, port, nil, nil, replyConstant, largeBody, options)
}
guard daemon != nil else {
    FileHandle.standardError.write(Data("http-floor: libmicrohttpd could not listen on 127.0.0.1:\(port)\n".utf8))
    exit(1)
}
print("listening on 127.0.0.1:\(port)")
pause()
