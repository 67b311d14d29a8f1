# Real TLS peers for the interop tests: the `openssl` CLI (s_server / s_client run as
# subprocesses on 127.0.0.1) and tls12fast's own sans-IO connections pumped over real
# blocking sockets (tlslite-ng lives in _tlslite_peer.py), plus the shared suite matrix.
#
# Every peer is bounded in time: subprocesses get a deadline and are killed by their PID
# (never by name), threads are joined with a timeout, sockets carry timeouts, servers bind
# 127.0.0.1 only. Each helper returns what the peer *saw* (cipher suite, EMS, ALPN, session
# reuse, data received) so a test can assert the negotiation on both sides.
#
# How the OpenSSL side is observed: s_server runs with `-trace -msgfile`, and its ServerHello
# (RFC 5246 §7.4.1.3) shows the chosen suite (IANA name) and whether it echoed
# extended_master_secret (RFC 7627 §5.1); `-naccept N` makes it exit by itself (flushing its
# output) after N connections. s_client's session summary gives the same from the client.
from __future__ import annotations

import contextlib
import os
import pathlib
import re
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

import pytest

OPENSSL = shutil.which("openssl")
HOST = "127.0.0.1"
DEFAULT_TIMEOUT = 15.0


def require_openssl() -> str:
    """Skip (loudly) unless the `openssl` CLI is installed; return its path."""
    if not OPENSSL:
        pytest.skip("OPENSSL CLI NOT FOUND: install the `openssl` binary to run these interop tests")
    return OPENSSL


def require_tlslite():
    """Skip (loudly) unless tlslite-ng is importable; return `tlslite.api`."""
    try:
        import tlslite.api as api
    except ImportError:
        pytest.skip("TLSLITE-NG NOT INSTALLED: `pip install tlslite-ng` to run these interop tests")
    return api


# ---------------------------------------------------------------------------------------
# Names: IANA <-> OpenSSL cipher names, straight from `openssl ciphers -stdname`.

_OPENSSL_NAMES: dict[str, str] | None = None


def openssl_cipher_names() -> dict[str, str]:
    """Map IANA suite names to OpenSSL's names (TLS 1.2 suites this binary knows)."""
    global _OPENSSL_NAMES
    if _OPENSSL_NAMES is None:
        out = subprocess.run(
            [require_openssl(), "ciphers", "-stdname", "-tls1_2", "ALL:@SECLEVEL=0"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
        _OPENSSL_NAMES = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[1] == "-":
                _OPENSSL_NAMES[parts[0]] = parts[2]
    return _OPENSSL_NAMES


def iana_name(openssl_name: str) -> str | None:
    """The IANA name of an OpenSSL cipher name (None if unknown)."""
    for iana, ossl in openssl_cipher_names().items():
        if ossl == openssl_name:
            return iana
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _chain_rest(chain_file, directory: str) -> str | None:
    """Write the certificates after the leaf of a PEM chain file to `directory`.

    s_server / s_client `-cert` load only the first certificate; the rest goes to
    `-cert_chain`. Returns that file's path, or None for a lone certificate.
    """
    pem = pathlib.Path(chain_file).read_text(encoding="ascii")
    end = "-----END CERTIFICATE-----"
    certs = [c + end + "\n" for c in pem.split(end) if "-----BEGIN CERTIFICATE-----" in c]
    if len(certs) < 2:
        return None
    path = os.path.join(directory, "chain-rest.pem")
    with open(path, "w", encoding="ascii") as f:
        f.write("".join(certs[1:]))
    return path


def _wait_until(predicate, timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def _end_process(proc: subprocess.Popen, grace: float) -> None:
    """Wait up to `grace` seconds for `proc` to exit, then kill it by its PID."""
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


# ---------------------------------------------------------------------------------------
# Test matrix and tls12fast configs shared by the interop modules

# Every suite family: ECDHE-ECDSA / ECDHE-RSA x (GCM, ChaCha20, CBC-SHA256/384, CBC-SHA),
# DHE-RSA x (GCM, ChaCha20, CBC), RSA key exchange x (GCM, CBC).
SUITES = [
    f"TLS_{kx}_WITH_{c}"
    for kx in ("ECDHE_ECDSA", "ECDHE_RSA")
    for c in ("AES_128_GCM_SHA256", "AES_256_GCM_SHA384", "CHACHA20_POLY1305_SHA256",
              "AES_128_CBC_SHA256", "AES_256_CBC_SHA384", "AES_128_CBC_SHA", "AES_256_CBC_SHA")
] + [
    f"TLS_DHE_RSA_WITH_{c}"
    for c in ("AES_128_GCM_SHA256", "AES_256_GCM_SHA384", "CHACHA20_POLY1305_SHA256",
              "AES_128_CBC_SHA256", "AES_256_CBC_SHA256", "AES_128_CBC_SHA", "AES_256_CBC_SHA")
] + [
    f"TLS_RSA_WITH_{c}"
    for c in ("AES_128_GCM_SHA256", "AES_256_GCM_SHA384", "AES_128_CBC_SHA256",
              "AES_256_CBC_SHA256", "AES_128_CBC_SHA", "AES_256_CBC_SHA")
]


@pytest.fixture(scope="module")
def keys(pki):
    """Fixture: the server CertifiedKeys by key type ("RSA", "ECDSA")."""
    import tls12fast as t

    return {
        "RSA": t.CertifiedKey.load(str(pki.rsa_cert), str(pki.rsa_key)),
        "ECDSA": t.CertifiedKey.load(str(pki.ecdsa_cert), str(pki.ecdsa_key)),
    }


def cert_files(pki, suite: str):
    """(chain, key) PEM paths of the certificate that can serve `suite`."""
    if "_ECDSA_" in suite:
        return pki.ecdsa_cert, pki.ecdsa_key
    return pki.rsa_cert, pki.rsa_key


def client_config(pki, twin, **kw):
    """A ClientConfig trusting the test CA, on `twin`, resumption off unless asked."""
    import tls12fast as t

    kw.setdefault("session_store", None)
    return t.ClientConfig(cafile=str(pki.ca_file), backend=twin.name, **kw)


def server_config(keys, twin, key_type="RSA", **kw):
    """A ServerConfig with one certificate, on `twin`, resumption off unless asked."""
    import tls12fast as t

    kw.setdefault("session_cache", None)
    kw.setdefault("tickets", None)
    return t.ServerConfig([keys[key_type]], backend=twin.name, **kw)


# ---------------------------------------------------------------------------------------
# openssl s_server


@dataclass
class ServerHelloView:
    """What an OpenSSL peer's trace shows about one ServerHello."""

    cipher_suite: str | None = None
    extensions: list[str] = field(default_factory=list)

    @property
    def extended_master_secret(self) -> bool:
        return "extended_master_secret" in self.extensions


_TRACE_SUITE = re.compile(r"cipher_suite \{0x[0-9A-F]{2}, 0x[0-9A-F]{2}\} (\S+)")
_TRACE_EXT = re.compile(r"extension_type=([a-z_]+)\(")


def parse_trace_server_hellos(trace: str) -> list[ServerHelloView]:
    """ServerHello summaries, in order, from an `openssl -trace` transcript.

    The trace prints each handshake message at a 4-space indent, its fields deeper.
    """
    hellos: list[ServerHelloView] = []
    current = None
    for line in trace.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        if indent == 4 and line.strip():
            current = ServerHelloView() if line.strip().startswith("ServerHello,") else None
            if current is not None:
                hellos.append(current)
        elif indent == 0 and line.strip():
            current = None
        elif current is not None:
            m = _TRACE_SUITE.search(line)
            if m:
                current.cipher_suite = m.group(1)
            m = _TRACE_EXT.search(line)
            if m:
                current.extensions.append(m.group(1))
    return hellos


def parse_trace_handshakes(trace: str) -> list[list[tuple[str, str]]]:
    """Handshake messages per connection from an `openssl -trace` transcript.

    Returns one list per ClientHello, of ("sent" | "received", message name) pairs, so
    `("sent", "Certificate") not in handshake` tells an abbreviated (resumed) handshake.
    """
    handshakes: list[list[tuple[str, str]]] = []
    direction = None
    for line in trace.splitlines():
        if line.startswith(("Sent Record", "Received Record")):
            direction = "sent" if line.startswith("Sent") else "received"
            continue
        if len(line) - len(line.lstrip(" ")) == 4 and "," in line:
            name = line.strip().split(",")[0]
            if name == "ClientHello":
                handshakes.append([])
            if handshakes and name.isalpha():
                handshakes[-1].append((direction, name))
    return handshakes


def reversed_line(line: bytes) -> bytes:
    """What `s_server -rev` sends back for one newline-terminated line."""
    return line[:-1][::-1] + b"\n"


class OpenSSLServer:
    """`openssl s_server` on 127.0.0.1 as a context manager.

    Args:
        cert, key: server certificate chain and key (PEM paths).
        mode: "rev" (echo each line reversed), "www" (HTTP status page) or "plain".
        cafile: CA for client certificates; with `verify_client` "optional" (-verify)
            or "required" (-Verify).
        ciphers: IANA suite names to allow (translated to OpenSSL names).
        alpn: protocols to offer, e.g. ["h2", "http/1.1"].
        no_ticket: disable RFC 5077 tickets.
        naccept: exit by itself after this many connections.
        groups: e.g. "X25519:P-256".
        extra: further raw s_server arguments.

    After the `with` block: `.stdout`, `.stderr`, `.trace` (text) and `.server_hellos`.
    """

    def __init__(self, cert, key, *, mode="rev", cafile=None, verify_client=None, ciphers=None,
                 alpn=None, no_ticket=False, naccept=1, groups=None, extra=(), timeout=DEFAULT_TIMEOUT):
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="tls12fast-s_server-")
        self._trace_path = os.path.join(self._dir.name, "trace.txt")
        args = [require_openssl(), "s_server", "-accept", f"{HOST}:{self.port}", "-tls1_2",
                "-cert", str(cert), "-key", str(key), "-naccept", str(naccept),
                "-trace", "-msgfile", self._trace_path]
        rest = _chain_rest(cert, self._dir.name)
        if rest:
            args += ["-cert_chain", rest]
        if mode == "rev":
            args.append("-rev")
        elif mode == "www":
            args.append("-www")
        if cafile:
            args += ["-CAfile", str(cafile)]
        if verify_client == "optional":
            args += ["-verify", "4", "-verify_return_error"]
        elif verify_client == "required":
            args += ["-Verify", "4", "-verify_return_error"]
        if ciphers:
            names = openssl_cipher_names()
            args += ["-cipher", ":".join(names[c] for c in ciphers) + ":@SECLEVEL=0"]
        if alpn:
            args += ["-alpn", ",".join(alpn)]
        if no_ticket:
            args.append("-no_ticket")
        if groups:
            args += ["-groups", groups]
        self.args = args + list(extra)
        self.timeout = timeout
        self.stdout = self.stderr = self.trace = ""
        self.proc: subprocess.Popen | None = None

    def _read(self, name: str) -> str:
        path = os.path.join(self._dir.name, name)
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def __enter__(self) -> "OpenSSLServer":
        out = open(os.path.join(self._dir.name, "stdout"), "wb")
        err = open(os.path.join(self._dir.name, "stderr"), "wb")
        with out, err:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        # s_server prints ACCEPT once it listens.
        if not _wait_until(lambda: "ACCEPT" in self._read("stdout") or self.proc.poll() is not None, 10):
            self.__exit__(None, None, None)
            raise RuntimeError(f"openssl s_server did not start: {self._read('stderr')}")
        if self.proc.poll() is not None:
            self._collect()
            raise RuntimeError(f"openssl s_server exited: {self.stderr}")
        return self

    def _collect(self) -> None:
        self.stdout = self._read("stdout")
        self.stderr = self._read("stderr")
        self.trace = self._read("trace.txt")

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            _end_process(self.proc, grace=5)
        self._collect()
        self._dir.cleanup()

    @property
    def server_hellos(self) -> list[ServerHelloView]:
        return parse_trace_server_hellos(self.trace)

    @property
    def handshakes(self) -> list[list[tuple[str, str]]]:
        return parse_trace_handshakes(self.trace)

    def resumed(self) -> list[bool]:
        """Per connection: did the server skip its Certificate (abbreviated handshake)?"""
        return [("sent", "Certificate") not in hs for hs in self.handshakes]

    def describe(self) -> str:
        """Diagnostics for assertion messages."""
        return f"s_server {' '.join(self.args[1:])}\nstdout:\n{self.stdout[-3000:]}\nstderr:\n{self.stderr[-3000:]}"


# ---------------------------------------------------------------------------------------
# openssl s_client


@dataclass
class OpenSSLClientResult:
    """Parsed `openssl s_client` output."""

    returncode: int
    stdout: str
    stderr: str
    cipher_suite: str | None  # IANA name
    reused: bool | None  # "Reused, ..." vs "New, ..."
    extended_master_secret: bool | None
    alpn_protocol: str | None
    verify_code: int | None
    protocol: str | None

    def describe(self) -> str:
        return f"rc={self.returncode}\nstdout:\n{self.stdout[-3000:]}\nstderr:\n{self.stderr[-3000:]}"


def parse_s_client(returncode: int, stdout: str, stderr: str) -> OpenSSLClientResult:
    """Pick the negotiated parameters out of s_client's session summary."""
    m = re.search(r"^(New|Reused), (\S+), Cipher is (\S+)", stdout, re.M)
    reused = cipher = None
    if m:
        reused = m.group(1) == "Reused"
        cipher = iana_name(m.group(3)) or m.group(3)
    m = re.search(r"^\s*Protocol\s*: (\S+)", stdout, re.M)
    protocol = m.group(1) if m else None
    m = re.search(r"Extended master secret: (yes|no)", stdout)
    ems = None if m is None else m.group(1) == "yes"
    m = re.search(r"^ALPN protocol: (\S+)", stdout, re.M)
    alpn = m.group(1) if m else None
    m = re.search(r"Verify return code: (\d+)", stdout)
    verify = int(m.group(1)) if m else None
    return OpenSSLClientResult(returncode, stdout, stderr, cipher, reused, ems, alpn, verify, protocol)


def run_openssl_client(port, *, cafile=None, servername="localhost", data=b"", expect=None,
                       sess_out=None, sess_in=None, no_ticket=False, cert=None, key=None,
                       alpn=None, ciphers=None, groups=None, extra=(), timeout=DEFAULT_TIMEOUT):
    """Run `openssl s_client` against 127.0.0.1:`port`, send `data`, wait for `expect`.

    s_client's stdin stays open until `expect` (bytes) shows up in its output (or, without
    `expect`, until the handshake summary does); closing stdin then makes it send
    close_notify and exit. Returns an `OpenSSLClientResult`.
    """
    args = [require_openssl(), "s_client", "-connect", f"{HOST}:{port}", "-tls1_2"]
    if cafile:
        args += ["-CAfile", str(cafile), "-verify_return_error"]
    if servername:
        args += ["-servername", servername]
    if sess_out:
        args += ["-sess_out", str(sess_out)]
    if sess_in:
        args += ["-sess_in", str(sess_in)]
    if no_ticket:
        args.append("-no_ticket")
    if alpn:
        args += ["-alpn", ",".join(alpn)]
    if ciphers:
        names = openssl_cipher_names()
        args += ["-cipher", ":".join(names[c] for c in ciphers) + ":@SECLEVEL=0"]
    if groups:
        args += ["-groups", groups]
    with contextlib.ExitStack() as stack:
        if cert:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="tls12fast-s_client-"))
            args += ["-cert", str(cert), "-key", str(key)]
            rest = _chain_rest(cert, tmp)
            if rest:
                args += ["-cert_chain", rest]
        return _run_s_client(args + list(extra), data, expect, timeout)


def _run_s_client(args, data, expect, timeout) -> OpenSSLClientResult:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=out, stderr=err)

        def output() -> bytes:
            # pread, not seek+read: s_client writes through the same open file description,
            # so moving its offset would make s_client overwrite what it wrote before.
            return os.pread(out.fileno(), os.fstat(out.fileno()).st_size, 0)

        marker = expect if expect is not None else b"\n---\n"
        try:
            # Wait for the session summary first, so `data` goes out after the handshake.
            _wait_until(lambda: b"SSL-Session:" in output() or proc.poll() is not None, timeout)
            if data and proc.poll() is None:
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.write(data)
                    proc.stdin.flush()
            _wait_until(lambda: output().count(marker) >= 1 and b"SSL-Session:" in output()
                        or proc.poll() is not None, timeout)
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
            _end_process(proc, grace=5)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
        err.seek(0)
        return parse_s_client(proc.returncode, output().decode("utf-8", "replace"),
                              err.read().decode("utf-8", "replace"))


# ---------------------------------------------------------------------------------------
# tls12fast over real sockets


@dataclass
class PeerView:
    """What one tls12fast connection negotiated and received."""

    cipher_suite: str | None = None
    extended_master_secret: bool | None = None
    alpn_protocol: str | bytes | None = None
    resumption: str | None = None
    peer_certificates: object = None
    session: object = None
    received: bytes = b""
    clean_close: bool | None = None
    error: BaseException | None = None

    def capture(self, conn) -> None:
        self.cipher_suite = conn.cipher_suite
        self.extended_master_secret = conn.extended_master_secret
        self.alpn_protocol = conn.alpn_protocol
        self.resumption = conn.resumption
        self.peer_certificates = getattr(conn, "peer_certificates", None)
        self.session = getattr(conn, "session", None)


def _feed(conn, sock, data: bytes, view: PeerView, on_data=None) -> bool:
    """Feed `data` to `conn`, flush its output; True once the connection is closed."""
    import tls12fast as t

    closed = False
    try:
        events = conn.receive_data(data)
    finally:
        out = conn.data_to_send()
        if out:
            with contextlib.suppress(OSError):
                sock.sendall(out)
    for ev in events:
        if isinstance(ev, t.HandshakeComplete):
            view.capture(conn)
        elif isinstance(ev, t.ApplicationData):
            view.received += ev.data
            if on_data is not None:
                on_data(conn, ev.data)
        elif isinstance(ev, t.ConnectionClosed):
            view.clean_close = ev.clean
            closed = True
    out = conn.data_to_send()
    if out:
        sock.sendall(out)
    return closed or data == b""


def echo(conn, data: bytes) -> None:
    """Server handler: send every piece of application data straight back.

    Data that arrives in the same read as the peer's close_notify cannot be echoed any more
    (our side has answered close_notify already), so it is only recorded.
    """
    if not conn.closed:
        conn.send(data)


class _Outbox:
    """Socket stand-in for `_feed` that queues output instead of blocking in sendall.

    The serve loop sends it only when the socket is writable and keeps reading meanwhile,
    so a peer that writes a lot before it reads (s_client piping 100 KB of stdin) cannot
    deadlock the echo against full TCP buffers in both directions.
    """

    def __init__(self) -> None:
        self.pending = bytearray()

    def sendall(self, data: bytes) -> None:
        self.pending += data


def _serve_one(config, sock, handler, view: PeerView) -> None:
    import tls12fast as t

    conn = t.ServerConnection(config)
    outbox = _Outbox()
    idle = sock.gettimeout()
    closed = False
    try:
        while not closed or outbox.pending:
            readable, writable, _ = select.select([] if closed else [sock],
                                                  [sock] if outbox.pending else [], [], idle)
            if not readable and not writable:
                raise TimeoutError(f"peer idle for {idle} s")
            if writable:
                del outbox.pending[:sock.send(outbox.pending)]
            if readable:
                closed = _feed(conn, outbox, sock.recv(65536), view, handler)
        with contextlib.suppress(Exception):
            conn.close()
            sock.sendall(conn.data_to_send())
    except Exception as exc:  # recorded for the test to assert on
        view.error = exc
        with contextlib.suppress(OSError):  # e.g. the fatal alert the failure queued
            sock.sendall(outbox.pending)


class TLS12FastServer:
    """A tls12fast ServerConnection behind a real 127.0.0.1 socket, in a thread.

    Accepts up to `max_connections` connections one after another (each handled with
    `handler(conn, data)` for application data, default: echo) and records a `PeerView`
    per connection in `.views`.
    """

    def __init__(self, config, handler=echo, max_connections=1, timeout=DEFAULT_TIMEOUT):
        self.config = config
        self.handler = handler
        self.max_connections = max_connections
        self.timeout = timeout
        self.views: list[PeerView] = []
        self._listener = socket.socket()
        self._listener.bind((HOST, 0))
        self._listener.listen(8)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tls12fast-server", daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + self.timeout
        while len(self.views) < self.max_connections and not self._stop.is_set():
            if time.monotonic() > deadline:
                return
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            view = PeerView()
            self.views.append(view)
            with sock:
                sock.settimeout(self.timeout)
                _serve_one(self.config, sock, self.handler, view)

    def __enter__(self) -> "TLS12FastServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.wait(5)
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def wait(self, timeout: float) -> bool:
        """Wait until every expected connection was served (or `timeout`)."""
        self._thread.join(timeout=timeout)
        return not self._thread.is_alive()


def serve_tls12fast(config, handler=echo, max_connections=1, timeout=DEFAULT_TIMEOUT) -> TLS12FastServer:
    """See `TLS12FastServer`; use as `with serve_tls12fast(cfg) as srv: ... srv.port`."""
    return TLS12FastServer(config, handler, max_connections, timeout)


def connect_tls12fast(config, host=HOST, port=0, server_name="localhost", *, data=b"",
                      expect_len=None, session=None, close=True, timeout=DEFAULT_TIMEOUT) -> PeerView:
    """Handshake a tls12fast ClientConnection over a blocking socket.

    Sends `data` after the handshake and reads until `expect_len` bytes of application data
    arrived (default: len(data)), then closes with close_notify. Exceptions propagate
    (after the alert the connection queued was written to the socket).
    """
    import tls12fast as t

    view = PeerView()
    conn = t.ClientConnection(config, server_name=server_name, session=session)
    want = len(data) if expect_len is None else expect_len
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(conn.data_to_send())
        closed = False
        while not conn.handshake_complete and not closed:
            closed = _feed(conn, sock, sock.recv(65536), view)
        if not conn.handshake_complete:
            raise ConnectionError("peer closed the connection during the handshake")
        if view.cipher_suite is None:
            view.capture(conn)
        if data:
            conn.send(data)
            sock.sendall(conn.data_to_send())
        while len(view.received) < want and not closed:
            closed = _feed(conn, sock, sock.recv(65536), view)
        if close and not closed:
            conn.close()
            with contextlib.suppress(OSError):
                sock.sendall(conn.data_to_send())
        view.session = getattr(conn, "session", None)
    return view

