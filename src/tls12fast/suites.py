# The cipher-suite table: one row per TLS 1.2 suite we implement, holding everything the
# handshake and the record layer need (key exchange, authentication, record cipher, MAC,
# PRF hash, key-block lengths). Suites are named by their IANA names everywhere.
# RFC 5246 App. C, RFC 5288 (GCM), RFC 5289 (ECDHE), RFC 7905 (ChaCha20-Poly1305).
from __future__ import annotations

from dataclasses import dataclass

from .enums import NamedGroup, SignatureScheme
from .errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class CipherSuite:
    """One TLS 1.2 cipher suite.

    Attributes:
        name: IANA name, e.g. "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".
        code: the 16-bit wire value.
        kx: key exchange, "ECDHE" | "DHE" | "RSA".
        auth: certificate key type, "RSA" | "ECDSA".
        cipher: record cipher name understood by `_record.new_protection`.
        mac: HMAC hash for CBC suites ("sha1" | "sha256" | "sha384"), None for AEAD.
        prf_hash: PRF / transcript hash, "sha256" | "sha384".
        key_len: cipher key length.
        iv_len: fixed IV length taken from the key block (4 GCM salt, 12 ChaCha, 0 CBC).
        mac_len: MAC key length taken from the key block (0 for AEAD).
    """

    name: str
    code: int
    kx: str
    auth: str
    cipher: str
    mac: str | None
    prf_hash: str

    @property
    def key_len(self) -> int:
        return 16 if self.cipher.startswith("AES-128") else 32

    @property
    def iv_len(self) -> int:
        return {"AES-128-GCM": 4, "AES-256-GCM": 4, "CHACHA20-POLY1305": 12}.get(self.cipher, 0)

    @property
    def mac_len(self) -> int:
        return {None: 0, "sha1": 20, "sha256": 32, "sha384": 48}[self.mac]

    @property
    def is_aead(self) -> bool:
        return self.mac is None

    @property
    def key_block_len(self) -> int:
        return 2 * (self.mac_len + self.key_len + self.iv_len)

    @property
    def forward_secret(self) -> bool:
        return self.kx != "RSA"


def _s(name: str, code: int) -> CipherSuite:
    # TLS_<KX>_<AUTH>_WITH_<CIPHER>_<MAC>, or TLS_RSA_WITH_... (kx = auth = RSA)
    kx_auth, _, rest = name[4:].partition("_WITH_")
    kx, _, auth = kx_auth.partition("_")
    auth = auth or "RSA"
    if rest.startswith("CHACHA20_POLY1305"):
        cipher, mac, prf_hash = "CHACHA20-POLY1305", None, "sha256"
    else:
        bits = rest[4:7]
        mode, _, hash_name = rest[8:].partition("_")
        hash_name = hash_name.lower() if hash_name != "SHA" else "sha1"
        cipher = f"AES-{bits}-{mode}"
        mac = None if mode == "GCM" else hash_name
        prf_hash = "sha384" if hash_name == "sha384" else "sha256"
    return CipherSuite(name, code, kx, auth, cipher, mac, prf_hash)


# Default server preference order: forward secrecy, then AEAD, then ECDSA before RSA.
ALL_SUITES: tuple[CipherSuite, ...] = tuple(
    _s(n, c)
    for n, c in [
        ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02B),
        ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC02F),
        ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xC02C),
        ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xC030),
        ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA9),
        ("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA8),
        ("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 0x009E),
        ("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 0x009F),
        ("TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCAA),
        ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xC023),
        ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xC027),
        ("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 0xC024),
        ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 0xC028),
        ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xC009),
        ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xC013),
        ("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xC00A),
        ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xC014),
        ("TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 0x0067),
        ("TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", 0x006B),
        ("TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 0x0033),
        ("TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 0x0039),
        ("TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009C),
        ("TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009D),
        ("TLS_RSA_WITH_AES_128_CBC_SHA256", 0x003C),
        ("TLS_RSA_WITH_AES_256_CBC_SHA256", 0x003D),
        ("TLS_RSA_WITH_AES_128_CBC_SHA", 0x002F),
        ("TLS_RSA_WITH_AES_256_CBC_SHA", 0x0035),
    ]
)

BY_NAME: dict[str, CipherSuite] = {s.name: s for s in ALL_SUITES}
BY_CODE: dict[int, CipherSuite] = {s.code: s for s in ALL_SUITES}

DEFAULT_GROUPS: tuple[str, ...] = ("x25519", "secp256r1", "secp384r1", "ffdhe2048", "ffdhe3072")

# Signature schemes we offer/accept, in preference order (RFC 5246 §7.4.1.4.1, RFC 8446 §4.2.3
# code points). SHA-1 schemes are off by default.
DEFAULT_SIGNATURE_SCHEMES: tuple[SignatureScheme, ...] = (
    SignatureScheme.ecdsa_secp256r1_sha256,
    SignatureScheme.ecdsa_secp384r1_sha384,
    SignatureScheme.rsa_pss_rsae_sha256,
    SignatureScheme.rsa_pss_rsae_sha384,
    SignatureScheme.rsa_pss_rsae_sha512,
    SignatureScheme.rsa_pkcs1_sha256,
    SignatureScheme.rsa_pkcs1_sha384,
    SignatureScheme.rsa_pkcs1_sha512,
)


def resolve_suites(names) -> tuple[CipherSuite, ...]:
    """Map a list of IANA names (None = all, in default order) to CipherSuite rows."""
    if names is None:
        return ALL_SUITES
    if isinstance(names, str):
        names = [names]
    out = []
    for name in names:
        try:
            out.append(BY_NAME[name])
        except KeyError:
            raise ConfigurationError(f"unknown or unsupported cipher suite {name!r}") from None
    if not out:
        raise ConfigurationError("cipher_suites must not be empty")
    return tuple(out)


def resolve_groups(names) -> tuple[NamedGroup, ...]:
    """Map IANA group names (None = defaults) to NamedGroup values."""
    if names is None:
        names = DEFAULT_GROUPS
    if isinstance(names, str):
        names = [names]
    out = []
    for name in names:
        try:
            out.append(NamedGroup[name])
        except KeyError:
            raise ConfigurationError(f"unknown or unsupported group {name!r}") from None
    if not out:
        raise ConfigurationError("groups must not be empty")
    return tuple(out)
