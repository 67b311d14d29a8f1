# Handshake failures: each must queue the right fatal alert (RFC 5246 §7.2) in
# data_to_send() and raise a TLSError carrying the same .alert; hostile or truncated input
# must never raise anything but TLSError. Runs on both twins.
from __future__ import annotations

import random

import pytest

import tls12fast as t
from tls12fast.enums import TLS_FALLBACK_SCSV, ExtensionType
from tls12fast.enums import AlertDescription as AD
from tls12fast.messages import SupportedVersionsExt

from _pair import expect_fatal, fatal_alert, handshake, make_pair


def _records(data: bytes):
    """Split plaintext wire bytes into (type, header+payload) records."""
    out, pos = [], 0
    while pos + 5 <= len(data):
        length = int.from_bytes(data[pos + 3:pos + 5], "big")
        out.append(bytearray(data[pos:pos + 5 + length]))
        pos += 5 + length
    return out


def _send_hello(pair, twin, hello, record_version=3):
    raw = twin.codec.encode_handshake(hello)
    return bytes((22, 3, record_version)) + len(raw).to_bytes(2, "big") + raw


# --------------------------------------------------------------------------- order


def test_server_rejects_out_of_order_message(pki, twin):
    pair = make_pair(pki, twin)
    expect_fatal(pair.server, bytes((22, 3, 3, 0, 4, 14, 0, 0, 0)), t.UnexpectedMessage,
                  AD.unexpected_message)


def test_client_rejects_out_of_order_message(pki, twin):
    pair = make_pair(pki, twin)
    expect_fatal(pair.client, bytes((22, 3, 3, 0, 4, 14, 0, 0, 0)), t.UnexpectedMessage,
                  AD.unexpected_message)


def test_application_data_before_handshake(pki, twin):
    pair = make_pair(pki, twin)
    expect_fatal(pair.server, bytes((23, 3, 3, 0, 3)) + b"abc", t.UnexpectedMessage,
                  AD.unexpected_message)


def test_ccs_before_keys(pki, twin):
    pair = make_pair(pki, twin)
    pair.server.receive_data(pair.client.data_to_send())
    expect_fatal(pair.client, bytes((20, 3, 3, 0, 1, 1)), t.UnexpectedMessage, AD.unexpected_message)


@pytest.mark.parametrize("payload,error,desc", [
    (b"\x02", t.IllegalParameter, AD.illegal_parameter),
    (b"\x01\x01", t.DecodeError, AD.decode_error),
])
def test_bad_ccs(pki, twin, payload, error, desc):
    pair = make_pair(pki, twin)
    pair.server.receive_data(pair.client.data_to_send())
    pair.client.receive_data(pair.server.data_to_send())
    flight = pair.client.data_to_send()
    records = _records(flight)
    ccs = next(i for i, r in enumerate(records) if r[0] == 20)
    records[ccs] = bytearray((20, 3, 3, 0, len(payload))) + payload
    expect_fatal(pair.server, b"".join(records), error, desc)


# --------------------------------------------------------------------------- Finished / signatures


def test_bad_client_finished(pki, twin):
    pair = make_pair(pki, twin)
    pair.client.verify_data = lambda from_client: b"\x00" * 12  # wrong, but well encrypted
    pair.server.receive_data(pair.client.data_to_send())
    pair.client.receive_data(pair.server.data_to_send())
    expect_fatal(pair.server, pair.client.data_to_send(), t.DecryptError, AD.decrypt_error)


def test_bad_server_finished(pki, twin):
    pair = make_pair(pki, twin)
    real = pair.server.verify_data
    pair.server.verify_data = lambda from_client: real(True) if from_client else b"\xff" * 12
    pair.server.receive_data(pair.client.data_to_send())
    pair.client.receive_data(pair.server.data_to_send())
    pair.server.receive_data(pair.client.data_to_send())
    with pytest.raises(t.DecryptError) as info:
        pair.client.receive_data(pair.server.data_to_send())
    assert info.value.alert == AD.decrypt_error
    # The client's alert is encrypted by now: the server must decrypt and report it.
    with pytest.raises(t.PeerAlertError) as peer:
        pair.server.receive_data(pair.client.data_to_send())
    assert peer.value.alert == AD.decrypt_error and pair.server.closed


def test_tampered_record_is_bad_record_mac(pki, twin):
    pair = make_pair(pki, twin)
    pair.server.receive_data(pair.client.data_to_send())
    pair.client.receive_data(pair.server.data_to_send())
    flight = bytearray(pair.client.data_to_send())
    flight[-1] ^= 1  # inside the encrypted Finished
    expect_fatal(pair.server, bytes(flight), t.BadRecordMac, AD.bad_record_mac)


@pytest.mark.parametrize("cert", ["rsa", "ecdsa"])
def test_tampered_server_key_exchange_signature(pki, twin, cert):
    pair = make_pair(pki, twin, certs=(cert,))
    pair.server.receive_data(pair.client.data_to_send())
    records = _records(pair.server.data_to_send())
    ske = next(r for r in records if r[0] == 22 and r[5] == 12)
    ske[-3] ^= 0x40  # inside the signature
    expect_fatal(pair.client, b"".join(records), t.DecryptError, AD.decrypt_error)


# --------------------------------------------------------------------------- versions


def test_version_below_tls12(pki, twin):
    pair = make_pair(pki, twin)
    hello = pair.client._state.hs.hello
    hello.version = 0x0302
    expect_fatal(pair.server, _send_hello(pair, twin, hello, 1), t.ProtocolVersionError,
                  AD.protocol_version)


def test_fallback_scsv(pki, twin):
    pair = make_pair(pki, twin)
    hello = pair.client._state.hs.hello
    hello.version = 0x0302
    hello.cipher_suites.append(TLS_FALLBACK_SCSV)
    error = expect_fatal(pair.server, _send_hello(pair, twin, hello, 1), t.TLSError,
                          AD.inappropriate_fallback)
    assert isinstance(error, t.RemoteProtocolError)


def test_fallback_scsv_ignored_at_tls12(pki, twin):
    pair = make_pair(pki, twin)
    hello = pair.client._state.hs.hello
    hello.cipher_suites.append(TLS_FALLBACK_SCSV)
    pair.server.receive_data(_send_hello(pair, twin, hello))
    assert pair.server.cipher_suite is not None


def test_supported_versions_without_tls12(pki, twin):
    pair = make_pair(pki, twin)
    hello = pair.client._state.hs.hello
    hello.extensions.append(SupportedVersionsExt([0x0304]))
    expect_fatal(pair.server, _send_hello(pair, twin, hello), t.ProtocolVersionError,
                  AD.protocol_version)


def test_client_rejects_server_version(pki, twin):
    pair = make_pair(pki, twin)
    pair.server.receive_data(pair.client.data_to_send())
    records = _records(pair.server.data_to_send())
    records[0][9:11] = b"\x03\x02"  # ServerHello.server_version
    expect_fatal(pair.client, b"".join(records), t.ProtocolVersionError, AD.protocol_version)


# --------------------------------------------------------------------------- negotiation


def test_no_common_suite(pki, twin):
    pair = make_pair(pki, twin, certs=("rsa",),
                     client_kw={"cipher_suites": ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]})
    expect_fatal(pair.server, pair.client.data_to_send(), t.HandshakeFailure, AD.handshake_failure)


def test_no_common_group(pki, twin):
    pair = make_pair(pki, twin, client_kw={"groups": ["secp384r1"],
                                           "cipher_suites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]},
                     server_kw={"groups": ["x25519"]})
    expect_fatal(pair.server, pair.client.data_to_send(), t.HandshakeFailure, AD.handshake_failure)


def test_no_alpn_overlap(pki, twin):
    pair = make_pair(pki, twin, client_kw={"alpn_protocols": ["http/1.1"]},
                     server_kw={"alpn_protocols": ["h2"]})
    expect_fatal(pair.server, pair.client.data_to_send(), t.NoApplicationProtocol,
                  AD.no_application_protocol)


def test_server_requires_ems(pki, twin):
    pair = make_pair(pki, twin, client_kw={"extended_master_secret": False},
                     server_kw={"require_extended_master_secret": True})
    expect_fatal(pair.server, pair.client.data_to_send(), t.HandshakeFailure, AD.handshake_failure)


def test_client_requires_ems(pki, twin):
    pair = make_pair(pki, twin, client_kw={"require_extended_master_secret": True})
    hello = pair.client._state.hs.hello
    hello.extensions = [e for e in hello.extensions if e.type != ExtensionType.extended_master_secret]
    pair.client.data_to_send()
    pair.server.receive_data(_send_hello(pair, twin, hello))
    expect_fatal(pair.client, pair.server.data_to_send(), t.HandshakeFailure, AD.handshake_failure)


# --------------------------------------------------------------------------- certificates


@pytest.mark.parametrize("cert,server_name,desc", [
    ("untrusted", "localhost", AD.unknown_ca),
    ("expired", "localhost", AD.certificate_expired),
    ("other", "localhost", AD.bad_certificate),
    ("rsa", "wrong.example", AD.bad_certificate),
])
def test_server_certificate_failures(pki, twin, cert, server_name, desc):
    pair = make_pair(pki, twin, certs=(cert,), server_name=server_name)
    pair.server.receive_data(pair.client.data_to_send())
    expect_fatal(pair.client, pair.server.data_to_send(), t.CertificateError, desc)


def test_required_client_certificate_missing(pki, twin):
    pair = make_pair(pki, twin, server_kw={"client_auth": "required", "client_ca": str(pki.ca_file)})
    pair.server.receive_data(pair.client.data_to_send())
    pair.client.receive_data(pair.server.data_to_send())
    # TLS 1.2 has no certificate_required alert: RFC 5246 §7.4.6 handshake_failure.
    expect_fatal(pair.server, pair.client.data_to_send(), t.HandshakeFailure, AD.handshake_failure)


def test_untrusted_client_certificate(pki, twin):
    # The client certificate comes from the root; the server trusts only the intermediate.
    key = t.CertifiedKey.load(pki.client_rsa_cert, pki.client_rsa_key)
    pair = make_pair(pki, twin, client_kw={"certificate": key},
                     server_kw={"client_auth": "optional", "client_ca": str(pki.intermediate_file)})
    pair.server.receive_data(pair.client.data_to_send())
    pair.client.receive_data(pair.server.data_to_send())
    expect_fatal(pair.server, pair.client.data_to_send(), t.CertificateError, AD.unknown_ca)


def test_bad_certificate_verify(pki, twin):
    key = t.CertifiedKey.load(pki.client_rsa_cert, pki.client_rsa_key)
    pair = make_pair(pki, twin, client_kw={"certificate": key},
                     server_kw={"client_auth": "required", "client_ca": str(pki.ca_file)})
    pair.server.receive_data(pair.client.data_to_send())
    pair.client.receive_data(pair.server.data_to_send())
    records = _records(pair.client.data_to_send())
    cv = next(r for r in records if r[0] == 22 and r[5] == 15)
    cv[-1] ^= 1
    expect_fatal(pair.server, b"".join(records), t.DecryptError, AD.decrypt_error)


# --------------------------------------------------------------------------- renegotiation / alerts


def test_hello_request_refused(pki, twin):
    pair = handshake(pki, twin)
    pair.server._records.writer.write(22, b"\x00\x00\x00\x00")  # HelloRequest under the traffic keys
    pair.client_events.clear()
    pair.server_events.clear()
    pair.pump()
    # RFC 5246 §7.2.2: no_renegotiation is a warning; the connection carries on.
    assert pair.server_events == [t.AlertReceived(1, AD.no_renegotiation)]
    pair.client.send(b"still here")
    pair.pump()
    assert pair.server_events[-1] == t.ApplicationData(b"still here")
    # Asking again is fatal.
    pair.server._records.writer.write(22, b"\x00\x00\x00\x00")
    with pytest.raises(t.NoRenegotiation) as info:
        pair.pump()
    assert info.value.alert == AD.no_renegotiation and pair.client.closed
    with pytest.raises(t.PeerAlertError):
        pair.server.receive_data(pair.client.data_to_send())


def test_second_client_hello_refused(pki, twin):
    pair = handshake(pki, twin)
    hello = pair.client._state  # ExpectTraffic; build a fresh hello from a new client
    fresh = make_pair(pki, twin).client._state.hs.hello
    pair.client._records.writer.write(22, twin.codec.encode_handshake(fresh))
    pair.client_events.clear()
    pair.pump()
    assert pair.client_events == [t.AlertReceived(1, AD.no_renegotiation)]
    assert hello is pair.client._state and pair.server.handshake_complete


def test_peer_fatal_alert(pki, twin):
    pair = make_pair(pki, twin)
    with pytest.raises(t.PeerAlertError) as info:
        pair.client.receive_data(fatal_alert(AD.handshake_failure))
    assert info.value.alert == AD.handshake_failure
    assert pair.client.closed and pair.client.data_to_send().startswith(b"\x16")  # no alert back


def test_too_many_warning_alerts(pki, twin):
    pair = make_pair(pki, twin)
    warning = bytes((21, 3, 3, 0, 2, 1, int(AD.user_canceled)))
    events = pair.client.receive_data(warning * 4)
    assert events == [t.AlertReceived(1, AD.user_canceled)] * 4
    pair.client.data_to_send()
    expect_fatal(pair.client, warning, t.UnexpectedMessage, AD.unexpected_message)


def test_close_notify_during_handshake(pki, twin):
    pair = make_pair(pki, twin)
    pair.client.data_to_send()
    events = pair.client.receive_data(bytes((21, 3, 3, 0, 2, 1, 0)))
    assert events == [t.ConnectionClosed(clean=True)]
    assert pair.client.data_to_send() == bytes((21, 3, 3, 0, 2, 1, 0))


# --------------------------------------------------------------------------- hostile bytes


@pytest.mark.parametrize("side", ["client", "server"])
def test_random_garbage_only_raises_tls_errors(pki, twin, side):
    rng = random.Random(1234)
    base = make_pair(pki, twin)
    for _ in range(150):
        if side == "client":
            conn = t.ClientConnection(base.client._config, server_name="localhost")
            conn.data_to_send()
        else:
            conn = t.ServerConnection(base.server._config)
        blob = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 300)))
        if rng.random() < 0.5:  # a plausible record header in front of the noise
            blob = bytes((rng.choice((20, 21, 22, 23)), 3, 3)) + len(blob).to_bytes(2, "big") + blob
        try:
            conn.receive_data(blob)
        except t.TLSError:
            assert conn.closed
        else:
            assert not conn.handshake_complete


def test_mutated_and_truncated_flights_only_raise_tls_errors(pki, twin):
    # A live handshake in which one flight (chosen at random) is truncated or bit-flipped.
    rng = random.Random(99)
    base = make_pair(pki, twin, server_kw={"client_auth": "optional", "client_ca": str(pki.ca_file)})
    outcomes = set()
    for _ in range(120):
        pair = type(base)(t.ClientConnection(base.client._config, server_name="localhost"),
                          t.ServerConnection(base.server._config))
        target = rng.randrange(4)
        seen = []

        def tamper(direction, data):
            seen.append(direction)
            if len(seen) - 1 != target:
                return data
            data = bytearray(data)
            if rng.random() < 0.4:
                return bytes(data[:rng.randrange(len(data))])
            for _ in range(rng.randrange(1, 4)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            return bytes(data)

        try:
            pair.pump(tamper)
        except t.TLSError as exc:
            assert exc.alert is not None
            outcomes.add(type(exc).__name__)
        else:
            outcomes.add("quiet")
    assert len(outcomes) > 2  # the mutations did reach different checks
