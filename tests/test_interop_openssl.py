# Interop with the `openssl` CLI (OpenSSL 3.x) over real 127.0.0.1 sockets, both directions:
# tls12fast ClientConnection -> `openssl s_server`, and `openssl s_client` -> tls12fast
# ServerConnection, for every suite family (RFC 5246 / 5288 / 5289 / 7905) with the matching
# RSA or ECDSA certificate, client certificates (RFC 5246 §7.4.4, §7.4.6, §7.4.8), ALPN
# (RFC 7301) and extended master secret (RFC 7627). Each test asserts what BOTH ends
# negotiated: ours from the connection, OpenSSL's from its -trace / session summary.
#
# The full suite matrix runs against both twins (each test is a subprocess plus a socket
# pair: well under a second).
from __future__ import annotations

import pytest

import tls12fast as t
from _peers import (
    SUITES,
    OpenSSLServer,
    cert_files,
    client_config,
    connect_tls12fast,
    keys,  # noqa: F401 (fixture)
    require_openssl,
    reversed_line,
    run_openssl_client,
    serve_tls12fast,
    server_config,
)

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module", autouse=True)
def openssl():
    return require_openssl()


# ---------------------------------------------------------------------------------------
# tls12fast client -> openssl s_server


@pytest.mark.parametrize("suite", SUITES)
def test_client_to_s_server(pki, twin, suite):
    cert, key = cert_files(pki, suite)
    line = f"tls12fast client says hello over {suite}\n".encode()
    with OpenSSLServer(cert, key, ciphers=[suite], alpn=["http/1.1"]) as srv:
        cfg = client_config(pki, twin, cipher_suites=[suite], alpn_protocols=["h2", "http/1.1"])
        view = connect_tls12fast(cfg, port=srv.port, data=line)
    assert view.received == reversed_line(line), srv.describe()
    # Our view ...
    assert view.cipher_suite == suite
    assert view.extended_master_secret is True
    assert view.alpn_protocol == "http/1.1"
    assert view.clean_close is not False
    # ... and OpenSSL's.
    hellos = srv.server_hellos
    assert len(hellos) == 1, srv.describe()
    assert hellos[0].cipher_suite == suite
    assert hellos[0].extended_master_secret
    assert "ALPN protocols selected: http/1.1" in srv.stdout, srv.describe()


@pytest.mark.parametrize(("groups", "expected"), [
    ("X25519", "x25519"), ("P-256", "secp256r1"), ("P-384", "secp384r1"),
])
def test_client_ecdhe_groups(pki, twin, groups, expected):
    suite = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    traced = []
    line = b"group check\n"
    with OpenSSLServer(pki.rsa_cert, pki.rsa_key, groups=groups) as srv:
        cfg = client_config(pki, twin, cipher_suites=[suite], tracer=traced.append)
        view = connect_tls12fast(cfg, port=srv.port, data=line)
    assert view.received == reversed_line(line)
    ske = [e for e in traced if e.direction == "recv" and e.msg_type == "server_key_exchange"]
    assert len(ske) == 1 and f"group={expected}" in ske[0].summary, traced


def test_client_without_ems(pki, twin):
    """A client that does not offer RFC 7627 gets the legacy master secret on both ends."""
    line = b"no ems\n"
    with OpenSSLServer(pki.ecdsa_cert, pki.ecdsa_key) as srv:
        cfg = client_config(pki, twin, extended_master_secret=False)
        view = connect_tls12fast(cfg, port=srv.port, data=line)
    assert view.received == reversed_line(line)
    assert view.extended_master_secret is False
    assert not srv.server_hellos[0].extended_master_secret


@pytest.mark.parametrize("kind", ["rsa", "ecdsa"])
def test_client_certificate_to_s_server(pki, twin, kind):
    cert = t.CertifiedKey.load(str(getattr(pki, f"client_{kind}_cert")), str(getattr(pki, f"client_{kind}_key")))
    line = b"authenticated hello\n"
    with OpenSSLServer(pki.rsa_cert, pki.rsa_key, cafile=pki.ca_file, verify_client="required") as srv:
        view = connect_tls12fast(client_config(pki, twin, certificate=cert), port=srv.port, data=line)
    assert view.received == reversed_line(line), srv.describe()
    assert f"Peer certificate: O = tls12fast tests, CN = client {kind}" in srv.stderr, srv.describe()
    assert "Verification: OK" in srv.stderr


def test_client_without_certificate_rejected_by_s_server(pki, twin):
    with OpenSSLServer(pki.rsa_cert, pki.rsa_key, cafile=pki.ca_file, verify_client="required") as srv:
        with pytest.raises(t.TLSError) as info:
            connect_tls12fast(client_config(pki, twin), port=srv.port, data=b"x\n")
    assert info.value.alert is not None
    assert "Peer certificate" not in srv.stderr


def test_client_rejects_untrusted_s_server(pki, twin):
    with OpenSSLServer(pki.untrusted_cert, pki.untrusted_key) as srv:
        with pytest.raises(t.CertificateError) as info:
            connect_tls12fast(client_config(pki, twin), port=srv.port, data=b"x\n")
    assert info.value.alert == t.AlertDescription.unknown_ca
    assert "alert unknown ca" in srv.stderr, srv.describe()


# ---------------------------------------------------------------------------------------
# openssl s_client -> tls12fast server


@pytest.mark.parametrize("suite", SUITES)
def test_s_client_to_server(pki, keys, twin, suite):
    key_type = "ECDSA" if "_ECDSA_" in suite else "RSA"
    cfg = server_config(keys, twin, key_type, cipher_suites=[suite], alpn_protocols=["h2", "http/1.1"])
    data = f"openssl says hello over {suite}\n".encode()
    with serve_tls12fast(cfg) as srv:
        r = run_openssl_client(srv.port, cafile=pki.ca_file, data=data, expect=data.strip(),
                               alpn=["http/1.1", "h2"], ciphers=[suite])
        srv.wait(5)
    assert r.returncode == 0, r.describe()
    # OpenSSL's view ...
    assert r.cipher_suite == suite, r.describe()
    assert r.protocol == "TLSv1.2"
    assert r.extended_master_secret is True
    assert r.alpn_protocol == "h2"
    assert r.verify_code == 0
    assert data.decode() in r.stdout
    # ... and ours.
    (view,) = srv.views
    assert view.error is None, repr(view.error)
    assert view.cipher_suite == suite
    assert view.extended_master_secret is True
    assert view.alpn_protocol == "h2"
    assert view.received == data
    assert view.clean_close is True


def test_s_client_bulk_echo(pki, keys, twin):
    """~100 KB each way: many records, several reads per record boundary."""
    cfg = server_config(keys, twin, "ECDSA", cipher_suites=["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"])
    data = b"".join(b"line %05d %s\n" % (i, b"x" * 40) for i in range(2000))
    with serve_tls12fast(cfg) as srv:
        r = run_openssl_client(srv.port, cafile=pki.ca_file, data=data, expect=b"line 01999")
        srv.wait(5)
    (view,) = srv.views
    assert view.error is None, repr(view.error)
    assert view.received == data
    assert r.stdout.count("line ") >= 2000, r.describe()


@pytest.mark.parametrize("kind", ["rsa", "ecdsa"])
@pytest.mark.parametrize("mode", ["optional", "required"])
def test_s_client_certificate_to_server(pki, keys, twin, kind, mode):
    cfg = server_config(keys, twin, client_auth=mode, client_ca=str(pki.ca_file))
    data = b"client-authenticated hello\n"
    with serve_tls12fast(cfg) as srv:
        r = run_openssl_client(srv.port, cafile=pki.ca_file, data=data, expect=data.strip(),
                               cert=getattr(pki, f"client_{kind}_cert"), key=getattr(pki, f"client_{kind}_key"))
        srv.wait(5)
    assert r.returncode == 0, r.describe()
    (view,) = srv.views
    assert view.error is None, repr(view.error)
    assert view.received == data
    subject = view.peer_certificates[0].subject.rfc4514_string()
    assert f"CN=client {kind}" in subject


def test_s_client_without_certificate(pki, keys, twin):
    """client_auth="optional" accepts an empty Certificate; "required" aborts."""
    data = b"anonymous hello\n"
    cfg = server_config(keys, twin, client_auth="optional", client_ca=str(pki.ca_file))
    with serve_tls12fast(cfg) as srv:
        r = run_openssl_client(srv.port, cafile=pki.ca_file, data=data, expect=data.strip())
        srv.wait(5)
    assert r.returncode == 0, r.describe()
    assert srv.views[0].error is None and srv.views[0].peer_certificates == []

    cfg = server_config(keys, twin, client_auth="required", client_ca=str(pki.ca_file))
    with serve_tls12fast(cfg) as srv:
        r = run_openssl_client(srv.port, cafile=pki.ca_file, data=data, expect=data.strip(), timeout=5)
        srv.wait(5)
    (view,) = srv.views
    assert isinstance(view.error, t.TLSError)
    assert view.error.alert is not None
    assert data.decode() not in r.stdout


@pytest.mark.parametrize("suite", ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA256"])
def test_s_client_mac_then_encrypt(pki, keys, twin, suite):
    """`-no_etm`: CBC with the RFC 5246 §6.2.3.2 MAC-then-encrypt record format."""
    cfg = server_config(keys, twin, cipher_suites=[suite])
    data = b"mac then encrypt " * 100 + b"\n"
    with serve_tls12fast(cfg) as srv:
        r = run_openssl_client(srv.port, cafile=pki.ca_file, data=data, expect=data.strip()[-40:],
                               ciphers=[suite], extra=["-no_etm"])
        srv.wait(5)
    assert r.returncode == 0 and r.cipher_suite == suite, r.describe()
    assert srv.views[0].received == data


def test_client_mac_then_encrypt(pki, twin):
    suite = "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"
    line = b"mac then encrypt\n"
    with OpenSSLServer(pki.rsa_cert, pki.rsa_key, ciphers=[suite]) as srv:
        cfg = client_config(pki, twin, cipher_suites=[suite], encrypt_then_mac=False)
        view = connect_tls12fast(cfg, port=srv.port, data=line)
    assert view.received == reversed_line(line)
    assert "encrypt_then_mac" not in srv.server_hellos[0].extensions

