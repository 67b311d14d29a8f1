# Public-key cryptography taken from `cryptography`: ephemeral key exchange, handshake
# signatures and RSA key transport. Certificates, private keys and chain verification
# live in certs.py and verify.py (re-exported here, so `crypto.CertifiedKey` etc. also work).
#
# Key exchange (KeyExchange): one object per handshake holding our ephemeral private key.
#   ECDHE, RFC 8422 §5.4 / §5.10: x25519 (raw 32-byte keys, RFC 7748) and the NIST curves
#   secp256r1/secp384r1 (uncompressed points only, RFC 8422 §5.1.2). Finite-field DHE,
#   RFC 5246 §7.4.3 / RFC 7919: the RFC 7919 App. A groups or server-chosen parameters.
#   Every peer value is validated and any failure becomes IllegalParameter (never a bare
#   ValueError), so the connection can send the right alert (RFC 5246 §7.2.2).
# Signatures (RFC 5246 §4.7, §7.4.1.4.1; RFC 8446 §4.2.3 code points): PKCS#1 v1.5,
#   RSA-PSS with rsaEncryption keys (salt = hash length, MGF1 with the same hash) and
#   ECDSA. In TLS 1.2 the ECDSA curve is not bound to the scheme's hash.
from __future__ import annotations

import warnings

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dh, ec, padding, rsa, x25519
from cryptography.utils import CryptographyDeprecationWarning

from .enums import AlertDescription, NamedGroup
from .enums import SignatureScheme as SS
from .errors import CertificateError, DecryptError, IllegalParameter, InsufficientSecurity

__all__ = [
    "FFDHE2048_P",
    "FFDHE3072_P",
    "FFDHE_G",
    "KeyExchange",
    "rsa_encrypt_premaster",
    "verify_signature",
    "schemes_for_key",
    "scheme_name",
    "signing_params",
    # re-exported from certs.py
    "CertifiedKey",
    "TrustStore",
    "load_trust_store",
    "load_peer_chain",
    "verify_server_chain",
    "verify_client_chain",
]

# RFC 7919 App. A.1 / A.2 (cross-checked against OpenSSL's built-in groups); g = 2.
FFDHE2048_P = int(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
    "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B423861285C97FFFFFFFFFFFFFFFF",
    16,
)
FFDHE3072_P = int(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
    "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B"
    "BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
    "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF"
    "5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E"
    "0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF",
    16,
)
FFDHE_G = 2
MIN_DH_BITS = 2048

_FFDHE = {NamedGroup.ffdhe2048: FFDHE2048_P, NamedGroup.ffdhe3072: FFDHE3072_P}
_CURVES = {NamedGroup.secp256r1: ec.SECP256R1, NamedGroup.secp384r1: ec.SECP384R1}
# cryptography >= 49 deprecates finite-field DH on attribute access; TLS 1.2 still needs
# DHE (RFC 7919), so the two classes are bound once here, with that one warning muted.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    _DHParameterNumbers = dh.DHParameterNumbers
    _DHPublicNumbers = dh.DHPublicNumbers

_DH_PARAMS: dict = {}  # (p, g) -> dh.DHParameters, built once per process


def _dh_parameters(p: int, g: int) -> dh.DHParameters:
    params = _DH_PARAMS.get((p, g))
    if params is None:
        params = _DHParameterNumbers(p, g).parameters()
        if len(_DH_PARAMS) < 16:  # RFC 7919 groups plus a few server-chosen ones
            _DH_PARAMS[(p, g)] = params
    return params


class KeyExchange:
    """Our side of one ephemeral (EC)DH exchange.

    Attributes:
        group: the NamedGroup value, or None for server-chosen (custom) DH parameters.
        public: our public value in wire form (x25519: 32 raw bytes; NIST curves: the
            uncompressed point 0x04||X||Y; DH: Y big-endian, padded to len(p), RFC 7919 §3).
        p, g: the DH parameters as ints (None for ECDHE).
    """

    __slots__ = ("group", "public", "p", "g", "_private")

    def __init__(self, group, public: bytes, private, p: int | None = None, g: int | None = None):
        self.group = group
        self.public = public
        self.p = p
        self.g = g
        self._private = private

    def __repr__(self) -> str:
        name = NamedGroup(self.group).name if self.group is not None else f"dh{self.p.bit_length()}"
        return f"<KeyExchange {name}>"

    @classmethod
    def start(cls, group: int) -> "KeyExchange":
        """Generate an ephemeral key pair for a NamedGroup (x25519, secp256r1/384r1, ffdhe*).

        Raises:
            IllegalParameter: the group is not one we implement.
        """
        if group == NamedGroup.x25519:
            priv = x25519.X25519PrivateKey.generate()
            return cls(NamedGroup.x25519, priv.public_key().public_bytes_raw(), priv)
        curve = _CURVES.get(group)
        if curve is not None:
            priv = ec.generate_private_key(curve())
            pub = priv.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
            return cls(NamedGroup(group), pub, priv)
        p = _FFDHE.get(group)
        if p is not None:
            return cls._dh(NamedGroup(group), p, FFDHE_G)
        raise IllegalParameter(f"unsupported key exchange group {group}")

    @classmethod
    def _dh(cls, group, p: int, g: int) -> "KeyExchange":
        priv = _dh_parameters(p, g).generate_private_key()
        y = priv.public_key().public_numbers().y
        return cls(group, y.to_bytes((p.bit_length() + 7) // 8, "big"), priv, p, g)

    @classmethod
    def from_dh_params(cls, p: bytes, g: bytes) -> "KeyExchange":
        """Client side of DHE with the server's ServerDHParams (RFC 5246 §7.4.3).

        Raises:
            InsufficientSecurity: p is shorter than 2048 bits.
            IllegalParameter: p is even or g is outside 1 < g < p-1.
        """
        pi = int.from_bytes(p, "big")
        gi = int.from_bytes(g, "big")
        if pi.bit_length() < MIN_DH_BITS:
            raise InsufficientSecurity(
                f"server DH group has {pi.bit_length()} bits; at least {MIN_DH_BITS} are required"
            )
        if pi % 2 == 0 or not 1 < gi < pi - 1:
            raise IllegalParameter("invalid server DH parameters")
        for group, known in _FFDHE.items():
            if pi == known and gi == FFDHE_G:
                return cls._dh(group, pi, gi)
        try:
            return cls._dh(None, pi, gi)
        except ValueError:
            raise IllegalParameter("server DH parameters rejected by the crypto library") from None

    def derive(self, peer_public: bytes) -> bytes:
        """Compute the shared secret (the pre-master secret) from the peer's public value.

        ECDHE: the x coordinate / X25519 output (RFC 8422 §5.10); DH: Z with leading zero
        bytes stripped (RFC 5246 §8.1.2).

        Raises:
            IllegalParameter: the peer value is malformed, off the curve or out of range.
        """
        peer_public = bytes(peer_public)
        if self.group == NamedGroup.x25519:
            return self._derive_x25519(peer_public)
        if self.p is None:
            return self._derive_ec(peer_public)
        return self._derive_dh(peer_public)

    def _derive_x25519(self, peer: bytes) -> bytes:
        if len(peer) != 32:
            raise IllegalParameter("x25519 public value must be 32 bytes")
        try:
            shared = self._private.exchange(x25519.X25519PublicKey.from_public_bytes(peer))
        except ValueError:
            shared = bytes(32)
        # RFC 7748 §6.1 / RFC 8422 §5.11: an all-zero result means a low-order point.
        if not any(shared):
            raise IllegalParameter("x25519 peer public value is a low-order point")
        return shared

    def _derive_ec(self, peer: bytes) -> bytes:
        size = (self._private.curve.key_size + 7) // 8
        # RFC 8422 §5.1.2: only the uncompressed form is negotiated.
        if len(peer) != 1 + 2 * size or peer[0] != 4:
            raise IllegalParameter("ECDH public value must be an uncompressed point")
        try:
            pub = ec.EllipticCurvePublicKey.from_encoded_point(self._private.curve, peer)
            return self._private.exchange(ec.ECDH(), pub)
        except ValueError:
            raise IllegalParameter("ECDH public value is not a valid point on the curve") from None

    def _derive_dh(self, peer: bytes) -> bytes:
        y = int.from_bytes(peer, "big")
        # RFC 7919 §5.1 / SP 800-56A: 1 < Y < p-1 (also rejects the empty value).
        if not 1 < y < self.p - 1 or len(peer) > (self.p.bit_length() + 7) // 8:
            raise IllegalParameter("DH public value out of range")
        try:
            numbers = _DHPublicNumbers(y, self._private.parameters().parameter_numbers())
            shared = self._private.exchange(numbers.public_key())
        except ValueError:
            raise IllegalParameter("DH public value rejected") from None
        # RFC 5246 §8.1.2: leading bytes of Z that contain all zero bits are stripped.
        return shared.lstrip(b"\x00")


def rsa_encrypt_premaster(public_key, premaster: bytes) -> bytes:
    """Encrypt the 48-byte pre-master secret to the server's RSA key (RFC 5246 §7.4.7.1).

    Raises:
        CertificateError (unsupported_certificate): the server's key is not RSA.
    """
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise CertificateError(
            "RSA key exchange needs an RSA server certificate",
            AlertDescription.unsupported_certificate,
        )
    return public_key.encrypt(premaster, padding.PKCS1v15())


# ---------------------------------------------------------------------------- signatures

_HASHES = {"sha1": hashes.SHA1(), "sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}
# scheme -> (algorithm, hash name)
_SCHEMES = {
    SS.rsa_pkcs1_sha1: ("pkcs1", "sha1"),
    SS.rsa_pkcs1_sha256: ("pkcs1", "sha256"),
    SS.rsa_pkcs1_sha384: ("pkcs1", "sha384"),
    SS.rsa_pkcs1_sha512: ("pkcs1", "sha512"),
    SS.rsa_pss_rsae_sha256: ("pss", "sha256"),
    SS.rsa_pss_rsae_sha384: ("pss", "sha384"),
    SS.rsa_pss_rsae_sha512: ("pss", "sha512"),
    SS.ecdsa_sha1: ("ecdsa", "sha1"),
    SS.ecdsa_secp256r1_sha256: ("ecdsa", "sha256"),
    SS.ecdsa_secp384r1_sha384: ("ecdsa", "sha384"),
}
_SHA1_SCHEMES = (SS.rsa_pkcs1_sha1, SS.ecdsa_sha1)
_RSA_SCHEMES = (
    SS.rsa_pss_rsae_sha256,
    SS.rsa_pss_rsae_sha384,
    SS.rsa_pss_rsae_sha512,
    SS.rsa_pkcs1_sha256,
    SS.rsa_pkcs1_sha384,
    SS.rsa_pkcs1_sha512,
)
_EC_SCHEMES = {
    "secp256r1": (SS.ecdsa_secp256r1_sha256, SS.ecdsa_secp384r1_sha384),
    "secp384r1": (SS.ecdsa_secp384r1_sha384, SS.ecdsa_secp256r1_sha256),
}


def _sign_args(kind: str, algo) -> tuple:
    # The arguments after `data` of cryptography's sign()/verify() (RFC 8446 §4.2.3:
    # PSS with MGF1 on the same hash and salt = hash length).
    if kind == "ecdsa":
        return (ec.ECDSA(algo),)
    if kind == "pss":
        return (padding.PSS(mgf=padding.MGF1(algo), salt_length=algo.digest_size), algo)
    return (padding.PKCS1v15(), algo)


# scheme -> (kind, sign/verify arguments), built once: padding and hash objects are
# immutable, so every handshake can share them.
_PARAMS = {int(s): (kind, _sign_args(kind, _HASHES[h])) for s, (kind, h) in _SCHEMES.items()}


def scheme_name(scheme: int) -> str:
    """IANA name of a SignatureScheme value (or its hex code if unknown)."""
    try:
        return SS(scheme).name
    except ValueError:
        return f"0x{scheme:04x}"


def _public(key):
    return key.public_key() if hasattr(key, "public_key") else key


def schemes_for_key(public_key) -> tuple[int, ...]:
    """Signature schemes a key (public or private) can produce or verify, preferred first.

    RSA: PSS sha256/384/512 then PKCS#1 sha256/384/512. ECDSA: the scheme matching the
    curve first, then the other curve's (TLS 1.2 does not bind curve and hash). SHA-1
    schemes are never listed. Unsupported key types give ().
    """
    key = _public(public_key)
    if isinstance(key, rsa.RSAPublicKey):
        return tuple(int(s) for s in _RSA_SCHEMES)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return tuple(int(s) for s in _EC_SCHEMES.get(key.curve.name, ()))
    return ()


_PUBLIC_TYPES = (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)
_PRIVATE_TYPES = (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)


def _algorithm(key, scheme: int, allow_sha1: bool, types: tuple = _PUBLIC_TYPES) -> tuple:
    """The sign/verify arguments for a key and scheme; `types` is (EC type, RSA type).

    Raises:
        IllegalParameter: the scheme is unknown, disallowed, or unusable with this key.
    """
    entry = _PARAMS.get(scheme)
    if entry is None or (scheme in _SHA1_SCHEMES and not allow_sha1):
        raise IllegalParameter(f"signature scheme {scheme_name(scheme)} is not allowed")
    kind, args = entry
    if kind == "ecdsa":
        if not isinstance(key, types[0]) or key.curve.name not in _EC_SCHEMES:
            raise IllegalParameter(f"{scheme_name(scheme)} needs an ECDSA P-256/P-384 key")
    elif not isinstance(key, types[1]):
        raise IllegalParameter(f"{scheme_name(scheme)} needs an RSA key")
    return args


def verify_signature(public_key, scheme: int, data: bytes, signature: bytes, *, allow_sha1: bool = False) -> None:
    """Check a handshake signature (ServerKeyExchange, CertificateVerify).

    Raises:
        IllegalParameter: the scheme is unknown, disallowed, or unusable with this key.
        DecryptError: the signature does not verify (RFC 5246 §7.2.2 decrypt_error).
    """
    args = _algorithm(public_key, scheme, allow_sha1)
    try:
        public_key.verify(bytes(signature), bytes(data), *args)
    except (InvalidSignature, ValueError):
        raise DecryptError(f"bad {scheme_name(scheme)} signature") from None


def signing_params(private_key, scheme: int) -> tuple:
    """The arguments after `data` for `private_key.sign(data, ...)` under `scheme`.

    CertifiedKey computes these once per scheme, so signing a handshake builds nothing.
    SHA-1 schemes are refused.

    Raises:
        IllegalParameter: the scheme is unknown or unusable with this key.
    """
    return _algorithm(private_key, scheme, False, _PRIVATE_TYPES)


_CERT_NAMES = frozenset(
    ("CertifiedKey", "TrustStore", "load_trust_store", "load_peer_chain", "verify_server_chain",
     "verify_client_chain")
)


def __getattr__(name: str):
    # PEP 562: certs.py imports this module, so its names are re-exported lazily (and
    # then bound here, so later lookups are plain attribute reads).
    if name in _CERT_NAMES:
        from . import certs

        value = globals()[name] = getattr(certs, name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
