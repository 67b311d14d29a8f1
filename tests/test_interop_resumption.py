# Session resumption against real peers (issue 4), both directions: session ID
# (RFC 5246 §7.4.1.3) and tickets (RFC 5077) with the `openssl` CLI (s_server over -trace;
# s_client -sess_out / -sess_in, with and without -no_ticket), with stdlib `ssl` over real
# sockets (SSLSocket.session / session_reused; OP_NO_TICKET for the ID path) and with
# tlslite-ng. OpenSSL's view of "resumed" is its abbreviated handshake: no Certificate sent
# (server, from -trace) or "Reused" (s_client); tlslite's is `TLSConnection.resumed`.
from __future__ import annotations

import contextlib
import socket
import ssl
import threading

import pytest

import tls12fast as t
from _peers import (
    DEFAULT_TIMEOUT,
    HOST,
    OpenSSLServer,
    client_config,
    connect_tls12fast,
    keys,  # noqa: F401 (fixture)
    require_openssl,
    reversed_line,
    run_openssl_client,
    serve_tls12fast,
    server_config,
)
from _tlslite_peer import CURVES, TLSLiteServer, require_tlslite, tlslite_connect, tlslite_settings

pytestmark = pytest.mark.interop


# ---------------------------------------------------------------------------------------
# openssl


@pytest.mark.parametrize("kind", ["session_id", "ticket"])
def test_client_resumes_with_s_server(pki, twin, kind):
    require_openssl()
    cfg = client_config(pki, twin, session_store=t.ClientSessionStore(), offer_ticket=kind == "ticket")
    with OpenSSLServer(pki.rsa_cert, pki.rsa_key, naccept=3, no_ticket=kind == "session_id") as srv:
        first = connect_tls12fast(cfg, port=srv.port, data=b"first\n")
        second = connect_tls12fast(cfg, port=srv.port, data=b"second\n")
        # The same session passed explicitly (like ssl's session=), no store involved.
        third = connect_tls12fast(client_config(pki, twin), port=srv.port, data=b"third\n",
                                  session=first.session)
    assert first.resumption == "full"
    assert second.resumption == third.resumption == kind, srv.describe()
    assert second.received == reversed_line(b"second\n") and third.received == reversed_line(b"third\n")
    assert second.cipher_suite == first.cipher_suite
    assert second.extended_master_secret is True
    assert srv.resumed() == [False, True, True], srv.describe()


@pytest.mark.parametrize("kind", ["session_id", "ticket"])
def test_s_client_resumes_with_server(pki, keys, twin, kind, tmp_path):
    require_openssl()
    tickets = t.TicketKeys() if kind == "ticket" else None
    cfg = server_config(keys, twin, session_cache=t.MemorySessionCache(), tickets=tickets)
    session_file = tmp_path / "session.pem"
    common = dict(cafile=pki.ca_file, no_ticket=kind == "session_id")
    with serve_tls12fast(cfg, max_connections=2) as srv:
        r1 = run_openssl_client(srv.port, data=b"first\n", expect=b"first", sess_out=session_file, **common)
        r2 = run_openssl_client(srv.port, data=b"second\n", expect=b"second", sess_in=session_file, **common)
        srv.wait(5)
    assert r1.returncode == 0 and r2.returncode == 0, r2.describe()
    assert r1.reused is False and r2.reused is True, r2.describe()
    assert r2.cipher_suite == r1.cipher_suite and r2.extended_master_secret is True
    assert [v.error for v in srv.views] == [None, None]
    assert [v.resumption for v in srv.views] == ["full", kind]
    assert srv.views[1].received == b"second\n"


# ---------------------------------------------------------------------------------------
# tlslite-ng


def test_client_resumes_with_tlslite_server(pki, twin):
    api = require_tlslite()
    cfg = client_config(pki, twin, session_store=t.ClientSessionStore(), offer_ticket=False)
    with TLSLiteServer(pki.rsa_cert, pki.rsa_key, settings=tlslite_settings(curves=CURVES),
                       session_cache=api.SessionCache(), max_connections=2) as srv:
        first = connect_tls12fast(cfg, port=srv.port, data=b"first")
        second = connect_tls12fast(cfg, port=srv.port, data=b"second")
    assert [v.error for v in srv.views] == [None, None]
    assert first.resumption == "full" and second.resumption == "session_id"
    assert [v.resumed for v in srv.views] == [False, True]
    assert second.received == b"second" and second.cipher_suite == first.cipher_suite


@pytest.mark.parametrize("kind", ["session_id", "ticket"])
def test_tlslite_client_resumes_with_server(pki, keys, twin, kind):
    tickets = t.TicketKeys() if kind == "ticket" else None
    cfg = server_config(keys, twin, session_cache=t.MemorySessionCache(), tickets=tickets)
    settings = tlslite_settings(curves=CURVES)
    with serve_tls12fast(cfg, max_connections=2) as srv:
        first = tlslite_connect(srv.port, settings=settings, data=b"first")
        second = tlslite_connect(srv.port, settings=settings, data=b"second", session=first.session)
        srv.wait(5)
    assert [v.error for v in srv.views] == [None, None]
    assert first.resumed is False and second.resumed is True
    assert [v.resumption for v in srv.views] == ["full", kind]
    assert second.received == b"second" and second.cipher_suite == first.cipher_suite
    assert second.extended_master_secret is True


# ---------------------------------------------------------------------------------------
# stdlib ssl over sockets


def _stdlib_ctx(pki, server: bool, kind: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    if server:
        ctx.load_cert_chain(str(pki.rsa_cert), str(pki.rsa_key))
    else:
        ctx.load_verify_locations(str(pki.ca_file))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if kind == "session_id":
        ctx.options |= ssl.OP_NO_TICKET
    return ctx


def _stdlib_client(port, ctx, data, session=None):
    with socket.create_connection((HOST, port), timeout=DEFAULT_TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as sock:
            sock.sendall(data)
            echoed = b""
            while len(echoed) < len(data):
                echoed += sock.recv(65536)
            reused, session = sock.session_reused, sock.session
            with contextlib.suppress(OSError, ssl.SSLError):
                sock.unwrap()
    return reused, session, echoed


@pytest.mark.parametrize("kind", ["session_id", "ticket"])
def test_stdlib_client_resumes_with_server(pki, keys, twin, kind):
    # ID path with tickets off on our side; ticket path with no session cache at all.
    cfg = server_config(keys, twin, session_cache=t.MemorySessionCache() if kind == "session_id" else None,
                        tickets=t.TicketKeys() if kind == "ticket" else None)
    ctx = _stdlib_ctx(pki, False, "both")
    with serve_tls12fast(cfg, max_connections=2) as srv:
        reused1, session, echo1 = _stdlib_client(srv.port, ctx, b"first")
        reused2, _, echo2 = _stdlib_client(srv.port, ctx, b"second", session=session)
        srv.wait(5)
    assert [v.error for v in srv.views] == [None, None]
    assert (reused1, reused2) == (False, True) and (echo1, echo2) == (b"first", b"second")
    assert [v.resumption for v in srv.views] == ["full", kind]
    assert session.has_ticket is (kind == "ticket")


class StdlibServer:
    """A stdlib ssl server on 127.0.0.1 in a thread: echoes, records session_reused."""

    def __init__(self, ctx, max_connections):
        self.ctx, self.max_connections = ctx, max_connections
        self.reused: list = []
        self.errors: list = []
        self._listener = socket.create_server((HOST, 0))
        self._listener.settimeout(DEFAULT_TIMEOUT)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        for _ in range(self.max_connections):
            try:
                raw, _ = self._listener.accept()
                raw.settimeout(DEFAULT_TIMEOUT)
                with self.ctx.wrap_socket(raw, server_side=True) as sock:
                    self.reused.append(sock.session_reused)
                    while data := sock.recv(65536):
                        sock.sendall(data)
                    # A clean shutdown keeps the session in OpenSSL's cache.
                    with contextlib.suppress(OSError, ssl.SSLError):
                        sock.unwrap()
            except Exception as exc:  # recorded for the test
                self.errors.append(exc)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._thread.join(DEFAULT_TIMEOUT)
        self._listener.close()


@pytest.mark.parametrize("kind", ["session_id", "ticket"])
def test_client_resumes_with_stdlib_server(pki, twin, kind):
    cfg = client_config(pki, twin, session_store=t.ClientSessionStore(), offer_ticket=kind == "ticket")
    with StdlibServer(_stdlib_ctx(pki, True, kind), max_connections=3) as srv:
        first = connect_tls12fast(cfg, port=srv.port, data=b"first")
        second = connect_tls12fast(cfg, port=srv.port, data=b"second")
        third = connect_tls12fast(client_config(pki, twin), port=srv.port, data=b"third",
                                  session=first.session)
    assert srv.errors == []
    assert srv.reused == [False, True, True]
    assert (first.resumption, second.resumption, third.resumption) == ("full", kind, kind)
    assert second.received == b"second" and third.received == b"third"
    assert bool(first.session.ticket) is (kind == "ticket")
