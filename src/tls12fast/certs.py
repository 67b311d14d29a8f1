# Certificates: our own certified keys, trust stores and peer chain verification, all
# taken from `cryptography` (X.509 parsing, cryptography.x509.verification path building).
#
# CertifiedKey: a certificate chain (DER, leaf first) with its private key; it signs
#   handshake messages, decrypts RSA pre-master secrets (RFC 5246 §7.4.7.1, without an
#   error oracle) and answers "does this certificate serve this SNI name?" (RFC 6125 §6.4).
# TrustStore: the trust anchors (a cryptography Store) plus their subject names for
#   CertificateRequest.certificate_authorities (RFC 5246 §7.4.4).
# Verifying a peer's chain against a TrustStore (verify_server_chain, verify_client_chain,
#   load_peer_chain) lives in verify.py; those names are re-exported here.
# Verified-chain cache: path building costs ~100 µs, and a client talking to the same few
#   servers sees the same chain again and again (browsers and OpenSSL-based stacks keep
#   similar caches). Each TrustStore keeps a small LRU of *successful* verifications keyed
#   by (purpose, host name or None, the exact DER bytes of every certificate sent). A hit
#   is used only while the verification time lies in [time of the original verification,
#   that time + TTL) and inside every certificate's validity period on the verified path
#   (so expiry is still enforced to the second); anything else is a miss and a full
#   verification. Failures are never cached. Nothing else feeds the verdict: the anchors
#   are fixed per TrustStore and cryptography's verifier checks no revocation, so a hit
#   gives exactly the answer a fresh verification would. TrustStore(cache_size=0) turns it off.
from __future__ import annotations

import functools
import hmac
import os
import re
import ssl
import threading
import warnings
from collections import OrderedDict

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import Store

from .crypto import schemes_for_key, scheme_name, signing_params
from .errors import ConfigurationError, InternalError
from .verify import load_peer_chain, verify_client_chain, verify_server_chain  # re-exported

__all__ = ["CertifiedKey", "TrustStore", "load_trust_store", "load_peer_chain", "verify_server_chain",
           "verify_client_chain"]

_KEY_BLOCK = re.compile(rb"-----BEGIN ([A-Z ]*PRIVATE KEY)-----.+?-----END \1-----", re.S)


def _read(path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {os.fspath(path)!r}: {exc.strerror or exc}") from None


def _as_bytes(data) -> bytes:
    return data.encode("ascii") if isinstance(data, str) else bytes(data)


class CertifiedKey:
    """A certificate chain and its private key.

    Attributes:
        chain: DER certificates, leaf first.
        certificate: the leaf as a cryptography x509.Certificate.
        private_key: the cryptography private key.
        key_type: "RSA" or "ECDSA".
        signature_schemes: SignatureScheme values this key can produce, preferred first.
        dns_names: the leaf's DNS subjectAltNames, lowercase (its CN if it has none).
    """

    __slots__ = ("chain", "certificate", "private_key", "key_type", "signature_schemes", "dns_names",
                 "_signers")

    def __init__(self, certificates: list, private_key, *, source: str = "PEM data"):
        if not certificates:
            raise ConfigurationError(f"no certificate found in {source}")
        leaf = certificates[0]
        if isinstance(private_key, rsa.RSAPrivateKey):
            key_type = "RSA"
        elif isinstance(private_key, ec.EllipticCurvePrivateKey) and schemes_for_key(private_key):
            key_type = "ECDSA"
        else:
            raise ConfigurationError(f"unsupported private key type in {source}; use RSA or ECDSA P-256/P-384")
        spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        if leaf.public_key().public_bytes(*spki) != private_key.public_key().public_bytes(*spki):
            raise ConfigurationError(f"the private key does not match the certificate in {source}")
        self.chain = [c.public_bytes(serialization.Encoding.DER) for c in certificates]
        self.certificate = leaf
        self.private_key = private_key
        self.key_type = key_type
        self.signature_schemes = schemes_for_key(private_key)
        self.dns_names = _dns_names(leaf)
        # scheme -> prebuilt sign() arguments, so a handshake builds no padding/hash objects.
        self._signers = {s: signing_params(private_key, s) for s in self.signature_schemes}

    @classmethod
    def load(cls, certfile, keyfile=None, password=None) -> "CertifiedKey":
        """Load a PEM chain file (leaf first) and a PEM key file (None: key in certfile).

        Raises:
            ConfigurationError: a file is unreadable or invalid, or key and cert differ.
        """
        chain_pem = _read(certfile)
        key_pem = chain_pem if keyfile is None else _read(keyfile)
        return cls._parse(chain_pem, key_pem, password, repr(os.fspath(certfile)),
                          repr(os.fspath(keyfile if keyfile is not None else certfile)))

    @classmethod
    def from_pem(cls, chain_pem, key_pem, password=None) -> "CertifiedKey":
        """Build from PEM text: the chain (leaf first) and the private key."""
        return cls._parse(_as_bytes(chain_pem), _as_bytes(key_pem), password, "the chain PEM", "the key PEM")

    @classmethod
    def _parse(cls, chain_pem: bytes, key_pem: bytes, password, cert_src: str, key_src: str):
        try:
            certs = x509.load_pem_x509_certificates(chain_pem)
        except ValueError:
            raise ConfigurationError(f"no valid PEM certificate found in {cert_src}") from None
        block = _KEY_BLOCK.search(key_pem)
        if block is None:
            raise ConfigurationError(f"no PEM private key found in {key_src}")
        if isinstance(password, str):
            password = password.encode()
        try:
            key = serialization.load_pem_private_key(block.group(0), password)
        except TypeError:
            raise ConfigurationError(
                f"the private key in {key_src} is encrypted; pass password="
                if password is None else f"the private key in {key_src} is not encrypted; drop password="
            ) from None
        except ValueError:
            raise ConfigurationError(f"cannot load the private key in {key_src} (wrong password or bad data)") from None
        return cls(certs, key, source=cert_src)

    def __repr__(self) -> str:
        return f"<CertifiedKey subject={self.certificate.subject.rfc4514_string()!r} key_type={self.key_type}>"

    def matches_server_name(self, name: str) -> bool:
        """True if the leaf serves `name`: exact or single-label wildcard (RFC 6125 §6.4.3)."""
        name = name.lower().rstrip(".")
        for pattern in self.dns_names:
            if pattern == name:
                return True
            if pattern.startswith("*.") and "." in name:
                label, _, rest = name.partition(".")
                if label and rest == pattern[2:]:
                    return True
        return False

    def sign(self, scheme: int, data: bytes) -> bytes:
        """Sign handshake data (ServerKeyExchange params, CertificateVerify transcript).

        Raises:
            InternalError: this key cannot produce `scheme` (the caller must pick from
                `signature_schemes`).
        """
        params = self._signers.get(scheme)
        if params is None:
            raise InternalError(f"{self.key_type} key cannot sign with {scheme_name(scheme)}")
        return self.private_key.sign(bytes(data), *params)

    def decrypt_premaster(self, encrypted: bytes, client_version: int) -> bytes:
        """Decrypt an RSA EncryptedPreMasterSecret without a padding oracle.

        RFC 5246 §7.4.7.1: generate 48 random bytes R first, decrypt, and if the message
        is not 48 bytes or its version is not ClientHello.client_version, carry on with R.
        Never raises. Limits: the decryption itself is OpenSSL's (which, from 3.2, does
        implicit rejection and so does not fail on bad padding); the selection below uses
        hmac.compare_digest and integer masking rather than a branch, but CPython makes no
        constant-time promise for integer arithmetic.
        """
        fallback = os.urandom(48)
        try:
            message = self.private_key.decrypt(bytes(encrypted), padding.PKCS1v15())
        except Exception:  # noqa: BLE001 - every failure looks like "use R"
            message = b""
        candidate = (message + bytes(48))[:48]
        good = (len(message) == 48) & hmac.compare_digest(candidate[:2], (client_version & 0xFFFF).to_bytes(2, "big"))
        mask = ((1 << 384) - 1) * good
        chosen = (int.from_bytes(candidate, "big") & mask) | (int.from_bytes(fallback, "big") & ~mask)
        return chosen.to_bytes(48, "big")


def _dns_names(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        return tuple(n.lower() for n in san.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        cns = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        return tuple(str(a.value).lower() for a in cns)


# ---------------------------------------------------------------------------- trust


class TrustStore:
    """Trust anchors for peer verification.

    Args:
        certificates: the anchor certificates.
        cache_size: verified chains remembered (see the module comment); 0 turns the
            cache off.
        cache_ttl: seconds a verification may be reused (never past a certificate's
            notAfter).

    Attributes:
        store: the cryptography.x509.verification.Store.
        certificates: the anchor certificates.
    """

    __slots__ = ("store", "certificates", "_cache")

    def __init__(self, certificates: list, *, cache_size: int = 128, cache_ttl: float = 600.0):
        if not certificates:
            raise ConfigurationError("the trust store has no certificates")
        if cache_size < 0 or not cache_ttl >= 0:
            raise ConfigurationError("cache_size and cache_ttl must not be negative")
        self.certificates = list(certificates)
        self.store = Store(self.certificates)
        self._cache = _VerifiedChains(cache_size, cache_ttl) if cache_size and cache_ttl else None

    def stats(self) -> dict:
        """Verified-chain cache counters: hits, misses, entries (all 0 when it is off)."""
        cache = self._cache
        if cache is None:
            return {"hits": 0, "misses": 0, "entries": 0}
        return {"hits": cache.hits, "misses": cache.misses, "entries": len(cache.entries)}

    @property
    def subject_names(self) -> list[bytes]:
        """DER DistinguishedNames of the anchors (CertificateRequest, RFC 5246 §7.4.4)."""
        return [c.subject.public_bytes() for c in self.certificates]

    def __repr__(self) -> str:
        return f"<TrustStore {len(self.certificates)} certificates>"


class _VerifiedChains:
    """Bounded LRU of successful verifications for one TrustStore (module comment)."""

    __slots__ = ("max_entries", "ttl", "entries", "lock", "hits", "misses")

    def __init__(self, max_entries: int, ttl: float):
        self.max_entries = max_entries
        self.ttl = ttl
        # key -> (verified path tuple, verified at, latest notBefore, earliest notAfter)
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key, now: float):
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                path, verified_at, not_before, not_after = entry
                if verified_at <= now < verified_at + self.ttl and not_before <= now <= not_after:
                    self.entries.move_to_end(key)
                    self.hits += 1
                    return list(path)
                del self.entries[key]  # stale, or asked about another time: verify afresh
            self.misses += 1
            return None

    def put(self, key, path: list, now: float) -> None:
        not_before = max(c.not_valid_before_utc.timestamp() for c in path)
        not_after = min(c.not_valid_after_utc.timestamp() for c in path)
        with self.lock:
            self.entries[key] = (tuple(path), now, not_before, not_after)
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)


def _is_pem(value) -> bool:
    if isinstance(value, str):
        return value.lstrip().startswith("-----BEGIN")
    return isinstance(value, (bytes, bytearray, memoryview)) and bytes(value).lstrip().startswith(b"-----BEGIN")


def _pem_certs(data: bytes, source: str) -> list:
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        raise ConfigurationError(f"no valid PEM certificate found in {source}") from None


def _der_certs(data: bytes) -> list:
    # Concatenated DER certificates, as ssl's cadata accepts: split on the outer SEQUENCE.
    out, pos = [], 0
    while pos < len(data):
        if data[pos] != 0x30 or pos + 2 > len(data):
            raise ConfigurationError("cadata is neither PEM nor DER certificates")
        n = data[pos + 1]
        head = 2
        if n & 0x80:
            head += n & 0x7F
            n = int.from_bytes(data[pos + 2:pos + head], "big")
        end = pos + head + n
        try:
            out.append(x509.load_der_x509_certificate(data[pos:end]))
        except ValueError:
            raise ConfigurationError("cadata holds an invalid DER certificate") from None
        pos = end
    return out


@functools.lru_cache(maxsize=1)
def _system_certificates() -> tuple:
    paths = ssl.get_default_verify_paths()
    certs: dict[bytes, x509.Certificate] = {}
    files = [paths.cafile] if paths.cafile and os.path.isfile(paths.cafile) else []
    if paths.capath and os.path.isdir(paths.capath):
        files += sorted(os.path.join(paths.capath, f) for f in os.listdir(paths.capath))
    if not files:
        try:
            import certifi
        except ImportError:
            certifi = None
        if certifi is not None:
            files = [certifi.where()]
    for path in files:
        try:
            with open(path, "rb") as f, warnings.catch_warnings():
                # Some distro roots have non-positive serials (a deprecation warning).
                warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                found = x509.load_pem_x509_certificates(f.read())
        except (OSError, ValueError):
            continue  # capath holds other files too (CRLs, READMEs...)
        for cert in found:
            certs[cert.public_bytes(serialization.Encoding.DER)] = cert
    return tuple(certs.values())


def load_trust_store(cafile=None, cadata=None, *, cache_size: int = 128, cache_ttl: float = 600.0) -> TrustStore:
    """Build a TrustStore.

    Args:
        cafile: a PEM file path, a list of paths, or PEM text (str/bytes starting with
            "-----BEGIN").
        cadata: PEM text or DER bytes (one or more concatenated certificates).

        cache_size, cache_ttl: the verified-chain cache (TrustStore).

    With neither, the system store is used (ssl.get_default_verify_paths(), then
    certifi if installed); it is parsed once per process.

    Raises:
        ConfigurationError: unreadable/invalid input, or no system store was found.
    """
    certs: list = []
    if cafile is not None:
        sources = cafile if isinstance(cafile, (list, tuple)) else [cafile]
        for src in sources:
            if _is_pem(src):
                certs += _pem_certs(_as_bytes(src), "cafile PEM data")
            else:
                certs += _pem_certs(_read(src), repr(os.fspath(src)))
    if cadata is not None:
        data = _as_bytes(cadata)
        certs += _pem_certs(data, "cadata") if b"-----BEGIN" in data else _der_certs(data)
    if cafile is None and cadata is None:
        certs = list(_system_certificates())
        if not certs:
            raise ConfigurationError(
                "no system CA certificates found; pass cafile= (a PEM file, list of files or "
                "PEM bytes) or cadata=, or install certifi"
            )
    return TrustStore(certs, cache_size=cache_size, cache_ttl=cache_ttl)

