# Full TLS 1.2 handshakes between our own client and server, in memory, on both twins:
# every suite, every group, PSS and PKCS#1, SNI certificate choice, ALPN, EMS and EtM on
# and off, client certificates, key log, tracer, exporter, application data and closure.
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import tls12fast as t
from tls12fast.messages import SignatureAlgorithmsExt, SupportedVersionsExt
from tls12fast.suites import ALL_SUITES

from _pair import handshake, make_pair


def _data(events) -> bytes:
    return b"".join(e.data for e in events if isinstance(e, t.ApplicationData))


@pytest.mark.parametrize("suite", ALL_SUITES, ids=lambda s: s.name)
def test_every_suite(pki, twin, suite):
    pair = handshake(pki, twin, client_kw={"cipher_suites": [suite.name]})
    assert pair.client.cipher_suite == pair.server.cipher_suite == suite.name
    assert pair.client_events == [t.HandshakeComplete("full")]
    assert pair.server_events == [t.HandshakeComplete("full")]
    assert pair.client.resumption == pair.server.resumption == "full"
    big = bytes(range(256)) * 100  # 25600 bytes: two records
    pair.client.send(big)
    pair.server.send(big[::-1])
    pair.client_events.clear()
    pair.server_events.clear()
    pair.pump()
    assert _data(pair.server_events) == big
    assert _data(pair.client_events) == big[::-1]
    key = pair.client.peer_certificates[0].public_key()
    assert isinstance(key, rsa.RSAPublicKey if suite.auth == "RSA" else ec.EllipticCurvePublicKey)


@pytest.mark.parametrize("group", ["x25519", "secp256r1", "secp384r1"])
def test_ecdhe_groups(pki, twin, group):
    seen = []
    pair = handshake(pki, twin, client_kw={"groups": [group]}, server_kw={"tracer": seen.append})
    assert pair.client.cipher_suite.startswith("TLS_ECDHE_")
    ske = [e for e in seen if e.msg_type == "server_key_exchange"]
    assert len(ske) == 1 and f"group={group}" in ske[0].summary


@pytest.mark.parametrize("group", ["ffdhe2048", "ffdhe3072"])
def test_ffdhe_groups(pki, twin, group):
    seen = []
    pair = handshake(pki, twin, client_kw={"groups": [group]}, server_kw={"tracer": seen.append})
    assert pair.client.cipher_suite.startswith("TLS_DHE_RSA_")
    bits = 2048 if group == "ffdhe2048" else 3072
    assert [e.summary.split()[0] for e in seen if e.msg_type == "server_key_exchange"] == [f"dh_p={bits}bits"]


def test_dhe_without_ffdhe_groups_uses_server_group(pki, twin):
    # RFC 7919 §4: a client that names no ffdhe group gets the server's own choice.
    seen = []
    pair = handshake(pki, twin,
                     client_kw={"groups": ["x25519"], "cipher_suites": ["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"]},
                     server_kw={"tracer": seen.append, "dhe_group": "ffdhe3072"})
    assert pair.client.cipher_suite == "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"
    assert any("dh_p=3072bits" in e.summary for e in seen)


def test_dhe_skipped_when_client_ffdhe_groups_unsupported(pki, twin):
    # The client lists only ffdhe3072, the server only ffdhe2048 -> DHE suites are skipped.
    pair = handshake(pki, twin,
                     client_kw={"groups": ["ffdhe3072", "x25519"],
                                "cipher_suites": ["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
                                                  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]},
                     server_kw={"groups": ["x25519", "ffdhe2048"]})
    assert pair.client.cipher_suite == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"


@pytest.mark.parametrize("scheme", ["rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512",
                                    "rsa_pkcs1_sha256", "rsa_pkcs1_sha384", "rsa_pkcs1_sha512"])
def test_rsa_signature_schemes(pki, twin, scheme):
    seen = []
    handshake(pki, twin, certs=("rsa",), client_kw={"signature_schemes": [scheme]},
              server_kw={"tracer": seen.append})
    code = int(t.SignatureScheme[scheme])
    assert any(e.msg_type == "server_key_exchange" and f"scheme=0x{code:04x}" in e.summary for e in seen)


@pytest.mark.parametrize("cert,scheme", [("ecdsa", "ecdsa_secp256r1_sha256"),
                                         ("ecdsa384", "ecdsa_secp384r1_sha384")])
def test_ecdsa_schemes(pki, twin, cert, scheme):
    pair = handshake(pki, twin, certs=(cert,), client_kw={"signature_schemes": [scheme]})
    assert "ECDSA" in pair.client.cipher_suite


def test_server_picks_certificate_by_suite(pki, twin):
    both = ("rsa", "ecdsa")
    pair = handshake(pki, twin, certs=both, client_kw={"cipher_suites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]})
    assert isinstance(pair.client.peer_certificates[0].public_key(), rsa.RSAPublicKey)
    pair = handshake(pki, twin, certs=both, client_kw={"cipher_suites": ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]})
    assert isinstance(pair.client.peer_certificates[0].public_key(), ec.EllipticCurvePublicKey)


def test_sni_selects_certificate(pki, twin):
    certs = ("rsa", "other")
    pair = handshake(pki, twin, certs=certs, server_name="other.example")
    assert pair.server.server_name == pair.client.server_name == "other.example"
    assert "other.example" in pair.client.peer_certificates[0].subject.rfc4514_string()
    pair = handshake(pki, twin, certs=certs, server_name="localhost")
    assert pair.server.server_name == "localhost"
    assert "CN=localhost" in pair.client.peer_certificates[0].subject.rfc4514_string()


@pytest.mark.filterwarnings("ignore::tls12fast.config.InsecureWarning")
def test_sni_acknowledged_only_when_used(pki, twin):
    seen = []
    handshake(pki, twin, certs=("rsa",), client_kw={"tracer": seen.append})
    sh = next(e for e in seen if e.msg_type == "server_hello")
    assert "server_name" in sh.summary
    seen.clear()
    handshake(pki, twin, certs=("other",), server_name=None,
              client_kw={"tracer": seen.append, "verify": False, "check_hostname": False})
    sh = next(e for e in seen if e.msg_type == "server_hello")
    assert "server_name" not in sh.summary


def test_no_server_name_without_hostname_check(pki, twin):
    pair = handshake(pki, twin, server_name=None, client_kw={"check_hostname": False})
    assert pair.server.server_name is None


def test_ip_address_is_not_sent_as_sni(pki, twin):
    pair = handshake(pki, twin, server_name="127.0.0.1")
    assert pair.server.server_name is None
    assert pair.client.server_name == "127.0.0.1"


def test_alpn(pki, twin):
    pair = handshake(pki, twin, client_kw={"alpn_protocols": ["http/1.1", "h2"]},
                     server_kw={"alpn_protocols": ["h2", "http/1.1"]})
    assert pair.client.alpn_protocol == pair.server.alpn_protocol == "h2"
    pair = handshake(pki, twin, client_kw={"alpn_protocols": ["h2"]})
    assert pair.client.alpn_protocol is None and pair.server.alpn_protocol is None


@pytest.mark.parametrize("client_ems,server_ems", [(True, True), (False, False)])
def test_extended_master_secret(pki, twin, client_ems, server_ems):
    pair = handshake(pki, twin, client_kw={"extended_master_secret": client_ems})
    assert pair.client.extended_master_secret is server_ems
    assert pair.server.extended_master_secret is server_ems
    label = "EXPORTER-test"
    assert pair.client.export_keying_material(label, 32) == pair.server.export_keying_material(label, 32)


@pytest.mark.parametrize("client_etm,server_etm", [(True, True), (True, False), (False, True)])
def test_encrypt_then_mac(pki, twin, client_etm, server_etm):
    seen = []
    suite = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"
    pair = handshake(pki, twin, client_kw={"cipher_suites": [suite], "encrypt_then_mac": client_etm,
                                           "tracer": seen.append},
                     server_kw={"encrypt_then_mac": server_etm})
    sh = next(e for e in seen if e.msg_type == "server_hello" and e.direction == "recv")
    assert ("encrypt_then_mac" in sh.summary) is (client_etm and server_etm)
    pair.client.send(b"cbc " * 5000)
    pair.pump()
    assert _data(pair.server_events) == b"cbc " * 5000


def test_no_encrypt_then_mac_with_aead(pki, twin):
    seen = []
    handshake(pki, twin, client_kw={"tracer": seen.append,
                                    "cipher_suites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                                      "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"]})
    ch = next(e for e in seen if e.msg_type == "client_hello")
    sh = next(e for e in seen if e.msg_type == "server_hello")
    assert "encrypt_then_mac" in ch.summary and "encrypt_then_mac" not in sh.summary


@pytest.mark.parametrize("mode", ["optional", "required"])
@pytest.mark.parametrize("client_cert", ["client_rsa", "client_ecdsa"])
def test_client_certificate(pki, twin, mode, client_cert):
    key = t.CertifiedKey.load(getattr(pki, f"{client_cert}_cert"), getattr(pki, f"{client_cert}_key"))
    pair = handshake(pki, twin, client_kw={"certificate": key},
                     server_kw={"client_auth": mode, "client_ca": str(pki.ca_file)})
    assert pair.server.peer_certificates[0] == key.certificate


def test_client_certificate_optional_without_certificate(pki, twin):
    pair = handshake(pki, twin, server_kw={"client_auth": "optional", "client_ca": str(pki.ca_file)})
    assert pair.server.peer_certificates == []


def test_keylog_lines_match(pki, twin):
    client_lines, server_lines = [], []
    pair = handshake(pki, twin, client_kw={"keylog": client_lines.append},
                     server_kw={"keylog": server_lines.append})
    assert client_lines == server_lines and len(client_lines) == 1
    label, random_hex, secret_hex = client_lines[0].split()
    assert label == "CLIENT_RANDOM" and len(random_hex) == 64 and len(secret_hex) == 96
    assert bytes.fromhex(secret_hex) == pair.client._master_secret


def test_keylog_file(pki, twin, tmp_path):
    path = tmp_path / "keys.log"
    handshake(pki, twin, client_kw={"keylog": str(path)})
    assert path.read_text().startswith("CLIENT_RANDOM ")


def test_tracer_sees_every_message(pki, twin):
    client_seen, server_seen = [], []
    handshake(pki, twin, client_kw={"tracer": client_seen.append, "session_store": None,
                                               "offer_ticket": False},
              server_kw={"tracer": server_seen.append})
    assert [(e.direction, e.msg_type) for e in client_seen] == [
        ("send", "client_hello"), ("recv", "server_hello"), ("recv", "certificate"),
        ("recv", "server_key_exchange"), ("recv", "server_hello_done"),
        ("send", "client_key_exchange"), ("send", "change_cipher_spec"), ("send", "finished"),
        ("recv", "change_cipher_spec"), ("recv", "finished")]
    flip = {"send": "recv", "recv": "send"}
    assert [(flip[e.direction], e.msg_type) for e in server_seen] == [
        (e.direction, e.msg_type) for e in client_seen]
    assert all(e.length > 0 for e in client_seen)


def test_export_keying_material(pki, twin):
    pair = handshake(pki, twin)
    a = pair.client.export_keying_material("EXPORTER-x", 40, b"ctx")
    assert a == pair.server.export_keying_material("EXPORTER-x", 40, b"ctx")
    assert a != pair.client.export_keying_material("EXPORTER-x", 40)
    assert len(a) == 40


def test_close_notify_from_client(pki, twin):
    pair = handshake(pki, twin)
    pair.client.close()
    assert pair.client.closed
    with pytest.raises(t.LocalProtocolError):
        pair.client.send(b"late")
    pair.pump()
    assert t.ConnectionClosed(clean=True) in pair.server_events
    assert t.ConnectionClosed(clean=True) in pair.client_events  # the server's reply
    assert pair.server.closed


def test_close_notify_from_server(pki, twin):
    pair = handshake(pki, twin)
    pair.server.send(b"last words")
    pair.server.close()
    pair.pump()
    assert _data(pair.client_events) == b"last words"
    assert pair.client_events[-1] == t.ConnectionClosed(clean=True)


def test_eof_without_close_notify(pki, twin):
    pair = handshake(pki, twin)
    assert pair.server.receive_data(b"") == [t.ConnectionClosed(clean=False)]
    assert pair.server.closed
    assert pair.server.receive_data(b"more") == []


def test_large_input_in_one_call(pki, twin):
    # Far more than the record reader's buffer: receive_data must feed it in chunks.
    pair = handshake(pki, twin, client_kw={"max_fragment_size": 512})
    payload = bytes(range(256)) * 1024  # 256 KiB in 512-byte records
    pair.client.send(payload)
    wire = pair.client.data_to_send()
    assert len(wire) > 4 * 65536
    assert _data(pair.server.receive_data(wire)) == payload


def test_send_before_handshake(pki, twin):
    pair = make_pair(pki, twin)
    with pytest.raises(t.LocalProtocolError):
        pair.client.send(b"early")
    with pytest.raises(t.LocalProtocolError):
        pair.client.export_keying_material("EXPORTER-x", 16)
    assert pair.client.resumption is None and pair.client.session is None


def test_session_objects(pki, twin):
    pair = handshake(pki, twin, client_kw={"alpn_protocols": ["h2"]}, server_kw={"alpn_protocols": ["h2"]})
    for conn in (pair.client, pair.server):
        assert conn.session.cipher_suite_name == conn.cipher_suite
        assert conn.session.alpn_protocol == b"h2"
        assert conn.session.extended_master_secret
    assert pair.client.session.master_secret == pair.server.session.master_secret
    assert pair.client.session.server_name == "localhost"


def test_byte_at_a_time(pki, twin):
    pair = make_pair(pki, twin)
    events = []
    for _ in range(10):
        for src, dst in ((pair.client, pair.server), (pair.server, pair.client)):
            data = src.data_to_send()
            for i in range(len(data)):
                events += dst.receive_data(data[i:i + 1])
    assert pair.client.handshake_complete and pair.server.handshake_complete
    assert events.count(t.HandshakeComplete("full")) == 2


def test_tls13_client_hello_negotiates_tls12_without_downgrade_sentinel(pki, twin):
    # A 1.3-capable ClientHello (supported_versions) gets TLS 1.2. RFC 8446 §4.1.3: only a
    # TLS 1.3 server may put "DOWNGRD\x01" in its random; a 1.2-only server must not, or
    # 1.3-capable clients abort (see test_interop_stdlib's default-client test).
    for _ in range(8):
        pair = make_pair(pki, twin)
        hello = pair.client._state.hs.hello
        hello.extensions.append(SupportedVersionsExt([0x0304, 0x0303]))
        raw = twin.codec.encode_handshake(hello)
        pair.server.receive_data(bytes((22, 3, 1)) + len(raw).to_bytes(2, "big") + raw)
        out = pair.server.data_to_send()
        assert out[5] == 2 and out[9:11] == b"\x03\x03"  # ServerHello, TLS 1.2
        assert out[5 + 4 + 2 + 24: 5 + 4 + 2 + 32] not in (b"DOWNGRD\x01", b"DOWNGRD\x00")


def test_no_signature_algorithms_falls_back_to_rsa_key_exchange(pki, twin):
    # RFC 5246 §7.4.1.4.1: without the extension only SHA-1 signatures are possible; we do
    # not sign with SHA-1, so only RSA key exchange remains.
    pair = make_pair(pki, twin)
    hello = pair.client._state.hs.hello
    hello.extensions = [e for e in hello.extensions if not isinstance(e, SignatureAlgorithmsExt)]
    raw = twin.codec.encode_handshake(hello)
    pair.server.receive_data(bytes((22, 3, 3)) + len(raw).to_bytes(2, "big") + raw)
    assert pair.server.cipher_suite.startswith("TLS_RSA_WITH_")
