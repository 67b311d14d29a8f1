# tlslite-ng peers for the interop tests and benchmarks: a threaded tlslite server on
# 127.0.0.1 that echoes application data, a blocking tlslite client, and HandshakeSettings
# pinned to TLS 1.2 and one IANA suite. Each returns a TLSLiteView of what tlslite negotiated
# (suite, EMS, EtM, ALPN, resumption, the peer's chain) so tests can assert both ends.
# Threads are joined with a timeout and sockets carry timeouts (see _peers.py).
from __future__ import annotations

import contextlib
import pathlib
import socket
import threading
import time
from dataclasses import dataclass, field

from _peers import DEFAULT_TIMEOUT, HOST, require_tlslite


# tlslite's curve list must include the ECDSA certificate's curve (RFC 4492 §5.1).
CURVES = ["x25519", "secp256r1", "secp384r1"]

_TLSLITE_CIPHER = {"AES-128-GCM": "aes128gcm", "AES-256-GCM": "aes256gcm",
                   "CHACHA20-POLY1305": "chacha20-poly1305", "AES-128-CBC": "aes128",
                   "AES-256-CBC": "aes256"}
_TLSLITE_MAC = {None: "aead", "sha1": "sha", "sha256": "sha256", "sha384": "sha384"}
_TLSLITE_KX = {("ECDHE", "RSA"): "ecdhe_rsa", ("ECDHE", "ECDSA"): "ecdhe_ecdsa",
               ("DHE", "RSA"): "dhe_rsa", ("RSA", "RSA"): "rsa"}


def tlslite_settings(suite: str | None = None, *, curves=None, dh_groups=None, ems=True,
                     encrypt_then_mac=True):
    """TLS-1.2-only tlslite HandshakeSettings, optionally pinned to one IANA suite.

    Args:
        suite: IANA suite name; None leaves tlslite's defaults.
        curves: tlslite curve names ("x25519", "secp256r1", "secp384r1").
        dh_groups: RFC 7919 group names ("ffdhe2048", "ffdhe3072").
        ems: offer / accept extended master secret (RFC 7627).
        encrypt_then_mac: offer / accept RFC 7366.
    """
    from tls12fast.suites import BY_NAME

    api = require_tlslite()
    s = api.HandshakeSettings()
    s.minVersion = s.maxVersion = (3, 3)
    if suite is not None:
        row = BY_NAME[suite]
        s.cipherNames = [_TLSLITE_CIPHER[row.cipher]]
        s.macNames = [_TLSLITE_MAC[row.mac]]
        s.keyExchangeNames = [_TLSLITE_KX[(row.kx, row.auth)]]
    if curves is not None:
        s.eccCurves = list(curves)
        s.defaultCurve = curves[0]
    if dh_groups is not None:
        s.dhGroups = list(dh_groups)
    s.keyShares = []  # TLS 1.3 only; must name enabled groups
    s.useExtendedMasterSecret = ems
    s.useEncryptThenMAC = encrypt_then_mac
    return s


def tlslite_credentials(cert, key):
    """(X509CertChain, private key) for tlslite from PEM files."""
    api = require_tlslite()
    chain = api.X509CertChain()
    chain.parsePemList(pathlib.Path(cert).read_text(encoding="ascii"))
    return chain, api.parsePEMKey(pathlib.Path(key).read_text(encoding="ascii"), private=True)


@dataclass
class TLSLiteView:
    """What a tlslite-ng connection negotiated and received."""

    cipher_suite: str | None = None  # IANA name
    version: tuple | None = None
    extended_master_secret: bool | None = None
    encrypt_then_mac: bool | None = None
    alpn_protocol: bytes | None = None
    resumed: bool | None = None
    peer_chain: list[bytes] = field(default_factory=list)  # DER, leaf first
    session: object = None
    received: bytes = b""
    error: BaseException | None = None

    def capture(self, conn, peer_chain) -> None:
        from tlslite.constants import CipherSuite

        self.session = conn.session
        self.cipher_suite = CipherSuite.ietfNames.get(conn.session.cipherSuite)
        self.version = tuple(conn.version)
        self.extended_master_secret = bool(conn.session.extendedMasterSecret)
        self.encrypt_then_mac = bool(conn.session.encryptThenMAC)
        proto = conn.session.appProto
        self.alpn_protocol = bytes(proto) if proto else None
        self.resumed = bool(conn.resumed)
        if peer_chain is not None:
            self.peer_chain = [bytes(c.bytes) for c in peer_chain.x509List]


def _tlslite_echo(conn, view: TLSLiteView) -> None:
    while True:
        data = conn.recv(65536)
        if not data:
            break
        view.received += bytes(data)
        conn.sendall(bytes(data))


class TLSLiteServer:
    """A tlslite-ng server on 127.0.0.1 in a thread, echoing application data.

    Serves up to `max_connections` connections in turn and records a `TLSLiteView` per
    connection in `.views` (its `.peer_chain` is the client's certificate chain).
    """

    def __init__(self, cert, key, *, settings=None, req_cert=False, alpn=None, session_cache=None,
                 max_connections=1, timeout=DEFAULT_TIMEOUT):
        api = require_tlslite()
        self._api = api
        self.chain, self.key = tlslite_credentials(cert, key)
        self.settings = settings if settings is not None else tlslite_settings()
        self.req_cert = req_cert
        self.alpn = [p.encode() if isinstance(p, str) else p for p in alpn] if alpn else None
        self.session_cache = session_cache
        self.max_connections = max_connections
        self.timeout = timeout
        self.views: list[TLSLiteView] = []
        self._listener = socket.socket()
        self._listener.bind((HOST, 0))
        self._listener.listen(8)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._run, name="tlslite-server", daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + self.timeout
        while len(self.views) < self.max_connections and time.monotonic() < deadline:
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            view = TLSLiteView()
            self.views.append(view)
            sock.settimeout(self.timeout)
            conn = self._api.TLSConnection(sock)
            try:
                conn.handshakeServer(certChain=self.chain, privateKey=self.key, reqCert=self.req_cert,
                                     settings=self.settings, alpn=self.alpn,
                                     sessionCache=self.session_cache)
                view.capture(conn, conn.session.clientCertChain)
                _tlslite_echo(conn, view)
            except Exception as exc:  # recorded for the test to assert on
                view.error = exc
            finally:
                with contextlib.suppress(Exception):
                    conn.close()
                sock.close()

    def __enter__(self) -> "TLSLiteServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._thread.join(timeout=self.timeout)
        self._listener.close()


def tlslite_connect(port, *, settings=None, server_name="localhost", cert=None, key=None, alpn=None,
                    session=None, data=b"", expect_len=None, timeout=DEFAULT_TIMEOUT) -> TLSLiteView:
    """Handshake a tlslite-ng client with 127.0.0.1:`port`, send `data`, read the echo.

    tlslite does not verify the server's chain; the test compares `.peer_chain` with the
    certificate the server was given. Exceptions propagate.
    """
    api = require_tlslite()
    view = TLSLiteView()
    chain = private = None
    if cert:
        chain, private = tlslite_credentials(cert, key)
    protos = [p.encode() if isinstance(p, str) else p for p in alpn] if alpn else None
    want = len(data) if expect_len is None else expect_len
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        conn = api.TLSConnection(sock)
        conn.handshakeClientCert(certChain=chain, privateKey=private, session=session,
                                 settings=settings if settings is not None else tlslite_settings(),
                                 serverName=server_name, alpn=protos)
        view.capture(conn, conn.session.serverCertChain)
        if data:
            conn.sendall(data)
        while len(view.received) < want:
            chunk = conn.recv(65536)
            if not chunk:
                break
            view.received += bytes(chunk)
        conn.close()
    return view
