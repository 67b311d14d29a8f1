# Interop with tlslite-ng (an independent pure-Python TLS stack) over real 127.0.0.1 sockets,
# both directions: every suite family with the matching RSA/ECDSA certificate, the RFC 7919
# FFDHE groups that OpenSSL does not negotiate in TLS 1.2 (ffdhe2048, ffdhe3072), the ECDHE
# groups (x25519, secp256r1, secp384r1), client certificates, ALPN (RFC 7301) and extended
# master secret (RFC 7627) asserted on both ends (tlslite's from its session object).
#
# tlslite does not verify certificate chains, so its side compares the chain it received with
# the certificate the test configured.
from __future__ import annotations

import pathlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

import tls12fast as t
from _peers import (
    SUITES,
    cert_files,
    client_config,
    connect_tls12fast,
    keys,  # noqa: F401 (fixture)
    serve_tls12fast,
    server_config,
)
from _tlslite_peer import CURVES, TLSLiteServer, require_tlslite, tlslite_connect, tlslite_settings

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module", autouse=True)
def tlslite():
    return require_tlslite()


def leaf_der(path) -> bytes:
    return x509.load_pem_x509_certificates(pathlib.Path(path).read_bytes())[0].public_bytes(Encoding.DER)


def key_exchange_summary(traced, direction: str) -> str:
    """The tracer summary of the ServerKeyExchange we sent or received."""
    (ske,) = [e for e in traced if e.direction == direction and e.msg_type == "server_key_exchange"]
    return ske.summary


# ---------------------------------------------------------------------------------------
# tls12fast client -> tlslite-ng server


@pytest.mark.parametrize("suite", SUITES)
def test_client_to_tlslite_server(pki, twin, suite):
    cert, key = cert_files(pki, suite)
    data = f"tls12fast client over {suite}".encode()
    settings = tlslite_settings(suite, curves=CURVES)
    with TLSLiteServer(cert, key, settings=settings, alpn=["http/1.1"]) as srv:
        cfg = client_config(pki, twin, cipher_suites=[suite], alpn_protocols=["h2", "http/1.1"])
        view = connect_tls12fast(cfg, port=srv.port, data=data)
    (peer,) = srv.views
    assert peer.error is None, repr(peer.error)
    assert view.received == data and peer.received == data
    assert view.cipher_suite == peer.cipher_suite == suite
    assert peer.version == (3, 3)
    assert view.extended_master_secret is True and peer.extended_master_secret is True
    assert view.alpn_protocol == "http/1.1" and peer.alpn_protocol == b"http/1.1"
    if "_CBC_" in suite:  # RFC 7366 negotiated by default with CBC suites
        assert peer.encrypt_then_mac is True


@pytest.mark.parametrize(("group", "summary"), [
    ("ffdhe2048", "dh_p=2048bits"), ("ffdhe3072", "dh_p=3072bits"),
    ("x25519", "group=x25519"), ("secp256r1", "group=secp256r1"), ("secp384r1", "group=secp384r1"),
])
def test_client_groups_with_tlslite_server(pki, twin, group, summary):
    dhe = group.startswith("ffdhe")
    suite = "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" if dhe else "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
    settings = tlslite_settings(suite, dh_groups=[group] if dhe else None, curves=None if dhe else [group])
    traced = []
    with TLSLiteServer(pki.rsa_cert, pki.rsa_key, settings=settings) as srv:
        cfg = client_config(pki, twin, cipher_suites=[suite], groups=[group], tracer=traced.append)
        view = connect_tls12fast(cfg, port=srv.port, data=b"group " + group.encode())
    assert srv.views[0].error is None, repr(srv.views[0].error)
    assert view.received == b"group " + group.encode()
    assert summary in key_exchange_summary(traced, "recv")


@pytest.mark.parametrize("kind", ["rsa", "ecdsa"])
def test_client_certificate_to_tlslite_server(pki, twin, kind):
    cert_path, key_path = getattr(pki, f"client_{kind}_cert"), getattr(pki, f"client_{kind}_key")
    cert = t.CertifiedKey.load(str(cert_path), str(key_path))
    with TLSLiteServer(pki.rsa_cert, pki.rsa_key, settings=tlslite_settings(curves=CURVES), req_cert=True) as srv:
        view = connect_tls12fast(client_config(pki, twin, certificate=cert), port=srv.port, data=b"signed")
    (peer,) = srv.views
    assert peer.error is None, repr(peer.error)
    assert view.received == b"signed"
    assert peer.peer_chain[0] == leaf_der(cert_path)


def test_client_without_ems_to_tlslite_server(pki, twin):
    with TLSLiteServer(pki.ecdsa_cert, pki.ecdsa_key, settings=tlslite_settings(curves=CURVES)) as srv:
        view = connect_tls12fast(client_config(pki, twin, extended_master_secret=False), port=srv.port, data=b"legacy")
    assert view.received == b"legacy"
    assert view.extended_master_secret is False and srv.views[0].extended_master_secret is False


# ---------------------------------------------------------------------------------------
# tlslite-ng client -> tls12fast server


@pytest.mark.parametrize("suite", SUITES)
def test_tlslite_client_to_server(pki, keys, twin, suite):
    key_type = "ECDSA" if "_ECDSA_" in suite else "RSA"
    cfg = server_config(keys, twin, key_type, cipher_suites=[suite], alpn_protocols=["h2", "http/1.1"])
    data = f"tlslite client over {suite}".encode()
    with serve_tls12fast(cfg) as srv:
        peer = tlslite_connect(srv.port, settings=tlslite_settings(suite, curves=CURVES), data=data,
                               alpn=["http/1.1", "h2"])
        srv.wait(5)
    (view,) = srv.views
    assert view.error is None, repr(view.error)
    assert peer.received == data and view.received == data
    assert peer.cipher_suite == view.cipher_suite == suite
    assert peer.version == (3, 3)
    assert peer.extended_master_secret is True and view.extended_master_secret is True
    assert peer.alpn_protocol == b"h2" and view.alpn_protocol == "h2"
    assert peer.peer_chain[0] == leaf_der(cert_files(pki, suite)[0])
    if "_CBC_" in suite:
        assert peer.encrypt_then_mac is True


@pytest.mark.parametrize(("group", "summary"), [
    ("ffdhe2048", "dh_p=2048bits"), ("ffdhe3072", "dh_p=3072bits"),
    ("x25519", "group=x25519"), ("secp256r1", "group=secp256r1"), ("secp384r1", "group=secp384r1"),
])
def test_tlslite_client_groups_to_server(pki, keys, twin, group, summary):
    dhe = group.startswith("ffdhe")
    suite = "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" if dhe else "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"
    traced = []
    cfg = server_config(keys, twin, cipher_suites=[suite], groups=[group], tracer=traced.append)
    settings = tlslite_settings(suite, dh_groups=[group] if dhe else None, curves=None if dhe else [group])
    with serve_tls12fast(cfg) as srv:
        peer = tlslite_connect(srv.port, settings=settings, data=b"group " + group.encode())
        srv.wait(5)
    assert srv.views[0].error is None, repr(srv.views[0].error)
    assert peer.received == b"group " + group.encode()
    assert summary in key_exchange_summary(traced, "send")


@pytest.mark.parametrize("kind", ["rsa", "ecdsa"])
def test_tlslite_client_certificate_to_server(pki, keys, twin, kind):
    cert_path, key_path = getattr(pki, f"client_{kind}_cert"), getattr(pki, f"client_{kind}_key")
    cfg = server_config(keys, twin, client_auth="required", client_ca=str(pki.ca_file))
    with serve_tls12fast(cfg) as srv:
        peer = tlslite_connect(srv.port, settings=tlslite_settings(curves=CURVES), cert=cert_path, key=key_path,
                               data=b"client auth")
        srv.wait(5)
    (view,) = srv.views
    assert view.error is None, repr(view.error)
    assert peer.received == b"client auth"
    assert f"CN=client {kind}" in view.peer_certificates[0].subject.rfc4514_string()


def test_tlslite_client_without_certificate_rejected(pki, keys, twin):
    cfg = server_config(keys, twin, client_auth="required", client_ca=str(pki.ca_file))
    api = require_tlslite()
    with serve_tls12fast(cfg) as srv:
        with pytest.raises(api.TLSRemoteAlert):
            tlslite_connect(srv.port, settings=tlslite_settings(curves=CURVES), data=b"anonymous")
        srv.wait(5)
    (view,) = srv.views
    assert isinstance(view.error, t.TLSError) and view.error.alert is not None


def test_tlslite_client_without_ems(pki, keys, twin):
    """No RFC 7627 from the client: legacy master secret, unless the server requires EMS."""
    settings = tlslite_settings(curves=CURVES, ems=False)
    with serve_tls12fast(server_config(keys, twin)) as srv:
        peer = tlslite_connect(srv.port, settings=settings, data=b"legacy")
        srv.wait(5)
    assert peer.received == b"legacy"
    assert peer.extended_master_secret is False and srv.views[0].extended_master_secret is False

    api = require_tlslite()
    with serve_tls12fast(server_config(keys, twin, require_extended_master_secret=True)) as srv:
        with pytest.raises(api.TLSRemoteAlert):
            tlslite_connect(srv.port, settings=settings, data=b"legacy")
        srv.wait(5)
    assert isinstance(srv.views[0].error, t.TLSError)

