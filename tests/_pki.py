# A throwaway test PKI built with `cryptography`, written as PEM files that tls12fast,
# stdlib ssl and `openssl s_server` all accept.
#
#   root CA (RSA 2048) ── intermediate CA (RSA 2048) ── server leaves for "localhost" +
#   IP 127.0.0.1 (RSA 2048, ECDSA P-256, ECDSA P-384), an expired leaf, a leaf for
#   "other.example"; the root also issues the client certificates (RSA, ECDSA).
#   A self-signed "localhost" certificate stands for an untrusted server.
#
# Server chain files hold leaf + intermediate; key files are unencrypted PKCS#8
# (`rsa_key_encrypted` is the RSA key encrypted with `key_password`). RSA keys are cached
# per process so building several PKIs (one per test session / directory) stays fast.
from __future__ import annotations

import datetime
import ipaddress
import pathlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_KEYS: dict[str, object] = {}


def _key(role: str, kind: str = "rsa"):
    """A private key per role, generated once per process."""
    key = _KEYS.get(role)
    if key is None:
        if kind == "rsa":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif kind == "p256":
            key = ec.generate_private_key(ec.SECP256R1())
        else:
            key = ec.generate_private_key(ec.SECP384R1())
        _KEYS[role] = key
    return key


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tls12fast tests"), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    )


def _cert(subject_cn, key, issuer_cert, issuer_key, *, ca=False, dns=(), ips=(), eku=None, days=(-1, 365)):
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = _name(subject_cn)
    issuer = issuer_cert.subject if issuer_cert is not None else subject
    signer = issuer_key if issuer_key is not None else key
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + datetime.timedelta(days=days[0]))
        .not_valid_after(now + datetime.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
            critical=False,
        )
    )
    if ca:
        b = b.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        rsa_leaf = isinstance(key, rsa.RSAPrivateKey)
        b = b.add_extension(
            x509.KeyUsage(True, False, rsa_leaf, False, not rsa_leaf, False, False, False, False),
            critical=True,
        )
        names = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        if names:
            b = b.add_extension(x509.SubjectAlternativeName(names), critical=False)
        if eku:
            b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    return b.sign(signer, hashes.SHA256())


def _pem_cert(*certs) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _pem_key(key, password: bytes | None = None) -> bytes:
    enc = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


@dataclass(frozen=True)
class PKI:
    """Paths of the generated PEM files (see the module comment)."""

    directory: pathlib.Path
    ca_file: pathlib.Path
    intermediate_file: pathlib.Path
    rsa_cert: pathlib.Path
    rsa_key: pathlib.Path
    rsa_key_encrypted: pathlib.Path
    key_password: bytes
    rsa_combined: pathlib.Path
    ecdsa_cert: pathlib.Path
    ecdsa_key: pathlib.Path
    ecdsa384_cert: pathlib.Path
    ecdsa384_key: pathlib.Path
    client_rsa_cert: pathlib.Path
    client_rsa_key: pathlib.Path
    client_ecdsa_cert: pathlib.Path
    client_ecdsa_key: pathlib.Path
    expired_cert: pathlib.Path
    expired_key: pathlib.Path
    other_cert: pathlib.Path
    other_key: pathlib.Path
    untrusted_cert: pathlib.Path
    untrusted_key: pathlib.Path


def make_pki(directory: pathlib.Path) -> PKI:
    """Generate the test PKI under `directory` and return the file paths."""
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    server_eku = [ExtendedKeyUsageOID.SERVER_AUTH]
    client_eku = [ExtendedKeyUsageOID.CLIENT_AUTH]
    host = {"dns": ("localhost",), "ips": ("127.0.0.1",), "eku": server_eku}

    root_key = _key("root")
    root = _cert("tls12fast test root CA", root_key, None, None, ca=True, days=(-365, 3650))
    inter_key = _key("intermediate")
    inter = _cert("tls12fast test intermediate CA", inter_key, root, root_key, ca=True, days=(-365, 3650))

    files: dict[str, object] = {}

    def write(name: str, data: bytes) -> pathlib.Path:
        path = directory / name
        path.write_bytes(data)
        return path

    def leaf(prefix, cn, key, issuer, issuer_key, chain=(), **kw):
        cert = _cert(cn, key, issuer, issuer_key, **kw)
        files[f"{prefix}_cert"] = write(f"{prefix}-chain.pem", _pem_cert(cert, *chain))
        files[f"{prefix}_key"] = write(f"{prefix}-key.pem", _pem_key(key))
        return cert

    leaf("rsa", "localhost", _key("rsa"), inter, inter_key, (inter,), **host)
    leaf("ecdsa", "localhost", _key("p256", "p256"), inter, inter_key, (inter,), **host)
    leaf("ecdsa384", "localhost", _key("p384", "p384"), inter, inter_key, (inter,), **host)
    leaf("client_rsa", "client rsa", _key("client_rsa"), root, root_key, eku=client_eku)
    leaf("client_ecdsa", "client ecdsa", _key("client_p256", "p256"), root, root_key, eku=client_eku)
    leaf("expired", "localhost", _key("expired"), inter, inter_key, (inter,), days=(-60, -30), **host)
    leaf("other", "other.example", _key("other"), inter, inter_key, (inter,), dns=("other.example",), eku=server_eku)
    untrusted_key = _key("untrusted")
    untrusted = _cert("localhost", untrusted_key, None, None, **host)
    files["untrusted_cert"] = write("untrusted-cert.pem", _pem_cert(untrusted))
    files["untrusted_key"] = write("untrusted-key.pem", _pem_key(untrusted_key))

    password = b"tls12fast-test-password"
    rsa_pem = files["rsa_cert"].read_bytes()
    return PKI(
        directory=directory,
        ca_file=write("ca.pem", _pem_cert(root)),
        intermediate_file=write("intermediate.pem", _pem_cert(inter)),
        rsa_key_encrypted=write("rsa-key-encrypted.pem", _pem_key(_key("rsa"), password)),
        key_password=password,
        rsa_combined=write("rsa-combined.pem", rsa_pem + _pem_key(_key("rsa"))),
        **files,
    )
