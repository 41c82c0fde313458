import Foundation

/// A local stand-in for Pusher's HTTP API that checks request signatures with the official `pusher`
/// library's `sign`, the way Pusher does, and records accepted requests.
///
/// `GET /_received` returns the accepted requests as JSON (`[{"path", "body", "received_at"}]`), where
/// `received_at` is the wall-clock time of arrival in seconds since 1970.
/// `POST /_control` with `{"status": S, "count": N}` makes the next N event requests return status S.
/// A request with a bad key, body MD5, timestamp or signature gets 401 with the reason.
public enum PusherTestServer {
    public static let appID = "4242"
    public static let key = "test-key"
    public static let secret = "test-secret"

    public static func start() async throws -> LocalPythonServer {
        try await LocalPythonServer.start(script: script, arguments: [appID, key, secret])
    }

    private static let script = #"""
        import hashlib, http.server, json, sys, threading, time, urllib.parse
        from pusher.signature import sign

        app_id, key, secret = sys.argv[1:4]
        lock = threading.Lock()
        received = []
        fault = {"status": 0, "count": 0}

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # A reply goes out in two writes, headers and body. With Nagle's algorithm the body
            # waits for the client's delayed ACK of the headers, up to 40 ms on Linux, which held
            # each keep-alive connection that long per request.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def reply(self, status, text):
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                with lock:
                    self.reply(200, json.dumps(received))

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received_at = time.time()
                path, _, query = self.path.partition("?")
                if path == "/_control":
                    with lock:
                        fault.update(json.loads(body))
                    return self.reply(204, "")
                with lock:
                    if fault["count"] > 0:
                        fault["count"] -= 1
                        return self.reply(fault["status"], "injected failure")
                if path not in ("/apps/%s/events" % app_id, "/apps/%s/batch_events" % app_id):
                    return self.reply(404, "unknown path")
                params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
                signature = params.pop("auth_signature", "")
                if params.get("auth_key") != key:
                    return self.reply(401, "unknown auth_key")
                if params.get("auth_version") != "1.0":
                    return self.reply(401, "auth_version must be 1.0")
                if params.get("body_md5") != hashlib.md5(body).hexdigest():
                    return self.reply(401, "body_md5 does not match the body")
                if abs(time.time() - int(params.get("auth_timestamp", "0"))) > 600:
                    return self.reply(401, "auth_timestamp is more than 600 s off")
                string_to_sign = "\n".join(["POST", path, "&".join("%s=%s" % p for p in sorted(params.items()))])
                if sign(secret, string_to_sign) != signature:
                    return self.reply(401, "invalid signature")
                if self.headers.get("Content-Type") != "application/json":
                    return self.reply(415, "Content-Type must be application/json")
                with lock:
                    received.append({"path": path, "body": json.loads(body), "received_at": received_at})
                self.reply(200, "{}")

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#
}
