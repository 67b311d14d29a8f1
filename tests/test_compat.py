# The ssl-compatible facade (tls12fast.SSLContext) against stdlib ssl and itself: in-memory
# SSLObject pairs, sockets (blocking and non-blocking), exception types, cipher strings,
# and the rule that nothing silently falls back to OpenSSL.
import socket
import ssl
import threading

import pytest

import tls12fast
from tls12fast.compat import openssl_name, parse_cipher_string
from tls12fast.loopback import memory_handshake
from tls12fast.suites import ALL_SUITES


def server_ctx(pki, ours=True, cert="rsa"):
    ctx = (tls12fast.SSLContext if ours else ssl.SSLContext)(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(getattr(pki, f"{cert}_cert"), getattr(pki, f"{cert}_key"))
    if not ours:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def client_ctx(pki, ours=True):
    ctx = (tls12fast.SSLContext if ours else ssl.SSLContext)(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(pki.ca_file)
    if not ours:
        # Keeps the stdlib client at TLS 1.2; test_default_stdlib_client covers 1.3-capable clients.
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


@pytest.mark.interop
@pytest.mark.parametrize("ours", ["client", "server", "both"])
def test_memory_pair_with_stdlib(pki, ours):
    cctx = client_ctx(pki, ours in ("client", "both"))
    sctx = server_ctx(pki, ours in ("server", "both"))
    client, server, bios = memory_handshake(cctx, sctx)
    assert client.version() == server.version() == "TLSv1.2"
    assert client.cipher()[0] == server.cipher()[0]
    assert client.getpeercert()["subjectAltName"][0] == ("DNS", "localhost")
    assert len(client.getpeercert(binary_form=True)) > 300
    client.write(b"ping")
    bios[2].write(bios[1].read())
    assert server.read(100) == b"ping"
    with pytest.raises(ssl.SSLWantReadError):
        server.read(100)
    assert client.compression() is None and not client.session_reused


def test_isinstance_and_no_fallback():
    ctx = tls12fast.SSLContext(tls12fast.PROTOCOL_TLS_CLIENT)
    assert isinstance(ctx, ssl.SSLContext)
    # Every public ssl.SSLContext / _SSLContext name is implemented by tls12fast itself.
    for name in set(vars(ssl.SSLContext)) | set(vars(ssl._SSLContext)):
        if not name.startswith("__") and name not in ("_wrap_socket", "_wrap_bio", "_set_alpn_protocols",
                                                      "_windows_cert_stores", "_encode_hostname"):
            assert name in vars(tls12fast.SSLContext), name
    for name in vars(ssl.SSLSocket):
        if not name.startswith("__"):
            assert name in vars(tls12fast.SSLSocket), name
    for name in vars(ssl.SSLObject):
        if not name.startswith("__"):
            assert name in vars(tls12fast.SSLObject), name


def test_unsupported_is_loud():
    ctx = tls12fast.SSLContext(tls12fast.PROTOCOL_TLS_SERVER)
    with pytest.raises(NotImplementedError):
        ctx.set_npn_protocols(["http/1.1"])
    with pytest.raises(NotImplementedError):
        ctx.load_dh_params("x.pem")
    with pytest.raises(NotImplementedError):
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with pytest.raises(NotImplementedError):
        ctx.options |= ssl.OP_NO_TLSv1_2
    with pytest.raises(NotImplementedError):
        tls12fast.SSLContext(ssl.PROTOCOL_TLS)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    assert ctx.maximum_version == ssl.TLSVersion.TLSv1_2


def test_cipher_strings():
    assert parse_cipher_string("ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA") == [
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA"]
    no_rsa = parse_cipher_string("HIGH:!aNULL:!kRSA")
    assert no_rsa and all("_RSA_WITH" not in n or "E_RSA" in n for n in no_rsa)
    assert all(n.startswith("TLS_DHE") for n in parse_cipher_string("DHE"))
    assert parse_cipher_string("ECDHE+AESGCM:-aECDSA") == [
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]
    assert parse_cipher_string("kRSA:+AES128")[-1].startswith("TLS_RSA_WITH_AES_128")
    assert len(parse_cipher_string("DEFAULT")) == len(ALL_SUITES)
    with pytest.raises(ssl.SSLError, match="No cipher can be selected"):
        tls12fast.SSLContext(tls12fast.PROTOCOL_TLS_CLIENT).set_ciphers("RC4-SHA:FOO")


def test_openssl_names_match_openssl():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("ALL")
    codes = {c["name"]: c["id"] & 0xFFFF for c in ctx.get_ciphers()}
    for suite in ALL_SUITES:
        assert codes[openssl_name(suite.name)] == suite.code


@pytest.mark.interop
def test_set_ciphers_negotiates(pki):
    cctx = client_ctx(pki)
    cctx.set_ciphers("ECDHE-RSA-CHACHA20-POLY1305")
    client, server, _ = memory_handshake(cctx, server_ctx(pki, ours=False))
    assert client.cipher() == ("ECDHE-RSA-CHACHA20-POLY1305", "TLSv1.2", 256)


@pytest.mark.interop
def test_alpn_and_shared_ciphers(pki):
    cctx, sctx = client_ctx(pki, ours=False), server_ctx(pki)
    cctx.set_alpn_protocols(["h2", "http/1.1"])
    sctx.set_alpn_protocols(["http/1.1"])
    client, server, _ = memory_handshake(cctx, sctx)
    assert client.selected_alpn_protocol() == server.selected_alpn_protocol() == "http/1.1"
    assert server.cipher() in server.shared_ciphers()


@pytest.mark.interop
def test_untrusted_certificate(pki):
    sctx = tls12fast.SSLContext(tls12fast.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(pki.untrusted_cert, pki.untrusted_key)
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        memory_handshake(client_ctx(pki), sctx)
    assert info.value.verify_code == 20 and "verify failed" in str(info.value)


@pytest.mark.interop
def test_hostname_mismatch(pki):
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        memory_handshake(client_ctx(pki), server_ctx(pki, ours=False), server_hostname="wrong.example")
    assert info.value.verify_code == 62


@pytest.mark.interop
def test_peer_alert_is_sslerror(pki):
    sctx = server_ctx(pki, ours=False)
    sctx.set_ciphers("AES256-SHA")
    cctx = client_ctx(pki)
    cctx.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
    bios = [ssl.MemoryBIO() for _ in range(4)]
    client = cctx.wrap_bio(bios[0], bios[1], server_hostname="localhost")
    server = sctx.wrap_bio(bios[2], bios[3], server_side=True)
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    bios[2].write(bios[1].read())
    with pytest.raises(ssl.SSLError):
        server.do_handshake()
    bios[0].write(bios[3].read())
    with pytest.raises(ssl.SSLError, match="HANDSHAKE_FAILURE") as info:
        client.do_handshake()
    assert type(info.value) is ssl.SSLError


def test_sni_callback_sees_name(pki):
    seen = []
    sctx = server_ctx(pki)
    other = server_ctx(pki, cert="ecdsa")
    def pick(sslobj, name, ctx):
        seen.append((name, ctx is sctx))
        sslobj.context = other
    sctx.sni_callback = pick
    client, server, _ = memory_handshake(client_ctx(pki), sctx)
    assert seen == [("localhost", True)]
    assert "ECDSA" in client.cipher()[0] and server.context is other


def test_session_stats_and_context_checks(pki):
    sctx = server_ctx(pki)
    memory_handshake(client_ctx(pki), sctx)
    stats = sctx.session_stats()
    assert stats["accept"] == stats["accept_good"] == 1
    cctx = client_ctx(pki)
    with pytest.raises(ValueError, match="check_hostname requires server_hostname"):
        cctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO())
    with pytest.raises(ValueError):
        cctx.verify_mode = ssl.CERT_NONE
    with pytest.raises(TypeError):
        cctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="x", session="nope")


@pytest.mark.interop
def test_clean_close_and_eof(pki):
    client, server, bios = memory_handshake(client_ctx(pki), server_ctx(pki, ours=False))
    server.write(b"bye")
    with pytest.raises(ssl.SSLWantReadError):
        server.unwrap()
    bios[0].write(bios[3].read())
    assert client.read(10) == b"bye"
    assert client.read(10) == b""  # close_notify: EOF like OpenSSL
    client2, _, bios2 = memory_handshake(client_ctx(pki), server_ctx(pki, ours=False))
    bios2[0].write_eof()
    with pytest.raises(ssl.SSLEOFError):
        client2.read(10)


@pytest.mark.interop
def test_zero_return_during_handshake(pki):
    bios = [ssl.MemoryBIO() for _ in range(2)]
    client = client_ctx(pki).wrap_bio(bios[0], bios[1], server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    bios[0].write(bytes((21, 3, 3, 0, 2, 1, 0)))  # warning close_notify (RFC 5246 §7.2.1)
    with pytest.raises((ssl.SSLZeroReturnError, ssl.SSLError)):
        client.do_handshake()


def _socket_server(sctx, reply=b"pong"):
    listener = socket.create_server(("127.0.0.1", 0))
    wrapped = sctx.wrap_socket(listener, server_side=True)
    def run():
        try:
            conn, _ = wrapped.accept()
            with conn:
                data = conn.recv(100)
                conn.sendall(reply + data)
        except OSError:  # the client went away (ssl.SSLError is an OSError)
            pass
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return wrapped, wrapped.getsockname()[1], thread


@pytest.mark.interop
@pytest.mark.parametrize("ours", ["client", "server", "both"])
def test_sockets(pki, ours):
    listener, port, thread = _socket_server(server_ctx(pki, ours in ("server", "both")))
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with client_ctx(pki, ours in ("client", "both")).wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"ping")
            assert tls.recv(100) == b"pongping"
            assert tls.version() == "TLSv1.2"
            if ours != "server":
                assert isinstance(tls, ssl.SSLSocket)
    thread.join(5)
    listener.close()


@pytest.mark.interop
def test_nonblocking_want_read(pki):
    # Deterministic: the server accepts only after the client's first do_handshake(), so
    # that call must find no reply and raise SSLWantReadError (a server thread answering
    # fast enough used to let the whole handshake finish in one call).
    listener = socket.create_server(("127.0.0.1", 0))
    sctx = server_ctx(pki, ours=False)
    served = []

    def serve():
        conn, _ = listener.accept()
        try:
            with sctx.wrap_socket(conn, server_side=True) as tls_conn:
                served.append(tls_conn.recv(100))
        except OSError:
            pass

    thread = threading.Thread(target=serve, daemon=True)
    raw = socket.create_connection(listener.getsockname())
    raw.setblocking(False)
    tls = client_ctx(pki).wrap_socket(raw, server_hostname="localhost", do_handshake_on_connect=False)
    try:
        with pytest.raises(ssl.SSLWantReadError):
            tls.do_handshake()
        thread.start()
        import select
        for _ in range(50):
            select.select([tls], [], [], 1)
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                continue
        assert tls.version() == "TLSv1.2"
        with pytest.raises(ssl.SSLWantReadError):  # the server waits for us: nothing to read
            tls.recv(10)
        tls.setblocking(True)
        tls.sendall(b"ping")
        thread.join(5)
        assert served == [b"ping"]
    finally:
        tls.close()
        listener.close()


@pytest.mark.interop
@pytest.mark.parametrize("delivery", ["one_record", "two_records", "byte_by_byte"])
def test_server_waits_for_whole_client_hello(pki, delivery):
    """The server gate holds the first flight until the ClientHello is complete, however it
    is framed (RFC 5246 §6.2.1 lets a handshake message span records), then runs the
    sni_callback once and hands every byte to the engine."""
    seen = []
    sctx = server_ctx(pki)
    sctx.sni_callback = lambda obj, name, ctx: seen.append(name)
    bios = [ssl.MemoryBIO() for _ in range(4)]
    client = client_ctx(pki, ours=False).wrap_bio(bios[0], bios[1], server_hostname="localhost")
    server = sctx.wrap_bio(bios[2], bios[3], server_side=True)
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    flight = bios[1].read()
    assert flight[0] == 22 and len(flight) == 5 + int.from_bytes(flight[3:5], "big")
    body = flight[5:]
    if delivery == "two_records":
        half = len(body) // 2
        chunks = [flight[:3] + half.to_bytes(2, "big") + body[:half],
                  flight[:3] + (len(body) - half).to_bytes(2, "big") + body[half:]]
    elif delivery == "byte_by_byte":
        chunks = [flight[i:i + 1] for i in range(len(flight))]
    else:
        chunks = [flight]
    for chunk in chunks:
        assert seen == []
        bios[2].write(chunk)
        with pytest.raises(ssl.SSLWantReadError):
            server.do_handshake()
    assert seen == ["localhost"]
    assert ("ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2", 128) in server.shared_ciphers()
    for _ in range(4):
        bios[0].write(bios[3].read())
        try:
            client.do_handshake()
        except ssl.SSLWantReadError:
            pass
        bios[2].write(bios[1].read())
        try:
            server.do_handshake()
            break
        except ssl.SSLWantReadError:
            pass
    bios[0].write(bios[3].read())
    client.do_handshake()
    assert server.version() == client.version() == "TLSv1.2"
    assert server.cipher() == client.cipher()


@pytest.mark.interop
def test_default_stdlib_client(pki):
    """A TLS 1.3-capable stdlib client must negotiate TLS 1.2 with us (no RFC 8446 §4.1.3
    downgrade sentinel from a server that does not speak 1.3)."""
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(pki.ca_file)
    client, _, _ = memory_handshake(cctx, server_ctx(pki))
    assert client.version() == "TLSv1.2"


@pytest.mark.interop
@pytest.mark.parametrize("server_ours", [True, False])
def test_resumption_through_facade(pki, server_ours):
    sctx = server_ctx(pki, server_ours)
    cctx = client_ctx(pki)
    client, server, _ = memory_handshake(cctx, sctx)
    try:  # OpenSSL forgets a session whose SSL is freed before close_notify
        server.unwrap()
    except ssl.SSLWantReadError:
        pass
    session = client.session
    assert session is not None
    client, server, _ = memory_handshake(cctx, sctx, session=session)
    assert client.session_reused
    if server_ours:
        assert server.session_reused


@pytest.mark.interop
def test_set_limits_reach_the_connections(pki):
    # A stdlib client offers more extensions than the limit: decode_error (RFC 5246 §7.2.2).
    sctx = server_ctx(pki)
    sctx.set_limits(max_extensions=3, max_chain_length=5)
    assert sctx.limits == {"max_extensions": 3, "max_chain_length": 5}
    with pytest.raises(ssl.SSLError, match="DECODE_ERROR|decode_error|more hello extensions"):
        memory_handshake(client_ctx(pki, ours=False), sctx)
    sctx.set_limits(max_extensions=64)  # the other limit is kept
    assert sctx.limits == {"max_extensions": 64, "max_chain_length": 5}
    client, server, _ = memory_handshake(client_ctx(pki, ours=False), sctx)
    assert server.version() == "TLSv1.2"


def test_set_limits_checks_names_and_ranges():
    ctx = tls12fast.SSLContext(tls12fast.PROTOCOL_TLS_SERVER)
    with pytest.raises(TypeError):
        ctx.set_limits(max_nonsense=1)
    with pytest.raises(ValueError):
        ctx.set_limits(max_buffered_input=1024)  # below one maximal record
    with pytest.raises(ValueError):
        ctx.set_limits(max_chain_length=True)
    assert ctx.limits == {}
