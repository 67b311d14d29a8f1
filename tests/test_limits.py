# DoS limits (config max_* options, DESIGN.md §4 "bounded memory"): each cap is enforced
# on both twins, and each violation queues the documented fatal alert in data_to_send()
# and raises a TLSError carrying the same .alert. Also the handshake timeout of the I/O
# helpers (io/blocking.py here; io/aio.py is covered by test_asyncio.py).
from __future__ import annotations

import socket

import pytest

import tls12fast as t
from tls12fast.enums import AlertDescription as AD
from tls12fast.enums import ContentType, HandshakeType
from tls12fast.io import blocking
from tls12fast.messages import UnknownExtension

from _pair import expect_fatal, handshake, make_pair, server_key

_TEST_EXT = 0x3000  # unassigned extension numbers (IANA TLS ExtensionType registry)


def _messages(flight: bytes) -> list[tuple[int, bytes]]:
    """Plaintext handshake records -> [(msg_type, raw message)] (one message per record)."""
    out, pos = [], 0
    while pos < len(flight):
        length = int.from_bytes(flight[pos + 3:pos + 5], "big")
        assert flight[pos] == ContentType.handshake
        raw = flight[pos + 5:pos + 5 + length]
        assert int.from_bytes(raw[1:4], "big") == len(raw) - 4
        out.append((raw[0], raw))
        pos += 5 + length
    return out


def _record(raw: bytes, content_type: int = ContentType.handshake) -> bytes:
    return bytes((content_type, 3, 3)) + len(raw).to_bytes(2, "big") + raw


def _replace(twin, flight: bytes, msg_type: int, edit) -> bytes:
    """Re-encode the one message of `msg_type` in a plaintext flight after edit(msg)."""
    out = []
    for kind, raw in _messages(flight):
        if kind == msg_type:
            msg = twin.codec.decode_handshake(kind, raw[4:], None)
            edit(msg)
            raw = twin.codec.encode_handshake(msg)
        out.append(_record(raw))
    return b"".join(out)


def _established(pki, twin, **server_kw):
    return handshake(pki, twin, server_kw=server_kw or None, client_kw=dict(server_kw) or None)


# --------------------------------------------------------------------------- buffered input


class _SpyReader:
    """Wraps a RecordReader and records the most bytes it ever held."""

    def __init__(self, inner):
        self._inner = inner
        self.peak = 0

    def feed(self, data):
        self._inner.feed(data)
        self.peak = max(self.peak, self._inner.buffered())

    def __getattr__(self, name):
        return getattr(self._inner, name)


def test_large_input_is_fed_within_max_buffered_input(pki, twin):
    cap = 32768
    pair = _established(pki, twin, max_buffered_input=cap)
    spy = pair.server._records.reader = _SpyReader(pair.server._records.reader)
    payload = bytes(range(256)) * 4096  # 1 MiB -> 64 full records
    pair.client.send(payload)
    wire = pair.client.data_to_send()
    cut = len(wire) - 1000  # leave a partial record for the next call
    events = pair.server.receive_data(wire[:cut])
    got = b"".join(e.data for e in events)
    assert 0 < spy.peak <= cap
    assert 0 < spy.buffered() < 5 + 16384 + 2048  # only the partial last record is kept
    assert got == payload[:-16384]  # every complete record was delivered
    events = pair.server.receive_data(wire[cut:])
    got += b"".join(e.data for e in events)
    assert got == payload and spy.buffered() == 0 and spy.peak <= cap


def test_partial_record_is_buffered_byte_by_byte(pki, twin):
    pair = _established(pki, twin)
    pair.client.send(b"hello")
    wire = pair.client.data_to_send()
    for i in range(len(wire) - 1):
        assert pair.server.receive_data(wire[i:i + 1]) == []
        assert pair.server._records.reader.buffered() == i + 1
    assert pair.server.receive_data(wire[-1:]) == [t.ApplicationData(b"hello")]
    assert pair.server._records.reader.buffered() == 0


@pytest.mark.parametrize("length", [16385, 0xFFFF])
def test_oversized_plaintext_record_header(pki, twin, length):
    # RFC 5246 §6.2.1: plaintext records carry at most 2^14 bytes; refused on the header
    # alone, so the peer cannot make us wait for (and buffer) the body.
    pair = make_pair(pki, twin)
    header = bytes((22, 3, 3)) + length.to_bytes(2, "big")
    expect_fatal(pair.server, header, t.RecordOverflow, AD.record_overflow)


def test_oversized_protected_record_header(pki, twin):
    # RFC 5246 §6.2.3: protected records carry at most 2^14 + 2048 bytes.
    pair = _established(pki, twin)
    header = bytes((23, 3, 3)) + (16384 + 2048 + 1).to_bytes(2, "big")
    with pytest.raises(t.RecordOverflow) as info:
        pair.server.receive_data(header)
    assert info.value.alert == AD.record_overflow
    with pytest.raises(t.PeerAlertError) as peer:  # the alert is encrypted by now
        pair.client.receive_data(pair.server.data_to_send())
    assert peer.value.alert == AD.record_overflow


# --------------------------------------------------------------------------- handshake size


def _claim_length(msg_type: int, length: int) -> bytes:
    return _record(bytes((msg_type,)) + length.to_bytes(3, "big"))


def test_max_handshake_size_server(pki, twin):
    # Only the 4-byte header of a message longer than the cap arrives: refused at once.
    small = make_pair(pki, twin, server_kw={"max_handshake_size": 4096})
    expect_fatal(small.server, _claim_length(HandshakeType.client_hello, 4097),
                  t.DecodeError, AD.decode_error)
    # The same header under the default cap (65536) just waits for the body.
    default = make_pair(pki, twin)
    assert default.server.receive_data(_claim_length(HandshakeType.client_hello, 4097)) == []
    assert default.server.data_to_send() == b""


def test_max_handshake_size_client(pki, twin):
    pair = make_pair(pki, twin, client_kw={"max_handshake_size": 5000})
    pair.server.receive_data(pair.client.data_to_send())
    flight = pair.server.data_to_send()
    hello = _messages(flight)[0][1]
    # ServerHello, then a Certificate header announcing one byte over the cap.
    expect_fatal(pair.client, _record(hello) + _claim_length(HandshakeType.certificate, 5001),
                  t.DecodeError, AD.decode_error)


# --------------------------------------------------------------------------- extensions


def _hello_extensions(flight: bytes, twin, msg_type: int) -> int:
    raw = dict(_messages(flight))[msg_type]
    return len(twin.codec.decode_handshake(msg_type, raw[4:], None).extensions)


def test_max_extensions_server(pki, twin):
    hello = make_pair(pki, twin).client.data_to_send()
    count = _hello_extensions(hello, twin, HandshakeType.client_hello)
    assert count >= 2
    at_cap = make_pair(pki, twin, server_kw={"max_extensions": count})
    at_cap.server.receive_data(hello)
    assert at_cap.server.data_to_send().startswith(b"\x16")  # the server flight
    over = make_pair(pki, twin, server_kw={"max_extensions": count - 1})
    expect_fatal(over.server, hello, t.DecodeError, AD.decode_error)


def test_default_max_extensions_is_64(pki, twin):
    pair = make_pair(pki, twin)
    hello = pair.client.data_to_send()
    count = _hello_extensions(hello, twin, HandshakeType.client_hello)

    def pad_to(total):
        def edit(msg):
            msg.extensions += [UnknownExtension(_TEST_EXT + i) for i in range(total - count)]
        return _replace(twin, hello, HandshakeType.client_hello, edit)

    ok = make_pair(pki, twin)
    ok.server.receive_data(pad_to(64))  # unknown extensions are ignored (RFC 5246 §7.4.1.4)
    assert ok.server.data_to_send().startswith(b"\x16")
    expect_fatal(make_pair(pki, twin).server, pad_to(65), t.DecodeError, AD.decode_error)


def test_max_extensions_client(pki, twin):
    probe = make_pair(pki, twin)
    probe.server.receive_data(probe.client.data_to_send())
    count = _hello_extensions(probe.server.data_to_send(), twin, HandshakeType.server_hello)
    assert count >= 2  # renegotiation_info, extended_master_secret, session_ticket ...
    handshake(pki, twin, client_kw={"max_extensions": count})
    pair = make_pair(pki, twin, client_kw={"max_extensions": count - 1})
    pair.server.receive_data(pair.client.data_to_send())
    expect_fatal(pair.client, pair.server.data_to_send(), t.DecodeError, AD.decode_error)


# --------------------------------------------------------------------------- chain length


def _long_chain_key(pki, kind: str, extra: int) -> t.CertifiedKey:
    """`kind`'s chain plus `extra` copies of the intermediate (path building ignores them)."""
    chain = getattr(pki, f"{kind}_cert").read_bytes() + pki.intermediate_file.read_bytes() * extra
    return t.CertifiedKey.from_pem(chain, getattr(pki, f"{kind}_key").read_bytes())


def test_max_chain_length_client(pki, twin):
    # The server sends leaf + intermediate (2 certificates).
    handshake(pki, twin, certs=("rsa",), client_kw={"max_chain_length": 2})
    pair = make_pair(pki, twin, certs=("rsa",), client_kw={"max_chain_length": 1})
    pair.server.receive_data(pair.client.data_to_send())
    expect_fatal(pair.client, pair.server.data_to_send(), t.CertificateError,
                  AD.bad_certificate)


def test_default_max_chain_length_is_10(pki, twin):
    nine_extra = _long_chain_key(pki, "rsa", 8)  # 10 certificates: accepted
    handshake(pki, twin, server_kw={"certificates": [nine_extra]})
    pair = make_pair(pki, twin, server_kw={"certificates": [_long_chain_key(pki, "rsa", 9)]})
    pair.server.receive_data(pair.client.data_to_send())
    expect_fatal(pair.client, pair.server.data_to_send(), t.CertificateError,
                  AD.bad_certificate)


def test_max_chain_length_server(pki, twin):
    client_key = _long_chain_key(pki, "client_rsa", 1)  # 2 certificates
    kw = {"client_auth": "required", "client_ca": str(pki.ca_file)}
    handshake(pki, twin, server_kw={**kw, "max_chain_length": 2},
              client_kw={"certificate": client_key})
    pair = make_pair(pki, twin, server_kw={**kw, "max_chain_length": 1},
                     client_kw={"certificate": client_key})
    pair.server.receive_data(pair.client.data_to_send())
    pair.client.receive_data(pair.server.data_to_send())
    expect_fatal(pair.server, pair.client.data_to_send(), t.CertificateError,
                  AD.bad_certificate)


def test_chain_length_checked_before_parsing(pki, twin):
    # Eleven garbage "certificates": refused on the count, not on parsing.
    pair = make_pair(pki, twin)
    pair.server.receive_data(pair.client.data_to_send())
    flight = _replace(twin, pair.server.data_to_send(), HandshakeType.certificate,
                      lambda msg: setattr(msg, "certificates", [b"\x30\x00"] * 11))
    error = expect_fatal(pair.client, flight, t.CertificateError, AD.bad_certificate)
    assert "max_chain_length" in str(error)


# --------------------------------------------------------------------------- temper counters


def _protected(conn, content_type: int, payload: bytes) -> bytes:
    """One record sealed with conn's current write keys (private hook: the public API
    never sends empty records or arbitrary warning alerts)."""
    conn._records.writer.write(content_type, payload)
    return conn.data_to_send()


@pytest.mark.parametrize("cap", [0, 2])
def test_max_warning_alerts(pki, twin, cap):
    pair = _established(pki, twin, max_warning_alerts=cap)
    warning = bytes((1, int(AD.user_canceled)))
    for _ in range(cap):
        events = pair.server.receive_data(_protected(pair.client, ContentType.alert, warning))
        assert events == [t.AlertReceived(1, AD.user_canceled)]
    # Application data is progress: the count starts again.
    pair.client.send(b"x")
    assert pair.server.receive_data(pair.client.data_to_send()) == [t.ApplicationData(b"x")]
    for _ in range(cap):
        pair.server.receive_data(_protected(pair.client, ContentType.alert, warning))
    with pytest.raises(t.UnexpectedMessage) as info:
        pair.server.receive_data(_protected(pair.client, ContentType.alert, warning))
    assert info.value.alert == AD.unexpected_message
    with pytest.raises(t.PeerAlertError) as peer:
        pair.client.receive_data(pair.server.data_to_send())
    assert peer.value.alert == AD.unexpected_message


def test_default_max_warning_alerts_in_one_record(pki, twin):
    pair = make_pair(pki, twin)
    warning = bytes((21, 3, 3, 0, 2, 1, int(AD.user_canceled)))
    assert len(pair.client.receive_data(warning * 4)) == 4
    pair.client.data_to_send()
    expect_fatal(pair.client, warning, t.UnexpectedMessage, AD.unexpected_message)


@pytest.mark.parametrize("cap", [0, 3, 32])
def test_max_empty_records(pki, twin, cap):
    kw = {"max_empty_records": cap} if cap != 32 else {}  # 32 is the default
    pair = _established(pki, twin, **kw)
    for _ in range(cap):
        assert pair.server.receive_data(_protected(pair.client, ContentType.application_data, b"")) == []
    pair.client.send(b"y")
    assert pair.server.receive_data(pair.client.data_to_send()) == [t.ApplicationData(b"y")]
    burst = b"".join(_protected(pair.client, ContentType.application_data, b"")
                     for _ in range(cap + 1))
    with pytest.raises(t.UnexpectedMessage) as info:
        pair.server.receive_data(burst)
    assert info.value.alert == AD.unexpected_message
    with pytest.raises(t.PeerAlertError) as peer:
        pair.client.receive_data(pair.server.data_to_send())
    assert peer.value.alert == AD.unexpected_message


def test_limits_reach_the_connection(pki, twin):
    kw = dict(max_buffered_input=40000, max_extensions=7, max_chain_length=3,
              max_warning_alerts=5, max_empty_records=6, max_handshake_size=8000)
    pair = make_pair(pki, twin, server_kw=kw, client_kw=kw)
    for conn in (pair.client, pair.server):
        assert conn._records._max_input == 40000
        assert (conn._max_extensions, conn._max_chain_length, conn._max_warnings,
                conn._max_empty_records) == (7, 3, 5, 6)


# --------------------------------------------------------------------------- handshake timeout


def test_blocking_accept_handshake_timeout(pki):
    # A client that sends one byte and stalls (slowloris) is dropped after the timeout.
    config = t.ServerConfig([server_key(pki)], session_cache=None, tickets=None)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        with socket.create_connection(listener.getsockname()) as stalled:
            stalled.sendall(b"\x16")
            with pytest.raises(TimeoutError, match="did not complete"):
                blocking.accept(listener, config, timeout=0.3)
            stalled.settimeout(5)
            assert stalled.recv(100) == b""  # the server closed its socket


def test_blocking_connect_handshake_timeout(pki):
    # A server that accepts the TCP connection but never answers the ClientHello.
    config = t.ClientConfig(cafile=str(pki.ca_file), session_store=None)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        host, port = listener.getsockname()
        with pytest.raises(TimeoutError, match="did not complete"):
            blocking.connect(host, port, config, server_name="localhost", timeout=0.3)
        silent, _ = listener.accept()
        with silent:
            silent.settimeout(5)
            assert silent.recv(5)[:1] == b"\x16"  # the ClientHello did go out
