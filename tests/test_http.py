# http.client / urllib.request with context=tls12fast.SSLContext against a stdlib-ssl
# http.server, and http.server wrapped by tls12fast.SSLContext.wrap_socket.
import http.client
import http.server
import threading
import urllib.request

import pytest

from test_compat import client_ctx, server_ctx


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from " + self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(params=["stdlib-server", "tls12fast-server"])
def https_port(request, pki):
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    httpd.socket = server_ctx(pki, ours=request.param == "tls12fast-server").wrap_socket(
        httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.interop
@pytest.mark.parametrize("client_ours", [True, False])
def test_http_client(pki, https_port, client_ours):
    conn = http.client.HTTPSConnection("localhost", https_port, context=client_ctx(pki, client_ours))
    conn.request("GET", "/a")
    response = conn.getresponse()
    assert response.status == 200 and response.read() == b"hello from /a"
    conn.request("GET", "/b")  # keep-alive: second request on the same TLS connection
    assert conn.getresponse().read() == b"hello from /b"
    conn.close()


@pytest.mark.interop
def test_urlopen(pki, https_port):
    with urllib.request.urlopen(f"https://localhost:{https_port}/u", context=client_ctx(pki)) as response:
        assert response.read() == b"hello from /u"
