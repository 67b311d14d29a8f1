# tls12fast <-> the stdlib ssl module (OpenSSL), both directions, in memory (MemoryBIO +
# SSLObject) and over real sockets on 127.0.0.1. Every suite we implement is run against
# OpenSSL with the certificate type it needs, on both twins; then ALPN, client
# certificates both ways and app data echoed both ways, asserting what each side
# negotiated. OpenSSL is pinned to TLS 1.2 (maximum_version) and to the one suite.
from __future__ import annotations

import socket
import ssl
import threading
import warnings

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dh
from cryptography.utils import CryptographyDeprecationWarning

import tls12fast as t
from tls12fast.suites import ALL_SUITES, BY_NAME

from _pair import server_key

pytestmark = pytest.mark.interop

# RFC 3526 group 14 (2048-bit MODP): a well-known safe prime that is *not* an RFC 7919
# ffdhe group, so our client takes the "server's own DH parameters" path.
_MODP2048 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA4836"
    "1C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804"
    "F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6"
    "955817183995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF", 16)


def _openssl_names() -> dict[int, str]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    return {c["id"] & 0xFFFF: c["name"] for c in ctx.get_ciphers()}


OPENSSL = _openssl_names()
SUITES = [s for s in ALL_SUITES if s.code in OPENSSL]


@pytest.fixture(scope="module")
def dh_file(tmp_path_factory):
    with warnings.catch_warnings():  # cryptography >= 49 deprecates finite-field DH
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        numbers = dh.DHParameterNumbers(_MODP2048, 2)
    pem = numbers.parameters().parameter_bytes(
        serialization.Encoding.PEM, serialization.ParameterFormat.PKCS3)
    path = tmp_path_factory.mktemp("dh") / "modp2048.pem"
    path.write_bytes(pem)
    return str(path)


def _stdlib_server_ctx(pki, cert, suite=None, dh_file=None, alpn=None, verify_client=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(getattr(pki, f"{cert}_cert"), getattr(pki, f"{cert}_key"))
    if suite is not None:
        ctx.set_ciphers(OPENSSL[suite.code] + ":@SECLEVEL=0")
    if dh_file is not None:
        ctx.load_dh_params(dh_file)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if verify_client:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(pki.ca_file)
    return ctx


def _stdlib_client_ctx(pki, suite=None, alpn=None, client_cert=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(pki.ca_file)
    if suite is not None:
        ctx.set_ciphers(OPENSSL[suite.code] + ":@SECLEVEL=0")
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if client_cert:
        ctx.load_cert_chain(getattr(pki, f"{client_cert}_cert"), getattr(pki, f"{client_cert}_key"))
    return ctx


class MemoryPeer:
    """A stdlib SSLObject on two MemoryBIOs, driven next to one of our connections."""

    def __init__(self, ctx, server_side: bool):
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.incoming, self.outgoing, server_side=server_side,
                                server_hostname=None if server_side else "localhost")
        self.done = False

    def run(self, ours) -> list:
        """Pump until both handshakes are done; returns our events."""
        events = []
        for _ in range(50):
            if not self.done:
                try:
                    self.obj.do_handshake()
                    self.done = True
                except ssl.SSLWantReadError:
                    pass
            moved = False
            out = self.outgoing.read()
            if out:
                moved = True
                events += ours.receive_data(out)
            data = ours.data_to_send()
            if data:
                moved = True
                self.incoming.write(data)
            if not moved and self.done and ours.handshake_complete:
                return events
        raise AssertionError("handshake with stdlib ssl did not finish")

    def echo(self, ours, payload: bytes) -> bytes:
        """Send payload from our side, read it in stdlib, send it back, return what we got."""
        ours.send(payload)
        self.incoming.write(ours.data_to_send())
        received = b""
        while len(received) < len(payload):
            received += self.obj.read(65536)
        assert received == payload
        self.obj.write(received)
        back = b""
        for event in ours.receive_data(self.outgoing.read()):
            if isinstance(event, t.ApplicationData):
                back += event.data
        return back


def _our_server(pki, twin, suite=None, **kw):
    certs = [server_key(pki, "rsa"), server_key(pki, "ecdsa")]
    if suite is not None:
        kw["cipher_suites"] = [suite.name]
    return t.ServerConnection(t.ServerConfig(certificates=certs, backend=twin.name, **kw))


def _our_client(pki, twin, suite=None, **kw):
    if suite is not None:
        kw["cipher_suites"] = [suite.name]
    return t.ClientConnection(t.ClientConfig(cafile=str(pki.ca_file), backend=twin.name, **kw),
                              server_name="localhost")


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_stdlib_client_to_our_server(pki, twin, suite):
    ours = _our_server(pki, twin, suite)
    peer = MemoryPeer(_stdlib_client_ctx(pki, suite), server_side=False)
    events = peer.run(ours)
    assert events == [t.HandshakeComplete("full")]
    assert ours.cipher_suite == suite.name
    assert peer.obj.cipher()[0] == OPENSSL[suite.code]
    assert peer.obj.version() == "TLSv1.2"
    assert ours.extended_master_secret  # OpenSSL offers RFC 7627 by default
    assert peer.echo(ours, b"ping" * 5000) == b"ping" * 5000


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_our_client_to_stdlib_server(pki, twin, suite, dh_file):
    cert = "ecdsa" if suite.auth == "ECDSA" else "rsa"
    ours = _our_client(pki, twin, suite)
    peer = MemoryPeer(_stdlib_server_ctx(pki, cert, suite, dh_file=dh_file), server_side=True)
    events = peer.run(ours)
    assert events == [t.HandshakeComplete("full")]
    assert ours.cipher_suite == suite.name
    assert peer.obj.cipher()[0] == OPENSSL[suite.code]
    assert ours.extended_master_secret
    assert ours.peer_certificates[0].subject.rfc4514_string().startswith("CN=localhost")
    assert peer.echo(ours, b"pong" * 9000) == b"pong" * 9000


def test_default_tls13_capable_stdlib_client(pki, twin):
    # OpenSSL offers TLS 1.3 and checks the RFC 8446 §4.1.3 downgrade sentinel.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(pki.ca_file)
    ours = _our_server(pki, twin)
    peer = MemoryPeer(ctx, server_side=False)
    peer.run(ours)
    assert peer.obj.version() == "TLSv1.2"
    assert peer.echo(ours, b"negotiated down") == b"negotiated down"


def test_alpn_both_directions(pki, twin):
    ours = _our_server(pki, twin, alpn_protocols=["h2", "http/1.1"])
    peer = MemoryPeer(_stdlib_client_ctx(pki, alpn=["http/1.1", "h2"]), server_side=False)
    peer.run(ours)
    assert ours.alpn_protocol == "h2" and peer.obj.selected_alpn_protocol() == "h2"

    ours = _our_client(pki, twin, alpn_protocols=["http/1.1", "h2"])
    peer = MemoryPeer(_stdlib_server_ctx(pki, "rsa", alpn=["h2", "http/1.1"]), server_side=True)
    peer.run(ours)
    assert ours.alpn_protocol == peer.obj.selected_alpn_protocol()
    assert ours.alpn_protocol in ("h2", "http/1.1")


@pytest.mark.parametrize("client_cert", ["client_rsa", "client_ecdsa"])
def test_stdlib_client_certificate_to_our_server(pki, twin, client_cert):
    ours = _our_server(pki, twin, client_auth="required", client_ca=str(pki.ca_file))
    peer = MemoryPeer(_stdlib_client_ctx(pki, client_cert=client_cert), server_side=False)
    peer.run(ours)
    assert ours.peer_certificates
    assert "client" in ours.peer_certificates[0].subject.rfc4514_string()
    assert peer.echo(ours, b"authenticated") == b"authenticated"


@pytest.mark.parametrize("client_cert", ["client_rsa", "client_ecdsa"])
def test_our_client_certificate_to_stdlib_server(pki, twin, client_cert):
    key = t.CertifiedKey.load(getattr(pki, f"{client_cert}_cert"), getattr(pki, f"{client_cert}_key"))
    ours = _our_client(pki, twin, certificate=key)
    peer = MemoryPeer(_stdlib_server_ctx(pki, "rsa", verify_client=True), server_side=True)
    peer.run(ours)
    assert peer.obj.getpeercert()["subject"]
    assert peer.echo(ours, b"mutual") == b"mutual"


# --------------------------------------------------------------------------- sockets


def _pump_socket(sock, ours, until) -> list:
    """Drive one of our connections over a socket until until(events) is true."""
    events = []
    sock.settimeout(10)
    while True:
        data = ours.data_to_send()
        if data:
            sock.sendall(data)
        if until(events):
            return events
        chunk = sock.recv(65536)
        events += ours.receive_data(chunk)
        if not chunk:
            return events


def _serve_stdlib(listener, ctx, result):
    conn, _ = listener.accept()
    try:
        with ctx.wrap_socket(conn, server_side=True) as tls:
            data = b""
            while not data.endswith(b"\n"):
                data += tls.recv(65536)
            tls.sendall(data.upper())
            result["cipher"] = tls.cipher()[0]
            result["alpn"] = tls.selected_alpn_protocol()
            result["peer"] = tls.getpeercert()
            tls.unwrap()
    except Exception as exc:  # reported by the test thread
        result["error"] = exc


@pytest.mark.parametrize("cert", ["rsa", "ecdsa"])
def test_our_client_to_stdlib_server_socket(pki, twin, cert):
    listener = socket.create_server(("127.0.0.1", 0))
    ctx = _stdlib_server_ctx(pki, cert, alpn=["http/1.1"], verify_client=True)
    result: dict = {}
    thread = threading.Thread(target=_serve_stdlib, args=(listener, ctx, result))
    thread.start()
    key = t.CertifiedKey.load(pki.client_rsa_cert, pki.client_rsa_key)
    ours = _our_client(pki, twin, alpn_protocols=["http/1.1"], certificate=key)
    with socket.create_connection(listener.getsockname()) as sock:
        _pump_socket(sock, ours, lambda ev: ours.handshake_complete)
        ours.send(b"hello over a socket\n")
        events = _pump_socket(sock, ours, lambda ev: any(isinstance(e, t.ConnectionClosed) for e in ev))
    thread.join(10)
    listener.close()
    assert "error" not in result, result.get("error")
    data = b"".join(e.data for e in events if isinstance(e, t.ApplicationData))
    assert data == b"HELLO OVER A SOCKET\n"
    assert t.ConnectionClosed(clean=True) in events
    assert result["cipher"] == OPENSSL[BY_NAME[ours.cipher_suite].code]
    assert result["alpn"] == ours.alpn_protocol == "http/1.1"
    assert result["peer"]


def _client_stdlib(address, ctx, result):
    try:
        with socket.create_connection(address) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"echo me\n")
                data = b""
                while not data.endswith(b"\n"):
                    data += tls.recv(65536)
                result["data"] = data
                result["cipher"] = tls.cipher()[0]
                result["alpn"] = tls.selected_alpn_protocol()
    except Exception as exc:
        result["error"] = exc


@pytest.mark.parametrize("cert", ["client_rsa", "client_ecdsa"])
def test_stdlib_client_to_our_server_socket(pki, twin, cert):
    listener = socket.create_server(("127.0.0.1", 0))
    result: dict = {}
    ctx = _stdlib_client_ctx(pki, alpn=["h2"], client_cert=cert)
    thread = threading.Thread(target=_client_stdlib, args=(listener.getsockname(), ctx, result))
    thread.start()
    ours = _our_server(pki, twin, alpn_protocols=["h2"], client_auth="required",
                       client_ca=str(pki.ca_file))
    conn, _ = listener.accept()
    with conn:
        received = b""

        def got_line(events):
            nonlocal received
            received += b"".join(e.data for e in events if isinstance(e, t.ApplicationData))
            events.clear()
            return received.endswith(b"\n")

        _pump_socket(conn, ours, got_line)
        ours.send(received[::-1].strip() + b"\n")
        ours.close()
        conn.sendall(ours.data_to_send())
        thread.join(10)
    listener.close()
    assert "error" not in result, result.get("error")
    assert result["data"] == b"em ohce\n"
    assert result["alpn"] == ours.alpn_protocol == "h2"
    assert ours.peer_certificates
    assert result["cipher"] == OPENSSL[BY_NAME[ours.cipher_suite].code]
