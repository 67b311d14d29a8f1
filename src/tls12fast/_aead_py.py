# Pure-Python twin of AEAD sealing outside records (compiled twin: ext/tls12fast/_aead_c.pyx).
#
# How this works: AeadKey wraps cryptography's AESGCM for one key. seal() is AESGCM.encrypt
# (ciphertext followed by the 16-byte tag); open() is AESGCM.decrypt with InvalidTag turned
# into None, so a forged session ticket (RFC 5077 §4) is a value, not an exception.
# Arguments are checked as in the compiled twin: bytes only (TypeError), a 12-byte nonce
# and bounded lengths (LocalProtocolError), a 16- or 32-byte key (ConfigurationError).
from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import ConfigurationError, LocalProtocolError

__all__ = ["AeadKey", "NONCE_LEN", "TAG_LEN", "MAX_INPUT"]

NONCE_LEN = 12
TAG_LEN = 16
MAX_INPUT = 1 << 24  # far above any ticket (RFC 5077 §3.3: < 2^16 bytes)


def _check(nonce, data, aad) -> None:
    if type(nonce) is not bytes or type(data) is not bytes or type(aad) is not bytes:
        raise TypeError("AeadKey takes bytes")
    if len(nonce) != NONCE_LEN:
        raise LocalProtocolError("AES-GCM nonce must be 12 bytes")
    if len(data) > MAX_INPUT or len(aad) > MAX_INPUT:
        raise LocalProtocolError("AeadKey input too long")


class AeadKey:
    """AES-GCM with one key, for data outside records (session tickets, RFC 5077 §4).

    Args:
        key: 16 or 32 bytes (AES-128-GCM or AES-256-GCM).

    seal(nonce, plaintext, aad) returns the ciphertext followed by the 16-byte tag;
    open(nonce, sealed, aad) returns the plaintext, or None when the tag does not verify.
    Arguments are bytes; the nonce is 12 bytes and must never repeat under one key.
    """

    __slots__ = ("_aead",)

    def __init__(self, key: bytes):
        if type(key) is not bytes:
            raise TypeError("AeadKey takes bytes")
        if len(key) not in (16, 32):
            raise ConfigurationError("AES-GCM key must be 16 or 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        _check(nonce, plaintext, aad)
        return self._aead.encrypt(nonce, plaintext, aad)

    def open(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes | None:
        _check(nonce, sealed, aad)
        try:
            return self._aead.decrypt(nonce, sealed, aad)
        except InvalidTag:
            return None

    def __reduce__(self):
        raise TypeError("AeadKey holds a key and cannot be pickled")

    def __repr__(self) -> str:
        return "<AeadKey>"
