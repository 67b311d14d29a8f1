# crypto.py / certs.py: key exchange, signatures, RSA key transport, certified keys,
# trust stores and chain verification (against the test PKI in _pki.py).
import datetime
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from tls12fast import certs, crypto, verify
from tls12fast.crypto import (
    FFDHE2048_P,
    FFDHE3072_P,
    CertifiedKey,
    KeyExchange,
    load_trust_store,
    rsa_encrypt_premaster,
    schemes_for_key,
    verify_client_chain,
    verify_server_chain,
    verify_signature,
)
from tls12fast.enums import AlertDescription as AD
from tls12fast.enums import NamedGroup as NG
from tls12fast.enums import SignatureScheme as SS
from tls12fast.errors import (
    CertificateError,
    ConfigurationError,
    DecryptError,
    IllegalParameter,
    InsufficientSecurity,
    InternalError,
)

GROUPS = [NG.x25519, NG.secp256r1, NG.secp384r1, NG.ffdhe2048, NG.ffdhe3072]


def _der_chain(path):
    return [c.public_bytes(serialization.Encoding.DER) for c in x509.load_pem_x509_certificates(path.read_bytes())]


def _modp2048():
    """RFC 3526 §3 group 14: p = 2^2048 - 2^1984 - 1 + 2^64 * (floor(2^1918 pi) + 124476)."""
    prec = 1918 + 64

    def arctan_inv(x):  # 2^prec * arctan(1/x)
        total, term, n, sign = 0, (1 << prec) // x, 1, 1
        while term:
            total += sign * (term // n)
            term //= x * x
            n += 2
            sign = -sign
        return total

    pi = 4 * (4 * arctan_inv(5) - arctan_inv(239))  # Machin
    return 2**2048 - 2**1984 - 1 + 2**64 * ((pi >> 64) + 124476)


# ----------------------------------------------------------------------- key exchange


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g.name)
def test_key_exchange_agrees(group):
    a, b = KeyExchange.start(group), KeyExchange.start(group)
    assert a.group == group and a.public != b.public
    secret = a.derive(b.public)
    assert secret == b.derive(a.public)
    expected_len = {NG.x25519: 32, NG.secp256r1: 65, NG.secp384r1: 97, NG.ffdhe2048: 256, NG.ffdhe3072: 384}
    assert len(a.public) == expected_len[group]
    if group in (NG.secp256r1, NG.secp384r1):
        assert a.public[0] == 4 and len(secret) == (32 if group == NG.secp256r1 else 48)


def test_unknown_group_is_illegal_parameter():
    with pytest.raises(IllegalParameter):
        KeyExchange.start(0x0019)  # secp521r1: not implemented


def test_dh_secret_strips_leading_zeros():
    # RFC 5246 §8.1.2: Z = Y^x mod p as a minimal big-endian integer.
    a = KeyExchange.start(NG.ffdhe2048)
    x = a._private.private_numbers().x
    for _ in range(40):
        b = KeyExchange.start(NG.ffdhe2048)
        z = pow(int.from_bytes(b.public, "big"), x, FFDHE2048_P)
        assert a.derive(b.public) == z.to_bytes((z.bit_length() + 7) // 8, "big")


def test_from_dh_params_recognises_rfc7919_groups():
    for group, p in ((NG.ffdhe2048, FFDHE2048_P), (NG.ffdhe3072, FFDHE3072_P)):
        client = KeyExchange.from_dh_params(p.to_bytes(len(f"{p:x}") // 2, "big"), b"\x02")
        server = KeyExchange.start(group)
        assert client.group == group
        assert client.derive(server.public) == server.derive(client.public)


def test_from_dh_params_custom_group():
    p = _modp2048()
    pb, g = p.to_bytes(256, "big"), b"\x00\x02"  # a leading zero in g is fine
    a, b = KeyExchange.from_dh_params(pb, g), KeyExchange.from_dh_params(pb, g)
    assert a.group is None and len(a.public) == 256
    assert a.derive(b.public) == b.derive(a.public)


def test_from_dh_params_rejects_weak_or_bad_params():
    with pytest.raises(InsufficientSecurity):
        KeyExchange.from_dh_params((FFDHE2048_P >> 1100).to_bytes(119, "big"), b"\x02")
    p = FFDHE2048_P
    pb = p.to_bytes(256, "big")
    with pytest.raises(IllegalParameter):
        KeyExchange.from_dh_params((p + 1).to_bytes(256, "big"), b"\x02")  # even
    for g in (0, 1, p - 1, p):
        with pytest.raises(IllegalParameter):
            KeyExchange.from_dh_params(pb, g.to_bytes(256, "big"))
    with pytest.raises(IllegalParameter):
        KeyExchange.from_dh_params(pb, b"")


def _bad_ec_points(group):
    size = 32 if group == NG.secp256r1 else 48
    good = KeyExchange.start(group).public
    x, y = good[1:1 + size], good[1 + size:]
    off_curve = b"\x04" + x + (int.from_bytes(y, "big") ^ 1).to_bytes(size, "big")
    return [b"", b"\x00", b"\x04", good[:-1], good + b"\x00", b"\x02" + x, b"\x03" + x, b"\x05" + x + y, off_curve,
            b"\x04" + bytes(2 * size)]


@pytest.mark.parametrize("group", [NG.secp256r1, NG.secp384r1], ids=lambda g: g.name)
def test_ec_rejects_invalid_points(group):
    kx = KeyExchange.start(group)
    for bad in _bad_ec_points(group):
        with pytest.raises(IllegalParameter):
            kx.derive(bad)


def test_x25519_rejects_bad_values():
    kx = KeyExchange.start(NG.x25519)
    for bad in (b"", bytes(31), bytes(33), bytes(32), b"\x01" + bytes(31)):  # 0 and 1: low order
        with pytest.raises(IllegalParameter):
            kx.derive(bad)


@pytest.mark.parametrize("group", [NG.ffdhe2048, NG.ffdhe3072], ids=lambda g: g.name)
def test_dh_rejects_out_of_range(group):
    kx = KeyExchange.start(group)
    p = kx.p
    n = len(kx.public)
    for y in (0, 1, p - 1, p, p + 1):
        with pytest.raises(IllegalParameter):
            kx.derive(y.to_bytes(n + 1, "big")[-n:] if y < 2 ** (8 * n) else y.to_bytes(n + 1, "big"))
    for bad in (b"", b"\x00" * n, b"\x02" + bytes(n)):
        with pytest.raises(IllegalParameter):
            kx.derive(bad)


def test_key_exchange_repr_has_no_secret():
    kx = KeyExchange.start(NG.x25519)
    assert repr(kx) == "<KeyExchange x25519>"


# ----------------------------------------------------------------------- signatures


@pytest.fixture(scope="module")
def keys(pki):
    return {
        "rsa": CertifiedKey.load(pki.rsa_cert, pki.rsa_key),
        "p256": CertifiedKey.load(pki.ecdsa_cert, pki.ecdsa_key),
        "p384": CertifiedKey.load(pki.ecdsa384_cert, pki.ecdsa384_key),
    }


def test_schemes_for_key(keys):
    assert keys["rsa"].signature_schemes == (
        SS.rsa_pss_rsae_sha256, SS.rsa_pss_rsae_sha384, SS.rsa_pss_rsae_sha512,
        SS.rsa_pkcs1_sha256, SS.rsa_pkcs1_sha384, SS.rsa_pkcs1_sha512,
    )
    assert keys["p256"].signature_schemes[0] == SS.ecdsa_secp256r1_sha256
    assert keys["p384"].signature_schemes[0] == SS.ecdsa_secp384r1_sha384
    assert schemes_for_key(keys["p384"].certificate.public_key()) == keys["p384"].signature_schemes
    assert schemes_for_key(ec.generate_private_key(ec.SECP521R1()).public_key()) == ()


@pytest.mark.parametrize("kind", ["rsa", "p256", "p384"])
def test_signatures_round_trip_and_tamper(keys, kind):
    key = keys[kind]
    public = key.certificate.public_key()
    data = os.urandom(64) + b"ServerKeyExchange params"
    for scheme in key.signature_schemes:
        sig = key.sign(scheme, data)
        verify_signature(public, scheme, data, sig)
        with pytest.raises(DecryptError):
            verify_signature(public, scheme, data + b"x", sig)
        bad = bytearray(sig)
        bad[len(bad) // 2] ^= 0x40
        with pytest.raises(DecryptError):
            verify_signature(public, scheme, data, bytes(bad))
        with pytest.raises(DecryptError):
            verify_signature(public, scheme, data, b"")


def test_pss_and_pkcs1_are_not_interchangeable(keys):
    key, data = keys["rsa"], b"transcript"
    sig = key.sign(SS.rsa_pss_rsae_sha256, data)
    with pytest.raises(DecryptError):
        verify_signature(key.certificate.public_key(), SS.rsa_pkcs1_sha256, data, sig)


def test_signature_scheme_must_fit_key(keys):
    rsa_pub = keys["rsa"].certificate.public_key()
    ec_pub = keys["p256"].certificate.public_key()
    with pytest.raises(IllegalParameter):
        verify_signature(rsa_pub, SS.ecdsa_secp256r1_sha256, b"d", b"s")
    for scheme in (SS.rsa_pkcs1_sha256, SS.rsa_pss_rsae_sha256):
        with pytest.raises(IllegalParameter):
            verify_signature(ec_pub, scheme, b"d", b"s")
    with pytest.raises(IllegalParameter):
        verify_signature(rsa_pub, 0x0807, b"d", b"s")  # ed25519: not offered in TLS 1.2 here
    with pytest.raises(InternalError):
        keys["p256"].sign(SS.rsa_pkcs1_sha256, b"d")


def test_sha1_only_when_allowed(keys):
    key, data = keys["rsa"], b"legacy peer"
    sig = key.private_key.sign(data, padding.PKCS1v15(), hashes.SHA1())
    pub = key.certificate.public_key()
    with pytest.raises(IllegalParameter):
        verify_signature(pub, SS.rsa_pkcs1_sha1, data, sig)
    verify_signature(pub, SS.rsa_pkcs1_sha1, data, sig, allow_sha1=True)
    with pytest.raises(InternalError):
        key.sign(SS.rsa_pkcs1_sha1, data)


def test_ecdsa_curve_not_bound_to_hash(keys):
    # TLS 1.2: a P-256 key may sign with ecdsa_secp384r1_sha384 and vice versa.
    for kind, scheme in (("p256", SS.ecdsa_secp384r1_sha384), ("p384", SS.ecdsa_secp256r1_sha256)):
        sig = keys[kind].sign(scheme, b"data")
        verify_signature(keys[kind].certificate.public_key(), scheme, b"data", sig)


# ----------------------------------------------------------------------- RSA key transport

VERSION = 0x0303


def test_premaster_round_trip(keys):
    key = keys["rsa"]
    pms = VERSION.to_bytes(2, "big") + os.urandom(46)
    enc = rsa_encrypt_premaster(key.certificate.public_key(), pms)
    assert key.decrypt_premaster(enc, VERSION) == pms


def _assert_random_fallback(key, enc, version=VERSION, real=None):
    first = key.decrypt_premaster(enc, version)
    second = key.decrypt_premaster(enc, version)
    assert len(first) == len(second) == 48
    assert first != second  # a fresh R each time: no stable value to probe
    if real is not None:
        assert real not in (first, second)


def test_premaster_bad_inputs_never_raise(keys):
    key = keys["rsa"]
    pub = key.certificate.public_key()
    n = pub.key_size // 8
    good = VERSION.to_bytes(2, "big") + os.urandom(46)
    _assert_random_fallback(key, os.urandom(n))  # bad padding
    _assert_random_fallback(key, b"")  # wrong ciphertext lengths
    _assert_random_fallback(key, os.urandom(n - 1))
    _assert_random_fallback(key, os.urandom(n + 1))
    short = good[:47]
    _assert_random_fallback(key, pub.encrypt(short, padding.PKCS1v15()))  # 47-byte message
    _assert_random_fallback(key, pub.encrypt(good + b"\x00", padding.PKCS1v15()))  # 49 bytes
    enc = pub.encrypt(good, padding.PKCS1v15())
    _assert_random_fallback(key, enc, version=0x0302, real=good)  # version mismatch
    oaep = pub.encrypt(good, padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
    _assert_random_fallback(key, oaep, real=good)


def test_rsa_encrypt_needs_rsa_key(keys):
    with pytest.raises(CertificateError) as info:
        rsa_encrypt_premaster(keys["p256"].certificate.public_key(), bytes(48))
    assert info.value.alert == AD.unsupported_certificate


# ----------------------------------------------------------------------- CertifiedKey


def test_certified_key_loading(pki, keys):
    rsa = keys["rsa"]
    assert rsa.key_type == "RSA" and keys["p256"].key_type == "ECDSA"
    assert len(rsa.chain) == 2 and rsa.chain[0] == rsa.certificate.public_bytes(serialization.Encoding.DER)
    assert rsa.dns_names == ("localhost",)
    combined = CertifiedKey.load(pki.rsa_combined)
    assert combined.chain == rsa.chain
    enc = CertifiedKey.load(str(pki.rsa_cert), str(pki.rsa_key_encrypted), password=pki.key_password.decode())
    assert enc.chain == rsa.chain
    from_pem = CertifiedKey.from_pem(pki.rsa_cert.read_text(), pki.rsa_key.read_bytes())
    assert from_pem.chain == rsa.chain
    text = repr(rsa)
    assert "localhost" in text and "RSA" in text and "PRIVATE" not in text


def test_certified_key_errors(pki, tmp_path):
    with pytest.raises(ConfigurationError, match="does not match"):
        CertifiedKey.load(pki.rsa_cert, pki.ecdsa_key)
    missing = tmp_path / "nope.pem"
    with pytest.raises(ConfigurationError, match="nope.pem"):
        CertifiedKey.load(pki.rsa_cert, missing)
    with pytest.raises(ConfigurationError, match="nope.pem"):
        CertifiedKey.load(missing, pki.rsa_key)
    with pytest.raises(ConfigurationError, match="encrypted"):
        CertifiedKey.load(pki.rsa_cert, pki.rsa_key_encrypted)
    with pytest.raises(ConfigurationError, match="wrong password") as info:
        CertifiedKey.load(pki.rsa_cert, pki.rsa_key_encrypted, password=b"bad")
    assert "PRIVATE" not in str(info.value)
    with pytest.raises(ConfigurationError, match="no PEM private key"):
        CertifiedKey.load(pki.rsa_cert)
    with pytest.raises(ConfigurationError, match="certificate"):
        CertifiedKey.from_pem(b"junk", pki.rsa_key.read_bytes())
    ed_key = ec.generate_private_key(ec.SECP521R1())
    with pytest.raises(ConfigurationError, match="unsupported"):
        CertifiedKey([x509.load_pem_x509_certificate(pki.ecdsa_cert.read_bytes())], ed_key)


def _self_signed(names):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "wild")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertifiedKey([cert], key)


def test_matches_server_name():
    key = _self_signed(["*.Example.com", "exact.test"])
    assert key.dns_names == ("*.example.com", "exact.test")
    assert key.matches_server_name("a.example.com")
    assert key.matches_server_name("A.EXAMPLE.COM.")
    assert key.matches_server_name("exact.test")
    assert not key.matches_server_name("example.com")
    assert not key.matches_server_name("a.b.example.com")
    assert not key.matches_server_name("other.test")
    assert not key.matches_server_name(".example.com")


# ----------------------------------------------------------------------- trust stores


def test_trust_store_inputs(pki):
    root = x509.load_pem_x509_certificate(pki.ca_file.read_bytes())
    pem = pki.ca_file.read_bytes()
    der = root.public_bytes(serialization.Encoding.DER)
    inter_der = _der_chain(pki.intermediate_file)[0]
    for kwargs, count in [
        ({"cafile": pki.ca_file}, 1),
        ({"cafile": str(pki.ca_file)}, 1),
        ({"cafile": [pki.ca_file, pki.intermediate_file]}, 2),
        ({"cafile": pem}, 1),
        ({"cafile": pem.decode()}, 1),
        ({"cadata": pem.decode()}, 1),
        ({"cadata": der}, 1),
        ({"cadata": der + inter_der}, 2),
        ({"cafile": pki.ca_file, "cadata": inter_der}, 2),
    ]:
        store = load_trust_store(**kwargs)
        assert len(store.certificates) == count, kwargs
    assert load_trust_store(pki.ca_file).subject_names == [root.subject.public_bytes()]


def test_trust_store_errors(pki, tmp_path):
    with pytest.raises(ConfigurationError, match="missing.pem"):
        load_trust_store(tmp_path / "missing.pem")
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"not a certificate")
    with pytest.raises(ConfigurationError, match="junk.pem"):
        load_trust_store([pki.ca_file, junk])
    with pytest.raises(ConfigurationError):
        load_trust_store(cadata=b"\x30\x03\x02\x01\x01")
    with pytest.raises(ConfigurationError):
        load_trust_store(cadata=b"plain junk")


def test_system_store_fallbacks(monkeypatch, tmp_path, pki):
    import ssl
    import sys

    empty = ssl.DefaultVerifyPaths(None, None, "", "", "", "")
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: empty)
    certs._system_certificates.cache_clear()
    try:
        fake_certifi = type(sys)("certifi")
        fake_certifi.where = lambda: str(pki.ca_file)
        monkeypatch.setitem(sys.modules, "certifi", fake_certifi)
        assert len(load_trust_store().certificates) == 1
        certs._system_certificates.cache_clear()
        monkeypatch.setitem(sys.modules, "certifi", None)  # import certifi -> ImportError
        with pytest.raises(ConfigurationError, match="cafile"):
            load_trust_store()
    finally:
        certs._system_certificates.cache_clear()


# ----------------------------------------------------------------------- chain verification


@pytest.fixture(scope="module")
def store(pki):
    return load_trust_store(pki.ca_file)


def _expect(alert, fn, *args, **kwargs):
    with pytest.raises(CertificateError) as info:
        fn(*args, **kwargs)
    assert info.value.alert == alert, str(info.value)
    assert "PRIVATE" not in str(info.value)
    return str(info.value)


def test_server_chain_ok(pki, store):
    root = x509.load_pem_x509_certificate(pki.ca_file.read_bytes())
    for path in (pki.rsa_cert, pki.ecdsa_cert, pki.ecdsa384_cert):
        verified = verify_server_chain(_der_chain(path), store, "localhost")
        assert len(verified) == 3 and verified[-1] == root
    assert len(verify_server_chain(_der_chain(pki.rsa_cert), store, "LOCALHOST.")) == 3
    assert len(verify_server_chain(_der_chain(pki.rsa_cert), store, "127.0.0.1")) == 3


def test_server_chain_hostname(pki, store):
    msg = _expect(AD.bad_certificate, verify_server_chain, _der_chain(pki.other_cert), store, "localhost")
    assert "localhost" in msg and "other.example" in msg
    _expect(AD.bad_certificate, verify_server_chain, _der_chain(pki.rsa_cert), store, "::1")
    _expect(AD.bad_certificate, verify_server_chain, _der_chain(pki.rsa_cert), store, "127.0.0.2")
    _expect(AD.bad_certificate, verify_server_chain, _der_chain(pki.rsa_cert), store, "h\u00e9llo.test")
    # Path-only verification when hostname checking is off or no name is known.
    assert len(verify_server_chain(_der_chain(pki.other_cert), store, "localhost", check_hostname=False)) == 3
    assert len(verify_server_chain(_der_chain(pki.other_cert), store, None)) == 3


def test_server_chain_expired(pki, store):
    chain = _der_chain(pki.expired_cert)
    msg = _expect(AD.certificate_expired, verify_server_chain, chain, store, "localhost")
    assert "expired" in msg
    _expect(AD.certificate_expired, verify_server_chain, chain, store, None)
    leaf = x509.load_der_x509_certificate(chain[0])
    back_then = leaf.not_valid_before_utc + datetime.timedelta(days=1)
    assert len(verify_server_chain(chain, store, "localhost", now=back_then)) == 3
    long_ago = datetime.datetime(2001, 1, 1)
    _expect(AD.certificate_expired, verify_server_chain, _der_chain(pki.rsa_cert), store, "localhost", now=long_ago)


def test_server_chain_unknown_ca(pki, store):
    _expect(AD.unknown_ca, verify_server_chain, _der_chain(pki.untrusted_cert), store, "localhost")
    _expect(AD.unknown_ca, verify_server_chain, _der_chain(pki.untrusted_cert), store, None)
    leaf_only = _der_chain(pki.rsa_cert)[:1]  # intermediate missing
    _expect(AD.unknown_ca, verify_server_chain, leaf_only, store, "localhost")


def test_server_chain_bad_input(pki, store):
    _expect(AD.bad_certificate, verify_server_chain, [], store, "localhost")
    _expect(AD.bad_certificate, verify_server_chain, [b"\x30\x03junk"], store, "localhost")
    # A client-auth-only certificate is not a server certificate.
    _expect(AD.bad_certificate, verify_server_chain, _der_chain(pki.client_rsa_cert), store, None)


def test_client_chain(pki, store):
    for path in (pki.client_rsa_cert, pki.client_ecdsa_cert):
        assert len(verify_client_chain(_der_chain(path), store)) == 2
    _expect(AD.bad_certificate, verify_client_chain, _der_chain(pki.rsa_cert), store)  # serverAuth only
    other_anchor = load_trust_store(pki.intermediate_file)  # did not issue client certs
    _expect(AD.unknown_ca, verify_client_chain, _der_chain(pki.client_rsa_cert), other_anchor)
    _expect(AD.certificate_expired, verify_client_chain, _der_chain(pki.expired_cert), store)
    _expect(AD.bad_certificate, verify_client_chain, [], store)


def test_crypto_reexports_certs():
    assert crypto.CertifiedKey is certs.CertifiedKey
    assert crypto.verify_server_chain is certs.verify_server_chain
    with pytest.raises(AttributeError):
        crypto.no_such_name  # noqa: B018


# ----------------------------------------------------------------------- verified-chain cache


@pytest.fixture
def counted(monkeypatch):
    """Count the verifiers verify.py builds (each one is a full path validation)."""
    calls = []
    real = verify._builder

    def builder(store, now):
        calls.append(now)
        return real(store, now)

    monkeypatch.setattr(verify, "_builder", builder)
    return calls


def _utc(cert_path, which, delta):
    leaf = x509.load_pem_x509_certificates(cert_path.read_bytes())[0]
    base = leaf.not_valid_after_utc if which == "after" else leaf.not_valid_before_utc
    return base + datetime.timedelta(seconds=delta)


def test_cache_hit_skips_the_verifier(pki, counted):
    store = load_trust_store(pki.ca_file)
    chain = _der_chain(pki.rsa_cert)
    first = verify_server_chain(chain, store, "localhost")
    assert len(counted) == 1
    again = verify_server_chain([bytes(c) for c in chain], store, "localhost")  # equal bytes, new objects
    assert len(counted) == 1 and again == first and again is not first
    assert store.stats() == {"hits": 1, "misses": 1, "entries": 1}
    client = _der_chain(pki.client_rsa_cert)
    verify_client_chain(client, store)
    verify_client_chain(client, store)
    assert len(counted) == 2 and store.stats()["hits"] == 2


def test_cache_misses_on_other_name_store_chain_or_purpose(pki, counted):
    store = load_trust_store(pki.ca_file)
    chain = _der_chain(pki.rsa_cert)
    verify_server_chain(chain, store, "localhost")
    verify_server_chain(chain, store, "127.0.0.1")  # another name
    verify_server_chain(chain, store, "localhost", check_hostname=False)  # path only
    verify_server_chain(chain, load_trust_store(pki.ca_file), "localhost")  # another store
    verify_server_chain(chain + _der_chain(pki.ca_file), store, "localhost")  # another chain (root sent too)
    tampered = list(chain)
    tampered[0] = tampered[0][:-1] + bytes([tampered[0][-1] ^ 1])  # leaf signature bit flipped
    _expect(AD.unknown_ca, verify_server_chain, tampered, store, "localhost")  # no valid signature
    assert len(counted) == 6
    # A path verified for "localhost" is never an answer for another name.
    _expect(AD.bad_certificate, verify_server_chain, chain, store, "other.example")
    # Nor a serverAuth success for a client chain.
    _expect(AD.bad_certificate, verify_client_chain, chain, store)
    assert store.stats()["hits"] == 0


def test_cache_never_stores_failures(pki, counted):
    store = load_trust_store(pki.ca_file)
    for _ in range(2):
        _expect(AD.bad_certificate, verify_server_chain, _der_chain(pki.other_cert), store, "localhost")
        _expect(AD.unknown_ca, verify_server_chain, _der_chain(pki.untrusted_cert), store, "localhost")
        _expect(AD.certificate_expired, verify_server_chain, _der_chain(pki.expired_cert), store, "localhost")
        _expect(AD.certificate_expired, verify_client_chain, _der_chain(pki.expired_cert), store)
    assert store.stats() == {"hits": 0, "misses": 8, "entries": 0}


def test_cache_honours_expiry_ttl_and_time_order(pki, counted):
    store = load_trust_store(pki.ca_file, cache_ttl=600)
    chain = _der_chain(pki.expired_cert)
    last_second = _utc(pki.expired_cert, "after", -10)
    assert len(verify_server_chain(chain, store, "localhost", now=last_second)) == 3
    assert len(verify_server_chain(chain, store, "localhost", now=last_second)) == 3
    assert len(counted) == 1  # a hit
    # Within the TTL but past notAfter: the entry is not used and the chain is refused.
    _expect(AD.certificate_expired, verify_server_chain, chain, store, "localhost",
            now=last_second + datetime.timedelta(seconds=11))
    assert len(counted) == 2
    # Past the TTL: verified afresh. Before the original verification: verified afresh.
    early = _utc(pki.expired_cert, "before", 100)
    verify_server_chain(chain, store, "localhost", now=early)
    verify_server_chain(chain, store, "localhost", now=early + datetime.timedelta(seconds=599))
    verify_server_chain(chain, store, "localhost", now=early + datetime.timedelta(seconds=600))
    verify_server_chain(chain, store, "localhost", now=early - datetime.timedelta(seconds=1))
    assert len(counted) == 5
    # Before notBefore: refused even though a later verification is cached.
    _expect(AD.certificate_expired, verify_server_chain, chain, store, "localhost",
            now=_utc(pki.expired_cert, "before", -1))


def test_cache_is_bounded_and_can_be_turned_off(pki, counted):
    store = load_trust_store(pki.ca_file, cache_size=2)
    chains = [_der_chain(getattr(pki, f"{k}_cert")) for k in ("rsa", "ecdsa", "ecdsa384")]
    for chain in chains:
        verify_server_chain(chain, store, "localhost")
    assert store.stats()["entries"] == 2
    verify_server_chain(chains[0], store, "localhost")  # evicted (least recently used)
    assert len(counted) == 4
    off = load_trust_store(pki.ca_file, cache_size=0)
    for _ in range(2):
        verify_server_chain(chains[0], off, "localhost")
    assert len(counted) == 6 and off.stats() == {"hits": 0, "misses": 0, "entries": 0}
    with pytest.raises(ConfigurationError):
        certs.TrustStore(off.certificates, cache_size=-1)


def test_load_peer_chain_parses_once_per_chain(pki):
    chain = _der_chain(pki.ecdsa_cert)
    verify._load_chain.cache_clear()
    first, key = certs.load_peer_chain(chain)
    again, key2 = certs.load_peer_chain([bytearray(c) for c in chain])  # same bytes, other type
    assert verify._load_chain.cache_info().hits == 1
    assert again == first and again is not first and key2 is key
    assert [c.public_bytes(serialization.Encoding.DER) for c in first] == chain
    assert isinstance(key, ec.EllipticCurvePublicKey)
    rsa_certs, rsa_key = certs.load_peer_chain(_der_chain(pki.rsa_cert))
    assert rsa_certs[0] != first[0] and not isinstance(rsa_key, ec.EllipticCurvePublicKey)
    for bad in ([], [b"\x30\x03junk"], chain[:1] + [b"\x00"]):
        with pytest.raises(CertificateError) as info:
            certs.load_peer_chain(bad)
        assert info.value.alert == AD.bad_certificate
    assert crypto.load_peer_chain is certs.load_peer_chain
