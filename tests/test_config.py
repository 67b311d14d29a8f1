# config.py: ServerConfig / ClientConfig resolve names and reject bad settings up front.
import logging

import pytest

from tls12fast import _speedups
from tls12fast.certs import CertifiedKey, TrustStore
from tls12fast.config import ClientConfig, InsecureWarning, ServerConfig
from tls12fast.enums import NamedGroup as NG
from tls12fast.enums import SignatureScheme as SS
from tls12fast.errors import ConfigurationError
from tls12fast.suites import BY_NAME


@pytest.fixture(scope="module")
def rsa_key(pki):
    return CertifiedKey.load(pki.rsa_cert, pki.rsa_key)


@pytest.fixture(scope="module")
def ecdsa_key(pki):
    return CertifiedKey.load(pki.ecdsa_cert, pki.ecdsa_key)


def _server(rsa_key, **kw):
    kw.setdefault("session_cache", None)
    kw.setdefault("tickets", None)
    return ServerConfig(rsa_key, **kw)


def _client(pki, **kw):
    kw.setdefault("session_store", None)
    return ClientConfig(cafile=pki.ca_file, **kw)


# ----------------------------------------------------------------------- server


def test_server_defaults(rsa_key):
    cfg = _server(rsa_key)
    assert cfg.certificates == (rsa_key,)
    assert cfg.suites and all(s.auth == "RSA" for s in cfg.suites)
    assert cfg.suites[0].name == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    assert cfg.groups == (NG.x25519, NG.secp256r1, NG.secp384r1, NG.ffdhe2048, NG.ffdhe3072)
    assert cfg.signature_schemes[0] == SS.ecdsa_secp256r1_sha256
    assert cfg.dhe_group == NG.ffdhe2048
    assert cfg.client_auth == "none" and cfg.client_trust is None
    assert cfg.alpn_protocols == () and cfg.keylog is None and cfg.tracer is None
    assert cfg.backend is _speedups.backend(None)
    assert cfg.session_cache is None and cfg.tickets is None
    assert cfg.encrypt_then_mac is True and cfg.max_fragment_size == 16384
    assert "certificate" in repr(cfg)


def test_server_suites_follow_certificates(rsa_key, ecdsa_key):
    both = _server([ecdsa_key, rsa_key])
    assert {s.auth for s in both.suites} == {"RSA", "ECDSA"}
    ec_only = ServerConfig(ecdsa_key, session_cache=None, tickets=None)
    assert ec_only.suites and all(s.auth == "ECDSA" for s in ec_only.suites)
    names = ["TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
             "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"]
    cfg = _server(rsa_key, cipher_suites=names)
    assert cfg.suites == (BY_NAME[names[0]], BY_NAME[names[2]])  # order kept, ECDSA dropped
    assert cfg.cipher_suites == names
    with pytest.raises(ConfigurationError, match="no certificate can serve"):
        _server(rsa_key, cipher_suites=["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cipher_suites": ["TLS_NOPE"]}, "TLS_NOPE"),
        ({"cipher_suites": []}, "empty"),
        ({"groups": ["secp521r1"]}, "secp521r1"),
        ({"signature_schemes": ["ed25519"]}, "ed25519"),
        ({"dhe_group": "x25519"}, "dhe_group"),
        ({"dhe_group": "modp2048"}, "dhe_group"),
        ({"client_auth": "yes"}, "client_auth"),
        ({"client_auth": "required"}, "client_ca"),
        ({"alpn_protocols": [""]}, "ALPN"),
        ({"alpn_protocols": ["x" * 256]}, "ALPN"),
        ({"max_fragment_size": 20000}, "max_fragment_size"),
        ({"max_handshake_size": 100}, "max_handshake_size"),
        ({"tracer": "print"}, "tracer"),
        ({"backend": "rust"}, "backend"),
    ],
)
def test_server_rejects(rsa_key, kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        _server(rsa_key, **kwargs)


def test_server_certificates_required(rsa_key):
    for bad in (None, [], ()):
        with pytest.raises(ConfigurationError, match="CertifiedKey"):
            ServerConfig(bad, session_cache=None, tickets=None)
    with pytest.raises(ConfigurationError, match="str"):
        ServerConfig(["cert.pem"], session_cache=None, tickets=None)


def test_server_resolves_names(rsa_key, pki):
    cfg = _server(
        rsa_key,
        groups=["secp384r1", "ffdhe3072"],
        signature_schemes=["rsa_pss_rsae_sha256", "rsa_pkcs1_sha256"],
        dhe_group="ffdhe3072",
        alpn_protocols=["h2", b"http/1.1"],
        client_auth="optional",
        client_ca=[pki.ca_file],
        backend="python",
    )
    assert cfg.groups == (NG.secp384r1, NG.ffdhe3072)
    assert cfg.signature_schemes == (SS.rsa_pss_rsae_sha256, SS.rsa_pkcs1_sha256)
    assert cfg.dhe_group == NG.ffdhe3072
    assert cfg.alpn_protocols == (b"h2", b"http/1.1")
    assert isinstance(cfg.client_trust, TrustStore) and len(cfg.client_trust.subject_names) == 1
    assert cfg.backend is _speedups.PYTHON


def test_server_client_ca_file_errors(rsa_key, tmp_path):
    with pytest.raises(ConfigurationError, match="missing.pem"):
        _server(rsa_key, client_auth="required", client_ca=tmp_path / "missing.pem")


def test_keylog_callable(rsa_key):
    lines = []
    cfg = _server(rsa_key, keylog=lines.append)
    cfg.keylog.log("CLIENT_RANDOM", bytes(32), bytes(48))
    assert lines and "CLIENT_RANDOM" in str(lines[0])


# Needs tls12fast.sessions and tls12fast.tickets (the default stores).
def test_server_default_stores(rsa_key):
    from tls12fast.sessions import MemorySessionCache
    from tls12fast.tickets import TicketKeys

    cfg = ServerConfig(rsa_key)
    assert isinstance(cfg.session_cache, MemorySessionCache)
    assert isinstance(cfg.tickets, TicketKeys)
    other = ServerConfig(rsa_key)
    assert other.session_cache is not cfg.session_cache and other.tickets is not cfg.tickets


# ----------------------------------------------------------------------- client


def test_client_defaults(pki):
    cfg = _client(pki)
    assert isinstance(cfg.trust, TrustStore) and len(cfg.trust.certificates) == 1
    assert cfg.verify and cfg.check_hostname and cfg.offer_ticket
    assert cfg.extended_master_secret and not cfg.require_extended_master_secret
    assert len(cfg.suites) == 27 and cfg.certificate is None
    assert cfg.session_store is None


def test_client_trust_inputs(pki):
    assert len(ClientConfig(cadata=pki.ca_file.read_text(), session_store=None).trust.certificates) == 1
    assert len(ClientConfig(cafile=pki.ca_file.read_bytes(), session_store=None).trust.certificates) == 1


def test_client_verify_off_warns(pki, caplog):
    with pytest.raises(ConfigurationError, match="check_hostname"):
        ClientConfig(verify=False, session_store=None)
    with caplog.at_level(logging.WARNING, logger="tls12fast"):
        with pytest.warns(InsecureWarning, match="verification is disabled"):
            cfg = ClientConfig(verify=False, check_hostname=False, session_store=None)
    assert cfg.trust is None
    assert any("verification is disabled" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"certificate": "client.pem"}, "CertifiedKey"),
        ({"extended_master_secret": False, "require_extended_master_secret": True}, "extended_master_secret"),
        ({"cipher_suites": "TLS_FOO"}, "TLS_FOO"),
        ({"groups": []}, "empty"),
        ({"alpn_protocols": [b""]}, "ALPN"),
        ({"clock": 5}, "clock"),
    ],
)
def test_client_rejects(pki, kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        _client(pki, **kwargs)


def test_client_certificate(pki):
    key = CertifiedKey.load(pki.client_ecdsa_cert, pki.client_ecdsa_key)
    cfg = _client(pki, certificate=key, cipher_suites="TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    assert cfg.certificate is key
    assert [s.name for s in cfg.suites] == ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]


# Needs tls12fast.sessions (the default ClientSessionStore).
def test_client_default_store(pki):
    from tls12fast.sessions import ClientSessionStore

    cfg = ClientConfig(cafile=pki.ca_file)
    assert isinstance(cfg.session_store, ClientSessionStore)


# ----------------------------------------------------------------------- limits

_LIMIT_DEFAULTS = {"max_handshake_size": 65536, "max_buffered_input": 65536,
                   "max_extensions": 64, "max_chain_length": 10, "max_warning_alerts": 4,
                   "max_empty_records": 32}


def test_limit_defaults(rsa_key, pki):
    for cfg in (_server(rsa_key), _client(pki)):
        assert {name: getattr(cfg, name) for name in _LIMIT_DEFAULTS} == _LIMIT_DEFAULTS


def test_limits_kept(rsa_key, pki):
    values = {"max_handshake_size": 4096, "max_buffered_input": 32768, "max_extensions": 1,
              "max_chain_length": 255, "max_warning_alerts": 0, "max_empty_records": 0}
    for cfg in (_server(rsa_key, **values), _client(pki, **values)):
        assert {name: getattr(cfg, name) for name in values} == values


@pytest.mark.parametrize(
    "name, value",
    [
        ("max_buffered_input", 32767),  # must hold a maximal record and a useful slice
        ("max_buffered_input", 2**24 + 1),
        ("max_buffered_input", 65536.0),
        ("max_extensions", 0),
        ("max_extensions", 65536),
        ("max_chain_length", 0),
        ("max_chain_length", 256),
        ("max_warning_alerts", -1),
        ("max_warning_alerts", True),
        ("max_empty_records", -1),
        ("max_empty_records", "32"),
        ("max_handshake_size", 2**24),
    ],
)
def test_limits_rejected(rsa_key, pki, name, value):
    with pytest.raises(ConfigurationError, match=name):
        _server(rsa_key, **{name: value})
    with pytest.raises(ConfigurationError, match=name):
        _client(pki, **{name: value})
