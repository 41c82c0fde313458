import TestSupport

/// A local HTTP server for the client's tests, with one route per behaviour under test.
///
/// `GET /barrier` returns 200 only once three requests wait on it at the same time, and 504 after
/// 5 seconds otherwise, which shows whether requests run side by side.
enum HTTPTestServer {
    /// Returns the one server for every test in the process, started on first use.
    static func shared() async throws -> LocalPythonServer {
        try await cache.server { try await LocalPythonServer.start(script: script) }
    }

    private static let cache = ServerCache()

    private static let script = #"""
        import hashlib, http.server, json, sys, threading, time

        barrier = threading.Barrier(3, timeout=5)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def send(self, status, body, headers=()):
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_HEAD(self):
                self.do_GET()

            def do_GET(self):
                if self.path == "/hello":
                    self.send(200, b"hello", [("X-Test", "yes")])
                elif self.path == "/slow":
                    time.sleep(3)
                    self.send(200, b"late")
                elif self.path == "/large":
                    self.send(200, b"x" * 1_000_000)
                elif self.path == "/barrier":
                    try:
                        barrier.wait()
                        self.send(200, b"together")
                    except threading.BrokenBarrierError:
                        barrier.reset()
                        self.send(504, b"alone")
                elif self.path == "/missing":
                    self.send(404, b"not here")
                else:
                    self.send(400, b"unknown path")

            def do_PUT(self):
                self.echo()

            def do_POST(self):
                self.echo()

            def echo(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                summary = {
                    "method": self.command,
                    "path": self.path,
                    "headers": {name.lower(): value for name, value in self.headers.items()},
                    "length": len(body),
                    "sha256": hashlib.sha256(body).hexdigest(),
                }
                self.send(200, json.dumps(summary).encode(), [("Content-Type", "application/json")])

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # clients that time out on purpose reset their connections

        server = Server(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#
}

/// Holds the shared server, so that tests starting at once start it only once.
private actor ServerCache {
    private var started: Task<LocalPythonServer, any Error>?

    func server(_ start: @escaping @Sendable () async throws -> LocalPythonServer) async throws -> LocalPythonServer {
        if let started { return try await started.value }
        let task = Task { try await start() }
        started = task
        return try await task.value
    }
}
