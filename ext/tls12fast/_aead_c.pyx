# cython: language_level=3
# Compiled twin of AEAD sealing outside records (pure twin: src/tls12fast/_aead_py.py).
#
# How this works: AeadKey holds one AES-GCM key as two OpenSSL EVP_CIPHER_CTXs (seal,
# open), keyed once when the object is made; each call only sets the 12-byte nonce, feeds
# the AAD and the data, and writes or checks the 16-byte tag (aead_seal / aead_open from
# _record_evp.pxd, shared with the record layer). Session tickets (RFC 5077 §4) are what
# it seals: a server opens one per resumed handshake, and building a context and its key
# schedule for each (as cryptography's AESGCM does) costs more there than the decryption
# itself. The GIL is never released, so threads sharing one key (TicketKeys) take turns.
# Arguments are checked as in the pure twin: bytes only (TypeError), a 12-byte nonce and
# bounded lengths (LocalProtocolError), a 16- or 32-byte key (ConfigurationError).
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.stdint cimport uint8_t

from tls12fast._openssl cimport (
    EVP_CIPHER, EVP_CIPHER_CTX, EVP_CIPHER_CTX_free, EVP_CIPHER_CTX_new, EVP_CIPHER_fetch,
    EVP_CipherInit_ex,
)
from tls12fast._record_evp cimport AEAD_TAG, aead_open, aead_seal

from tls12fast.errors import ConfigurationError, InternalError, LocalProtocolError

__all__ = ["AeadKey", "NONCE_LEN", "TAG_LEN", "MAX_INPUT"]

NONCE_LEN = 12
TAG_LEN = 16
MAX_INPUT = 1 << 24  # far above any ticket (RFC 5077 §3.3: < 2^16 bytes)

# Fetched once; provider-owned, live for the process.
cdef const EVP_CIPHER* _AES_128_GCM = EVP_CIPHER_fetch(NULL, b"AES-128-GCM", NULL)
cdef const EVP_CIPHER* _AES_256_GCM = EVP_CIPHER_fetch(NULL, b"AES-256-GCM", NULL)


cdef EVP_CIPHER_CTX* _keyed(const EVP_CIPHER* cipher, bytes key, int enc) except NULL:
    cdef EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new()
    if ctx == NULL:
        raise MemoryError()
    if cipher == NULL or EVP_CipherInit_ex(ctx, cipher, NULL,
                                           <const uint8_t*>PyBytes_AS_STRING(key), NULL, enc) != 1:
        EVP_CIPHER_CTX_free(ctx)
        raise InternalError("OpenSSL AES-GCM initialisation failed")
    return ctx


cdef int _check(nonce, data, aad) except -1:
    if type(nonce) is not bytes or type(data) is not bytes or type(aad) is not bytes:
        raise TypeError("AeadKey takes bytes")
    if PyBytes_GET_SIZE(nonce) != NONCE_LEN:
        raise LocalProtocolError("AES-GCM nonce must be 12 bytes")
    if PyBytes_GET_SIZE(data) > MAX_INPUT or PyBytes_GET_SIZE(aad) > MAX_INPUT:
        raise LocalProtocolError("AeadKey input too long")
    return 0


cdef class AeadKey:
    """AES-GCM with one key, for data outside records (session tickets, RFC 5077 §4).

    Args:
        key: 16 or 32 bytes (AES-128-GCM or AES-256-GCM).

    seal(nonce, plaintext, aad) returns the ciphertext followed by the 16-byte tag;
    open(nonce, sealed, aad) returns the plaintext, or None when the tag does not verify.
    Arguments are bytes; the nonce is 12 bytes and must never repeat under one key.
    """

    cdef EVP_CIPHER_CTX* _seal
    cdef EVP_CIPHER_CTX* _open

    def __cinit__(self, key):
        if type(key) is not bytes:
            raise TypeError("AeadKey takes bytes")
        if PyBytes_GET_SIZE(key) != 16 and PyBytes_GET_SIZE(key) != 32:
            raise ConfigurationError("AES-GCM key must be 16 or 32 bytes")
        cdef const EVP_CIPHER* cipher = _AES_128_GCM if PyBytes_GET_SIZE(key) == 16 else _AES_256_GCM
        self._seal = _keyed(cipher, key, 1)
        self._open = _keyed(cipher, key, 0)

    def __dealloc__(self):
        EVP_CIPHER_CTX_free(self._seal)  # frees and cleanses the key schedule
        EVP_CIPHER_CTX_free(self._open)

    def seal(self, nonce, plaintext, aad):
        _check(nonce, plaintext, aad)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(plaintext)
        cdef bytes out = PyBytes_FromStringAndSize(NULL, n + AEAD_TAG)
        if not aead_seal(self._seal, <const uint8_t*>PyBytes_AS_STRING(nonce),
                         <const uint8_t*>PyBytes_AS_STRING(aad),
                         <const uint8_t*>PyBytes_AS_STRING(plaintext), <int>n,
                         <uint8_t*>PyBytes_AS_STRING(out), <int>PyBytes_GET_SIZE(aad)):
            raise InternalError("OpenSSL AEAD encryption failed")
        return out

    def open(self, nonce, sealed, aad):
        _check(nonce, sealed, aad)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(sealed) - AEAD_TAG
        if n < 0:
            return None
        cdef bytes out = PyBytes_FromStringAndSize(NULL, n)
        if not aead_open(self._open, <const uint8_t*>PyBytes_AS_STRING(nonce),
                         <const uint8_t*>PyBytes_AS_STRING(aad),
                         <const uint8_t*>PyBytes_AS_STRING(sealed), <int>n,
                         <uint8_t*>PyBytes_AS_STRING(out), <int>PyBytes_GET_SIZE(aad)):
            return None
        return out

    def __reduce__(self):
        raise TypeError("AeadKey holds a key and cannot be pickled")

    def __repr__(self):
        return "<AeadKey>"
