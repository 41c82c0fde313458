import CurlClient
import Foundation
import LogsCore

/// A proxy on 127.0.0.1 in front of the S3 server that fails requests on demand.
///
/// It forwards requests unchanged, `Host` header included, so signatures stay valid. A fault set
/// with ``inject(_:count:)`` applies to the next `count` requests: an error status with an S3 XML
/// body, a response held back for 3 seconds, or a connection closed without a response.
public final class S3FaultProxy: Sendable {
    public enum Fault: Sendable {
        case status(Int, code: String)
        case delay
        case closeConnection
    }

    private let server: LocalPythonServer
    private let client: CurlHTTPClient

    public init(upstream: URL) async throws {
        server = try await LocalPythonServer.start(
            script: Self.script, arguments: [upstream.host ?? "", "\(upstream.port ?? 80)"])
        client = try CurlHTTPClient(name: "s3-fault-proxy-control")
    }

    /// The endpoint to give the archive instead of the S3 server's.
    public var endpoint: URL {
        URL(string: server.baseURL)!
    }

    public func inject(_ fault: Fault, count: Int) async throws {
        var spec: [String: JSONValue] = ["count": .integer(Int64(count))]
        switch fault {
        case .status(let status, let code):
            spec["mode"] = .string("status")
            spec["status"] = .integer(Int64(status))
            spec["code"] = .string(code)
        case .delay:
            spec["mode"] = .string("delay")
        case .closeConnection:
            spec["mode"] = .string("close")
        }
        _ = try await client.execute(
            HTTPRequest(method: "POST", url: server.baseURL + "/_fault", body: JSONValue.object(spec).jsonData()))
    }

    /// Returns how many requests reached the proxy, and how many of them got a fault.
    public func counts() async throws -> (requests: Int, faulted: Int) {
        let response = try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/_fault"))
        let json = try JSONValue(parsing: response.body)
        return (Int(json["requests"]?.integerValue ?? -1), Int(json["faulted"]?.integerValue ?? -1))
    }

    private static let script = #"""
        import http.client, http.server, json, socket, sys, threading, time

        upstream_host, upstream_port = sys.argv[1], int(sys.argv[2])
        lock = threading.Lock()
        state = {"mode": "", "status": 0, "code": "", "count": 0, "requests": 0, "faulted": 0}
        hop_by_hop = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def control(self, body):
                with lock:
                    if self.command == "POST":
                        state.update(json.loads(body))
                    reply = json.dumps({"requests": state["requests"], "faulted": state["faulted"]}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def take_fault(self):
                with lock:
                    state["requests"] += 1
                    if state["count"] <= 0:
                        return None
                    state["count"] -= 1
                    state["faulted"] += 1
                    return dict(state)

            def handle_any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path == "/_fault":
                    return self.control(body)
                fault = self.take_fault()
                if fault and fault["mode"] == "close":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault and fault["mode"] == "status":
                    error = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code>"
                             "<Message>injected by the test proxy</Message></Error>" % fault["code"]).encode()
                    self.send_response(fault["status"])
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(error)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(error)
                    return
                if fault and fault["mode"] == "delay":
                    time.sleep(3)
                self.forward(body)

            def forward(self, body):
                connection = http.client.HTTPConnection(upstream_host, upstream_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in hop_by_hop}
                connection.request(self.command, self.path, body=body if body else None, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in hop_by_hop:
                        self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
                connection.close()

            do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = handle_any

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # clients that time out on purpose reset their connections

        server = Server(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#
}
