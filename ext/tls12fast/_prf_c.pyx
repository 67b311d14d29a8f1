# cython: language_level=3
# Compiled twin of the TLS 1.2 PRF (pure twin: src/tls12fast/_prf_py.py).
#
# How this works (RFC 5246 §5):
#   P_hash(secret, seed) = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + ...
#   A(0) = seed, A(i) = HMAC(secret, A(i-1))
#   PRF(secret, label, seed) = P_hash(secret, label + seed)
# One OpenSSL HMAC_CTX is keyed once per call (HMAC_Init_ex with the key computes the
# inner/outer padded key states); each further block resets to those states with
# HMAC_Init_ex(ctx, NULL, 0, NULL, NULL), so the key is never re-hashed. Blocks are
# written straight into the result bytes object (only a final partial block goes through
# a stack buffer); label and seed are fed separately, never concatenated. The digests are
# fetched once at import (EVP_MD_fetch) so no per-call implicit fetch happens. The GIL is
# released around the loop for long outputs. Every OpenSSL return value is checked; a
# failure raises InternalError, and the context is freed on every path.
# KeyedPrf keeps one keyed HMAC_CTX for a secret used several times - a connection's
# master secret feeds the key expansion and both Finished messages (RFC 5246 §6.3,
# §7.4.9) - so only its first use pays for HMAC_CTX_new and the key schedule; it never
# releases the GIL (outputs are short and the context is shared by its calls).
#
# Argument checks must match the pure twin exactly (same order: hash, length, label,
# secret, seed; same exception types), which is why they are written in Python terms.
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.string cimport memcpy

from tls12fast._openssl cimport (
    EVP_MAX_MD_SIZE, EVP_MD, EVP_MD_fetch, HMAC_CTX, HMAC_CTX_free, HMAC_CTX_new, HMAC_Final,
    HMAC_Init_ex, HMAC_Update, OPENSSL_cleanse,
)

import operator

from tls12fast.errors import ConfigurationError, InternalError

__all__ = ["prf", "p_hash", "KeyedPrf"]


# RFC 5246 §5 leaves the output length to the caller; 64 KiB bounds the work per call.
cdef enum:
    _MAX_LENGTH = 65536
    # Below this many output bytes the GIL round trip costs more than it frees.
    _NOGIL_MIN = 1024

# Fetched once; these are immutable, provider-owned and never freed (live for the process).
cdef const EVP_MD *_SHA256 = EVP_MD_fetch(NULL, b"SHA256", NULL)
cdef const EVP_MD *_SHA384 = EVP_MD_fetch(NULL, b"SHA384", NULL)
cdef unsigned char _EMPTY[1]


cdef const EVP_MD *_check_hash(hash) except NULL:
    cdef const EVP_MD *md = NULL
    if isinstance(hash, str):
        if hash == "sha256":
            md = _SHA256
        elif hash == "sha384":
            md = _SHA384
        else:
            raise ConfigurationError(f"unsupported PRF hash {hash!r}; use 'sha256' or 'sha384'")
        if md == NULL:
            raise InternalError("OpenSSL could not fetch the PRF digest")
        return md
    raise ConfigurationError(f"unsupported PRF hash {hash!r}; use 'sha256' or 'sha384'")


cdef Py_ssize_t _check_length(length) except -1:
    length = operator.index(length)
    if not 0 <= length <= _MAX_LENGTH:
        raise ConfigurationError(f"PRF output length {length} is outside 0..{_MAX_LENGTH}")
    return length


cdef bytes _buffer(data):
    # bytes as is; any other C-contiguous buffer viewed as unsigned bytes (TypeError
    # otherwise, exactly as the pure twin) and copied, so the GIL can be released safely.
    if type(data) is bytes:
        return <bytes>data
    return bytes(memoryview(data).cast("B"))


cdef bytes _label(label):
    if isinstance(label, str):
        try:
            return (<str>label).encode("ascii")
        except UnicodeEncodeError:
            raise ConfigurationError("PRF label must be ASCII") from None
    return _buffer(label)


cdef int _p_hash_loop(HMAC_CTX *ctx, const EVP_MD *md,
                      const unsigned char *key, size_t key_len,
                      const unsigned char *label, size_t label_len,
                      const unsigned char *seed, size_t seed_len,
                      unsigned char *out, size_t length) noexcept nogil:
    """Fill out[0:length] with P_hash; 1 on success, 0 if any OpenSSL call failed."""
    cdef unsigned char a[EVP_MAX_MD_SIZE]
    cdef unsigned char last[EVP_MAX_MD_SIZE]
    cdef unsigned int a_len = 0
    cdef unsigned int n = 0
    cdef size_t done = 0
    cdef int ok = 0
    # Key once: computes the inner and outer padded key states (key NULL: ctx is keyed
    # already and restarts from those states).
    if key_len > 0x7FFFFFFF or HMAC_Init_ex(ctx, key, <int>key_len, md, NULL) != 1:
        return 0
    # A(1) = HMAC(secret, label + seed)
    if (HMAC_Update(ctx, label, label_len) != 1 or HMAC_Update(ctx, seed, seed_len) != 1
            or HMAC_Final(ctx, a, &a_len) != 1):
        return 0
    while True:
        # Output block: HMAC(secret, A(i) + label + seed)
        if (HMAC_Init_ex(ctx, NULL, 0, NULL, NULL) != 1 or HMAC_Update(ctx, a, a_len) != 1
                or HMAC_Update(ctx, label, label_len) != 1
                or HMAC_Update(ctx, seed, seed_len) != 1):
            break
        if length - done >= a_len:
            if HMAC_Final(ctx, out + done, &n) != 1 or n != a_len:
                break
            done += a_len
        else:
            if HMAC_Final(ctx, last, &n) != 1 or n != a_len:
                break
            memcpy(out + done, last, length - done)
            done = length
        if done == length:
            ok = 1
            break
        # A(i+1) = HMAC(secret, A(i))
        if (HMAC_Init_ex(ctx, NULL, 0, NULL, NULL) != 1 or HMAC_Update(ctx, a, a_len) != 1
                or HMAC_Final(ctx, a, &n) != 1 or n != a_len):
            break
    OPENSSL_cleanse(a, sizeof(a))
    OPENSSL_cleanse(last, sizeof(last))
    return ok


cdef bytes _p_hash_with(HMAC_CTX *ctx, const EVP_MD *md, bytes secret, bytes label, bytes seed,
                        Py_ssize_t length, bint may_release_gil):
    """P_hash output bytes computed with `ctx`: keyed here with `secret`, or already keyed
    (secret None, md NULL). The GIL is released for long outputs if `may_release_gil`."""
    if length == 0:
        return b""
    cdef bytes out = PyBytes_FromStringAndSize(NULL, length)
    cdef unsigned char *dst = <unsigned char *>PyBytes_AS_STRING(out)
    cdef const unsigned char *k = NULL
    cdef const unsigned char *l = _EMPTY
    cdef const unsigned char *s = <const unsigned char *>PyBytes_AS_STRING(seed)
    cdef size_t k_len = 0
    cdef size_t l_len = 0
    cdef size_t s_len = <size_t>PyBytes_GET_SIZE(seed)
    cdef int ok
    if secret is not None:
        k = <const unsigned char *>PyBytes_AS_STRING(secret)
        k_len = <size_t>PyBytes_GET_SIZE(secret)
    if label is not None:
        l = <const unsigned char *>PyBytes_AS_STRING(label)
        l_len = <size_t>PyBytes_GET_SIZE(label)
    if may_release_gil and length >= _NOGIL_MIN:
        with nogil:
            ok = _p_hash_loop(ctx, md, k, k_len, l, l_len, s, s_len, dst, <size_t>length)
    else:
        ok = _p_hash_loop(ctx, md, k, k_len, l, l_len, s, s_len, dst, <size_t>length)
    if not ok:
        raise InternalError("OpenSSL HMAC failed while computing the PRF")
    return out


cdef bytes _p_hash(const EVP_MD *md, bytes secret, bytes label, bytes seed, Py_ssize_t length):
    if length == 0:
        return b""
    cdef HMAC_CTX *ctx = HMAC_CTX_new()
    if ctx == NULL:
        raise MemoryError()
    try:
        return _p_hash_with(ctx, md, secret, label, seed, length, True)
    finally:
        HMAC_CTX_free(ctx)


def p_hash(hash, secret, seed, length):
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
        InternalError: OpenSSL failed.
    """
    cdef const EVP_MD *md = _check_hash(hash)
    cdef Py_ssize_t n = _check_length(length)
    cdef bytes k = _buffer(secret)
    cdef bytes s = _buffer(seed)
    return _p_hash(md, k, None, s, n)


def prf(secret, label, seed, length, hash="sha256"):
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
        InternalError: OpenSSL failed.
    """
    cdef const EVP_MD *md = _check_hash(hash)
    cdef Py_ssize_t n = _check_length(length)
    cdef bytes l = _label(label)
    cdef bytes k = _buffer(secret)
    cdef bytes s = _buffer(seed)
    return _p_hash(md, k, l, s, n)


cdef class KeyedPrf:
    """The PRF with its secret fixed: keyed once, then called per label and seed.

    Args:
        secret: the PRF secret (bytes-like), e.g. a master secret.
        hash: "sha256" or "sha384".

    Calling it with (label, seed, length) returns prf(secret, label, seed, length, hash)
    and raises what prf() raises for those arguments.
    """

    cdef HMAC_CTX *_ctx

    def __cinit__(self, secret, hash="sha256"):
        cdef const EVP_MD *md = _check_hash(hash)
        cdef bytes k = _buffer(secret)
        if PyBytes_GET_SIZE(k) > 0x7FFFFFFF:
            raise ConfigurationError("PRF secret too long")
        self._ctx = HMAC_CTX_new()
        if self._ctx == NULL:
            raise MemoryError()
        if HMAC_Init_ex(self._ctx, PyBytes_AS_STRING(k), <int>PyBytes_GET_SIZE(k), md, NULL) != 1:
            raise InternalError("OpenSSL HMAC failed while keying the PRF")

    def __dealloc__(self):
        if self._ctx != NULL:
            HMAC_CTX_free(self._ctx)  # cleanses the key states

    def __call__(self, label, seed, length):
        cdef Py_ssize_t n = _check_length(length)
        cdef bytes l = _label(label)
        cdef bytes s = _buffer(seed)
        # The context is shared by this object's calls: the GIL stays held.
        return _p_hash_with(self._ctx, NULL, None, l, s, n, False)

    def __reduce__(self):
        raise TypeError("KeyedPrf holds a secret and cannot be pickled")

    def __repr__(self):
        return "<KeyedPrf>"
