# The `tls12fast` command: demo ladders, the HTTPS server answering curl / openssl / our
# client (as a subprocess, killed by PID), and one-line errors for bad input.
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from tls12fast.ladder import Ladder, render_svg, render_text, round_trips
from tls12fast.trace import TraceEvent

PY = [sys.executable, "-m", "tls12fast"]


def _run(args, env=None, timeout=60):
    return subprocess.run(PY + args, capture_output=True, text=True, timeout=timeout, env=env)


def _events(spec):
    return [TraceEvent(d, m, 10, "") for d, m in spec]


def test_round_trips():
    full = _events([("send", "client_hello"), ("recv", "server_hello"), ("recv", "server_hello_done"),
                    ("send", "client_key_exchange"), ("send", "change_cipher_spec"), ("send", "finished"),
                    ("recv", "change_cipher_spec"), ("recv", "finished")])
    resumed = _events([("send", "client_hello"), ("recv", "server_hello"), ("recv", "change_cipher_spec"),
                       ("recv", "finished"), ("send", "change_cipher_spec"), ("send", "finished")])
    assert round_trips(full) == 2 and round_trips(resumed) == 1
    ladder = Ladder("t", resumed, "TLS_X", True, "session_id", 0.001)
    text = render_text(ladder)
    assert "1-RTT" in text and "[ChangeCipherSpec]" in text and "RTT 2" not in text
    svg = render_svg(ladder)
    assert svg.startswith("<svg") and svg.count("<line") >= 8


def test_demo(tmp_path):
    result = _run(["demo", "--svg", str(tmp_path)])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Full handshake, RSA key exchange" in out and "Full handshake, ECDHE" in out
    assert out.count("2-RTT full handshake") == 2
    assert "ClientKeyExchange" in out and "ServerKeyExchange" in out and "[ChangeCipherSpec]" in out
    assert "\x1b[" not in out  # no colour when not a TTY
    for title in ("session ID", "ticket", "ticket wins"):
        assert title in out
    assert "UNAVAILABLE" not in out
    assert out.count("1-RTT resumed by session ID") == 1
    assert out.count("1-RTT resumed by ticket") == 2
    # RFC 5077 §3.4: with a ticket in the ClientHello the server's cache is never consulted.
    assert "session-cache lookups +0, session-cache hits +0, tickets accepted +1" in out
    assert "session-cache lookups +1, session-cache hits +1" in out
    assert len(list(tmp_path.glob("*.svg"))) == 5


def test_default_command_is_demo():
    result = _run([])
    assert result.returncode == 0 and "2-RTT full handshake" in result.stdout


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path))
    proc = subprocess.Popen(PY + ["server", "--port", str(port), "--handshake-timeout", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.1)
    yield port, tmp_path / "tls12fast" / "localhost-ca.pem", env
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(10)
    proc.stdout.close()
    proc.stderr.close()


@pytest.mark.interop
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_server_answers_curl(server):
    port, ca, _ = server
    # A default (TLS 1.3-capable) curl: the server must negotiate TLS 1.2 with it.
    out = subprocess.run(["curl", "-sS", "--cacert", str(ca), f"https://localhost:{port}/"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Hello from tls12fast: full handshake")


@pytest.mark.interop
def test_server_survives_garbage_and_answers_our_client(server):
    port, ca, _ = server
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n" * 10)
        s.settimeout(5)
        try:
            s.recv(100)
        except OSError:
            pass
    half_open = socket.create_connection(("127.0.0.1", port))  # sends nothing
    result = _run(["client", f"127.0.0.1:{port}", "--cafile", str(ca), "--server-name", "localhost",
                   "--trace", "--resume", "1"])
    half_open.close()
    assert result.returncode == 0, result.stderr
    assert "connect: full handshake" in result.stdout and "resume 1:" in result.stdout
    assert "ClientHello" in result.stdout and "RTT 1" in result.stdout


@pytest.mark.interop
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_server_answers_openssl_s_client(server):
    port, ca, _ = server
    out = subprocess.run(["openssl", "s_client", "-tls1_2", "-ign_eof", "-connect", f"127.0.0.1:{port}",
                          "-CAfile", str(ca), "-servername", "localhost"],
                         input="GET / HTTP/1.0\r\n\r\n", capture_output=True, text=True, timeout=30)
    assert "Verify return code: 0 (ok)" in out.stdout
    assert "Hello from tls12fast" in out.stdout


def test_error_occupied_port(server):
    port, _, env = server
    result = _run(["server", "--port", str(port)], env=env)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "port already in use" in result.stderr


@pytest.mark.parametrize("args, needle", [
    (["server", "--cert", "/nonexistent.pem", "--key", "/nonexistent.pem"], "cannot load certificate"),
    (["server", "--session-cache", "redis://127.0.0.1:1/0"], "cannot reach Redis"),
    (["server", "--session-cache", "bogus"], "--session-cache"),
    (["client", "nonsense"], "HOST:PORT"),
    (["client", "127.0.0.1:1"], "cannot connect"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line(args, needle, tmp_path):
    result = _run(args, env=dict(os.environ, XDG_CACHE_HOME=str(tmp_path)))
    assert result.returncode != 0
    assert needle in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_mismatched_cert_and_key(pki, tmp_path):
    result = _run(["server", "--cert", str(pki.rsa_cert), "--key", str(pki.ecdsa_key)],
                  env=dict(os.environ, XDG_CACHE_HOME=str(tmp_path)))
    assert result.returncode != 0 and result.stderr.strip().count("\n") == 0
    assert "cannot load certificate" in result.stderr
