"""A TLS front for tests: serves https://127.0.0.1:PORT with the given certificate and passes
every request on to an http:// backend. Prints the port, then serves until killed.

    python3 tls_proxy.py CERT.pem KEY.pem http://127.0.0.1:5000
"""
import http.server
import ssl
import sys
import urllib.error
import urllib.request

cert, key, backend = sys.argv[1:4]
SKIP_IN = {"host", "content-length", "connection", "transfer-encoding"}
SKIP_OUT = {"content-length", "transfer-encoding", "connection", "date", "server"}


class Front(http.server.BaseHTTPRequestHandler):
    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def relay(self):
        req = urllib.request.Request(backend + self.path, data=self.body(), method=self.command)
        for k, v in self.headers.items():
            if k.lower() not in SKIP_IN:
                req.add_header(k, v)
        try:
            resp = urllib.request.urlopen(req)
            status = resp.status
        except urllib.error.HTTPError as e:
            resp, status = e, e.code
        data = resp.read()
        self.send_response(status)
        for k, v in resp.headers.items():
            if k.lower() not in SKIP_OUT:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = relay

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Front)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
