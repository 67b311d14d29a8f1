# Pure-Python twin of the TLS 1.2 PRF (compiled twin: ext/tls12fast/_prf_c.pyx).
#
# How this works (RFC 5246 §5):
#   P_hash(secret, seed) = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + ...
#   A(0) = seed, A(i) = HMAC(secret, A(i-1))
#   PRF(secret, label, seed) = P_hash(secret, label + seed)
# The HMAC key schedule (inner/outer padded key states) is computed once per call with
# hmac.new(); every block then starts from .copy() of that keyed object. `label + seed`
# is never concatenated: both parts are fed to the HMAC one after the other.
# KeyedPrf keeps that keyed object for a secret used several times (a connection's master
# secret: key expansion and both Finished messages, RFC 5246 §6.3, §7.4.9).
#
# Argument checks happen up front and in the same order in both twins (hash, length,
# label, secret, seed), so both raise the same exception type for the same bad input:
# ConfigurationError for an unknown hash, an out-of-range length or a non-ASCII str
# label; TypeError for a non-integer length or a non-buffer secret/seed/label.
from __future__ import annotations

import hmac
import operator

from .errors import ConfigurationError

__all__ = ["prf", "p_hash", "KeyedPrf"]

# RFC 5246 §5 leaves the output length to the caller; 64 KiB bounds the work per call.
MAX_LENGTH = 65536
_HASHES = ("sha256", "sha384")


def _check_hash(hash) -> str:
    if not isinstance(hash, str) or hash not in _HASHES:
        raise ConfigurationError(f"unsupported PRF hash {hash!r}; use 'sha256' or 'sha384'")
    return hash


def _check_length(length) -> int:
    length = operator.index(length)
    if not 0 <= length <= MAX_LENGTH:
        raise ConfigurationError(f"PRF output length {length} is outside 0..{MAX_LENGTH}")
    return length


def _buffer(data):
    # bytes as is; any other C-contiguous buffer copied as unsigned bytes (TypeError
    # otherwise), exactly as the compiled twin does.
    if type(data) is bytes:
        return data
    return bytes(memoryview(data).cast("B"))


def _label(label):
    if isinstance(label, str):
        try:
            return label.encode("ascii")
        except UnicodeEncodeError:
            raise ConfigurationError("PRF label must be ASCII") from None
    return _buffer(label)


def _p_hash(keyed, parts: tuple, length: int) -> bytes:
    """P_hash over the concatenation of `parts` (RFC 5246 §5); `keyed` is an HMAC object
    keyed with the secret and never updated."""
    if length == 0:
        return b""
    h = keyed.copy()
    for part in parts:
        h.update(part)
    a = h.digest()  # A(1)
    out = bytearray()
    while True:
        h = keyed.copy()
        h.update(a)
        for part in parts:
            h.update(part)
        out += h.digest()
        if len(out) >= length:
            break
        h = keyed.copy()
        h.update(a)
        a = h.digest()  # A(i+1)
    del out[length:]
    return bytes(out)


def p_hash(hash: str, secret, seed, length: int) -> bytes:
    """RFC 5246 §5 P_hash with HMAC-`hash`.

    Args:
        hash: "sha256" or "sha384".
        secret: the HMAC key (bytes-like).
        seed: the seed (bytes-like).
        length: number of output bytes, 0..65536.

    Returns:
        `length` bytes of P_hash output.

    Raises:
        ConfigurationError: unknown hash or length out of range.
        TypeError: an argument of the wrong type.
    """
    hash = _check_hash(hash)
    length = _check_length(length)
    secret = _buffer(secret)
    seed = _buffer(seed)
    return _p_hash(hmac.new(secret, digestmod=hash), (seed,), length)


def prf(secret, label, seed, length: int, hash: str = "sha256") -> bytes:
    """The TLS 1.2 PRF: P_hash(secret, label + seed) (RFC 5246 §5).

    Args:
        secret: the PRF secret (bytes-like).
        label: ASCII str or bytes-like label, e.g. "master secret".
        seed: the seed (bytes-like).
        length: number of output bytes, 0..65536.
        hash: "sha256" (the default PRF) or "sha384" (suites that name SHA-384).

    Returns:
        `length` bytes of PRF output.

    Raises:
        ConfigurationError: unknown hash, length out of range or non-ASCII str label.
        TypeError: an argument of the wrong type.
    """
    hash = _check_hash(hash)
    length = _check_length(length)
    label = _label(label)
    secret = _buffer(secret)
    seed = _buffer(seed)
    return _p_hash(hmac.new(secret, digestmod=hash), (label, seed), length)


class KeyedPrf:
    """The PRF with its secret fixed: keyed once, then called per label and seed.

    Args:
        secret: the PRF secret (bytes-like), e.g. a master secret.
        hash: "sha256" or "sha384".

    Calling it with (label, seed, length) returns prf(secret, label, seed, length, hash)
    and raises what prf() raises for those arguments.
    """

    __slots__ = ("_keyed",)

    def __init__(self, secret, hash: str = "sha256"):
        hash = _check_hash(hash)
        self._keyed = hmac.new(_buffer(secret), digestmod=hash)

    def __call__(self, label, seed, length: int) -> bytes:
        length = _check_length(length)
        label = _label(label)
        seed = _buffer(seed)
        return _p_hash(self._keyed, (label, seed), length)

    def __reduce__(self):
        raise TypeError("KeyedPrf holds a secret and cannot be pickled")

    def __repr__(self) -> str:
        return "<KeyedPrf>"
