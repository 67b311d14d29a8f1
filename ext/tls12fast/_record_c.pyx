# cython: language_level=3
# Compiled twin of the TLS 1.2 record layer (pure twin: src/tls12fast/_record_py.py).
#
# How this works (names, behaviour and exceptions must match the pure twin):
# - RecordReader owns one malloc'd buffer with head/tail offsets; feed() compacts once
#   (memmove) and appends, refusing to hold more than max_buffer unconsumed bytes
#   (LocalProtocolError). next_record() validates the 5-byte header as soon as it is
#   buffered (RFC 5246 §6.2.1/§6.2.3 limits), consumes a complete record and opens it in
#   place: AEAD plaintext is decrypted straight into the returned bytes object.
# - RecordWriter owns one grown output buffer; each fragment (≤ max_fragment) gets its
#   header and is sealed by OpenSSL directly behind it, so take() is the only copy.
# - Protection objects keep their libcrypto state for one direction. A connection only
#   seals or only opens with one protection, so each direction's EVP_CIPHER_CTX is keyed
#   on its first seal/open (the key waits in the object, cleansed on free); per record
#   only the IV/nonce is set. CBC keys one HMAC_CTX once (HMAC_Init_ex(ctx, NULL, ...)
#   restores the precomputed inner/outer state per record). Ciphers and digests are
#   fetched once at import, so keying does no implicit provider fetch. AEAD layout
#   (§6.2.3.3, RFC 5288 §3, RFC 7905 §2) and CBC layouts (§6.2.3.2, RFC 7366 §3) are
#   described in the pure twin. The 64-bit sequence number never wraps (InternalError).
#   EVP calls on records of at least _NOGIL_MIN bytes run without the GIL; a busy flag
#   turns concurrent use of one object from several threads into LocalProtocolError.
# - The nogil libcrypto operations (AAD, AEAD seal/open, CBC, keyed HMAC) and the
#   constant-time Lucky 13 check for MAC-then-encrypt live in _record_evp.pxd (header-only).
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.stdint cimport uint8_t, uint64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy, memmove

from tls12fast._openssl cimport (
    CRYPTO_memcmp, EVP_CIPHER, EVP_CIPHER_CTX, EVP_CIPHER_CTX_free, EVP_CIPHER_CTX_new,
    EVP_CIPHER_CTX_set_padding, EVP_CIPHER_fetch, EVP_CipherInit_ex, EVP_MD, EVP_MD_CTX,
    EVP_MD_CTX_free, EVP_MD_CTX_new, EVP_MD_fetch, HMAC_CTX, HMAC_CTX_free, HMAC_CTX_new,
    HMAC_Init_ex, OPENSSL_cleanse,
)
from tls12fast._record_evp cimport (
    AEAD_TAG, MAX_MAC, aead_nonce, aead_open, aead_seal, cbc_crypt, cbc_seal, mte_check, put_u64,
    record_aad, record_hmac,
)

from tls12fast.errors import (
    BadRecordMac, ConfigurationError, InternalError, LocalProtocolError, ProtocolVersionError,
    RecordOverflow, UnexpectedMessage,
)

__all__ = [
    "MAX_PLAINTEXT", "MAX_CIPHERTEXT", "RECORD_HEADER_LEN", "RecordReader", "RecordWriter",
    "NullProtection", "new_protection",
]

MAX_PLAINTEXT = 16384
MAX_CIPHERTEXT = 16384 + 2048
RECORD_HEADER_LEN = 5

cdef enum:
    _MAX_PT = 16384
    _MAX_CT = 18432
    _HDR = 5
    _BLOCK = 16
    _NOGIL_MIN = 4096

cdef uint64_t _SEQ_LIMIT = 0xFFFFFFFFFFFFFFFFULL  # a record at this number would wrap

_AEAD_KEYS = {"AES-128-GCM": 16, "AES-256-GCM": 32, "CHACHA20-POLY1305": 32}
_CBC_KEYS = {"AES-128-CBC": 16, "AES-256-CBC": 32}
_MACS = {"sha1": 20, "sha256": 32, "sha384": 48}

# Fetched once; immutable, provider-owned and never freed (they live for the process).
# NULL (a provider without the algorithm) is reported when a protection needs it.
cdef const EVP_CIPHER* _AES_128_GCM = EVP_CIPHER_fetch(NULL, b"AES-128-GCM", NULL)
cdef const EVP_CIPHER* _AES_256_GCM = EVP_CIPHER_fetch(NULL, b"AES-256-GCM", NULL)
cdef const EVP_CIPHER* _CHACHA20_POLY1305 = EVP_CIPHER_fetch(NULL, b"ChaCha20-Poly1305", NULL)
cdef const EVP_CIPHER* _AES_128_CBC = EVP_CIPHER_fetch(NULL, b"AES-128-CBC", NULL)
cdef const EVP_CIPHER* _AES_256_CBC = EVP_CIPHER_fetch(NULL, b"AES-256-CBC", NULL)
cdef const EVP_MD* _SHA1 = EVP_MD_fetch(NULL, b"SHA1", NULL)
cdef const EVP_MD* _SHA256 = EVP_MD_fetch(NULL, b"SHA256", NULL)
cdef const EVP_MD* _SHA384 = EVP_MD_fetch(NULL, b"SHA384", NULL)


cdef class _Protection:
    """Sequence number (RFC 5246 §6.1) and the Python-level seal/open wrappers."""

    cdef uint64_t _seq
    cdef bint _busy

    @property
    def seq(self):
        """The sequence number the next record will use (settable, 0..2^64-1)."""
        return self._seq

    @seq.setter
    def seq(self, value):
        if not 0 <= value <= 0xFFFFFFFFFFFFFFFF:
            raise ConfigurationError("sequence number out of range")
        self._seq = value

    cdef int _check(self) except -1:
        if self._busy:
            raise LocalProtocolError("protection object used from two threads at once")
        if self._seq >= _SEQ_LIMIT:
            raise InternalError("sequence number would wrap; the connection must be closed")
        return 0

    cdef size_t _sealed_len(self, size_t n) noexcept:
        return n

    cdef size_t _seal_into(self, int ct, const uint8_t* src, size_t n, uint8_t* out) except? 0:
        self._check()
        if n:
            memcpy(out, src, n)
        self._seq += 1
        return n

    cdef object _open(self, int ct, const uint8_t* src, size_t n):
        self._check()
        self._seq += 1
        return PyBytes_FromStringAndSize(<const char*>src, n)

    def seal(self, int content_type, plaintext):
        """Protect one record's plaintext; returns the fragment (no header)."""
        cdef Py_buffer view
        if not 0 <= content_type <= 255:
            raise LocalProtocolError("content type out of range")
        PyObject_GetBuffer(plaintext, &view, PyBUF_SIMPLE)
        try:
            if view.len > _MAX_PT:
                raise LocalProtocolError("record plaintext longer than 2^14")
            out = PyBytes_FromStringAndSize(NULL, self._sealed_len(view.len))
            self._seal_into(content_type, <const uint8_t*>view.buf, view.len,
                                <uint8_t*>PyBytes_AS_STRING(out))
        finally:
            PyBuffer_Release(&view)
        return out

    def open(self, int content_type, fragment):
        """Verify and decrypt one record fragment; returns the plaintext."""
        cdef Py_buffer view
        if not 0 <= content_type <= 255:
            raise LocalProtocolError("content type out of range")
        PyObject_GetBuffer(fragment, &view, PyBUF_SIMPLE)
        try:
            if view.len > _MAX_CT:
                raise RecordOverflow("record too long")
            if self._busy:
                raise LocalProtocolError("protection object used from two threads at once")
            return self._open(content_type, <const uint8_t*>view.buf, view.len)
        finally:
            PyBuffer_Release(&view)

    def __repr__(self):
        return f"<{type(self).__name__} seq={self._seq}>"


cdef class NullProtection(_Protection):
    """Epoch-0 protection: seal/open are the identity (TLS_NULL_WITH_NULL_NULL)."""


cdef class _CipherProtection(_Protection):
    """The cipher key and the lazily keyed encrypt/decrypt contexts of AEAD and CBC."""

    cdef const EVP_CIPHER* _cipher
    cdef EVP_CIPHER_CTX* _enc
    cdef EVP_CIPHER_CTX* _dec
    cdef uint8_t _key[32]

    cdef int _set_key(self, const EVP_CIPHER* cipher, bytes key) except -1:
        if cipher == NULL or PyBytes_GET_SIZE(key) > 32:
            raise InternalError("OpenSSL could not fetch the record cipher")
        self._cipher = cipher
        memcpy(self._key, PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key))
        return 0

    cdef EVP_CIPHER_CTX* _ctx(self, int enc) except NULL:
        """The context that seals (enc=1) or opens (enc=0), keyed on first use."""
        cdef EVP_CIPHER_CTX** slot = &self._enc if enc else &self._dec
        if slot[0] != NULL:
            return slot[0]
        slot[0] = EVP_CIPHER_CTX_new()
        if slot[0] == NULL:
            raise MemoryError()
        if EVP_CipherInit_ex(slot[0], self._cipher, NULL, self._key, NULL, enc) != 1 or \
                EVP_CIPHER_CTX_set_padding(slot[0], 0) != 1:
            EVP_CIPHER_CTX_free(slot[0])
            slot[0] = NULL
            raise InternalError("OpenSSL cipher initialisation failed")
        return slot[0]

    def __dealloc__(self):
        EVP_CIPHER_CTX_free(self._enc)
        EVP_CIPHER_CTX_free(self._dec)
        OPENSSL_cleanse(self._key, sizeof(self._key))


cdef class _AeadProtection(_CipherProtection):
    """AES-GCM (RFC 5288) or ChaCha20-Poly1305 (RFC 7905)."""

    cdef bint _explicit  # True: GCM (8-byte explicit nonce); False: ChaCha20-Poly1305
    cdef uint8_t _iv[12]

    def __cinit__(self, str cipher, bytes key not None, bytes iv not None):
        if PyBytes_GET_SIZE(key) != _AEAD_KEYS[cipher] or \
                PyBytes_GET_SIZE(iv) != (12 if cipher == "CHACHA20-POLY1305" else 4):
            raise ConfigurationError("bad key or IV length")
        if cipher == "CHACHA20-POLY1305":
            self._set_key(_CHACHA20_POLY1305, key)
            memcpy(self._iv, PyBytes_AS_STRING(iv), 12)
        else:
            self._set_key(_AES_128_GCM if cipher == "AES-128-GCM" else _AES_256_GCM, key)
            self._explicit = True
            memcpy(self._iv, PyBytes_AS_STRING(iv), 4)

    cdef size_t _sealed_len(self, size_t n) noexcept:
        return n + AEAD_TAG + (8 if self._explicit else 0)

    cdef size_t _seal_into(self, int ct, const uint8_t* src, size_t n, uint8_t* out) except? 0:
        cdef uint8_t nonce[12]
        cdef uint8_t aad[13]
        cdef int ok
        self._check()
        cdef EVP_CIPHER_CTX* ctx = self._ctx(1)
        aead_nonce(nonce, self._iv, self._explicit, self._seq)
        record_aad(aad, self._seq, ct, n)
        if self._explicit:
            put_u64(out, self._seq)  # the explicit nonce is the sequence number
            out += 8
        if n >= _NOGIL_MIN:
            self._busy = True
            with nogil:
                ok = aead_seal(ctx, nonce, aad, src, <int>n, out)
            self._busy = False
        else:
            ok = aead_seal(ctx, nonce, aad, src, <int>n, out)
        if not ok:
            raise InternalError("OpenSSL AEAD encryption failed")
        self._seq += 1
        return self._sealed_len(n)

    cdef object _open(self, int ct, const uint8_t* src, size_t n):
        cdef uint8_t nonce[12]
        cdef uint8_t aad[13]
        cdef int ok
        cdef size_t skip = 8 if self._explicit else 0
        self._check()
        cdef EVP_CIPHER_CTX* ctx = self._ctx(0)
        if n < skip + AEAD_TAG:
            raise BadRecordMac("record too short")
        n -= skip + AEAD_TAG
        if self._explicit:
            memcpy(nonce, self._iv, 4)
            memcpy(nonce + 4, src, 8)  # RFC 5288 §3: nonce_explicit comes from the record
        else:
            aead_nonce(nonce, self._iv, False, self._seq)
        record_aad(aad, self._seq, ct, n)
        out = PyBytes_FromStringAndSize(NULL, n)
        cdef uint8_t* dst = <uint8_t*>PyBytes_AS_STRING(out)
        if n >= _NOGIL_MIN:
            self._busy = True
            with nogil:
                ok = aead_open(ctx, nonce, aad, src + skip, <int>n, dst)
            self._busy = False
        else:
            ok = aead_open(ctx, nonce, aad, src + skip, <int>n, dst)
        if not ok:
            raise BadRecordMac("bad record MAC")
        self._seq += 1
        return out


cdef class _CbcProtection(_CipherProtection):
    """AES-CBC with HMAC, MAC-then-encrypt (RFC 5246 §6.2.3.2) or EtM (RFC 7366)."""

    cdef HMAC_CTX* _hmac
    cdef EVP_MD_CTX* _dummy
    cdef const EVP_MD* _md
    cdef size_t _mac_len, _hash_block, _length_field
    cdef bint _etm

    def __cinit__(self, str cipher, bytes key not None, str mac, bytes mac_key not None, etm):
        if PyBytes_GET_SIZE(key) != _CBC_KEYS[cipher] or PyBytes_GET_SIZE(mac_key) != _MACS[mac]:
            raise ConfigurationError("bad key or MAC key length")
        self._set_key(_AES_128_CBC if cipher == "AES-128-CBC" else _AES_256_CBC, key)
        self._md = _SHA1 if mac == "sha1" else _SHA256 if mac == "sha256" else _SHA384
        if self._md == NULL:
            raise InternalError("OpenSSL could not fetch the record MAC digest")
        self._mac_len = _MACS[mac]
        self._hash_block = 128 if mac == "sha384" else 64
        self._length_field = 16 if mac == "sha384" else 8
        self._etm = etm
        self._hmac = HMAC_CTX_new()
        self._dummy = EVP_MD_CTX_new()
        if self._hmac == NULL or self._dummy == NULL:
            raise MemoryError()
        if HMAC_Init_ex(self._hmac, PyBytes_AS_STRING(mac_key), <int>PyBytes_GET_SIZE(mac_key),
                        self._md, NULL) != 1:
            raise InternalError("OpenSSL HMAC initialisation failed")

    def __dealloc__(self):
        HMAC_CTX_free(self._hmac)
        EVP_MD_CTX_free(self._dummy)

    cdef size_t _sealed_len(self, size_t n) noexcept:
        if self._etm:
            return _BLOCK + (n + _BLOCK) // _BLOCK * _BLOCK + self._mac_len
        return _BLOCK + (n + self._mac_len + _BLOCK) // _BLOCK * _BLOCK

    cdef size_t _seal_into(self, int ct, const uint8_t* src, size_t n, uint8_t* out) except? 0:
        cdef size_t total = self._sealed_len(n)
        cdef int ok
        self._check()
        ok = cbc_seal(self._ctx(1), self._hmac, self._mac_len, self._etm, self._seq, ct, src, n,
                      out, total)
        if ok < 0:
            raise InternalError("OpenSSL RAND_bytes failed")
        if not ok:
            raise InternalError("OpenSSL CBC/HMAC failed")
        self._seq += 1
        return total

    cdef object _open(self, int ct, const uint8_t* src, size_t n):
        cdef uint8_t hdr[13]
        cdef uint8_t expected[MAX_MAC]
        cdef size_t mac_len = self._mac_len
        cdef size_t body, pad, i
        cdef uint8_t* pt
        self._check()
        if self._etm:
            if n < 2 * _BLOCK + mac_len or (n - mac_len) % _BLOCK:
                raise BadRecordMac("bad record length")
            body = n - mac_len
            record_aad(hdr, self._seq, ct, body)
            if not record_hmac(self._hmac, hdr, src, body, expected) or \
                    CRYPTO_memcmp(expected, src + body, mac_len) != 0:
                raise BadRecordMac("bad record MAC")
            tmp = PyBytes_FromStringAndSize(NULL, body - _BLOCK)
            pt = <uint8_t*>PyBytes_AS_STRING(tmp)
            if not cbc_crypt(self._ctx(0), src, src + _BLOCK, body - _BLOCK, pt, 0):
                raise InternalError("OpenSSL CBC decryption failed")
            # The MAC is verified, so the padding is public: a plain check is fine.
            body -= _BLOCK
            pad = pt[body - 1]
            if pad + 1 > body:
                raise BadRecordMac("bad record padding")
            for i in range(body - 1 - pad, body):
                if pt[i] != pad:
                    raise BadRecordMac("bad record padding")
            out = PyBytes_FromStringAndSize(<char*>pt, body - pad - 1)
        else:
            out = self._open_mte(ct, src, n)
        self._seq += 1
        return out

    cdef object _open_mte(self, int ct, const uint8_t* src, size_t n):
        """MAC-then-encrypt open with the Lucky 13 countermeasures (_record_evp.mte_check)."""
        cdef size_t m, data_len = 0
        cdef int verdict
        if n < _BLOCK + self._mac_len + 1 or n % _BLOCK:
            raise BadRecordMac("bad record length")
        m = n - _BLOCK
        tmp = PyBytes_FromStringAndSize(NULL, m)
        cdef uint8_t* pt = <uint8_t*>PyBytes_AS_STRING(tmp)
        if not cbc_crypt(self._ctx(0), src, src + _BLOCK, m, pt, 0):
            raise InternalError("OpenSSL CBC decryption failed")
        verdict = mte_check(self._hmac, self._dummy, self._md, self._mac_len, self._hash_block,
                            self._length_field, self._seq, ct, pt, m, &data_len)
        if verdict < 0:
            raise InternalError("OpenSSL HMAC failed")
        if not verdict:
            raise BadRecordMac("bad record MAC")
        return PyBytes_FromStringAndSize(<char*>pt, data_len)


def new_protection(cipher, key, iv, mac=None, mac_key=b"", encrypt_then_mac=False):
    """Build the protection for one direction of a connection.

    Args:
        cipher: "AES-128-GCM", "AES-256-GCM", "CHACHA20-POLY1305", "AES-128-CBC" or
            "AES-256-CBC".
        key: the write key for this direction.
        iv: 4-byte salt (GCM), 12-byte IV (ChaCha20-Poly1305), ignored for CBC.
        mac: "sha1", "sha256" or "sha384" (CBC only).
        mac_key: the MAC key (CBC only).
        encrypt_then_mac: RFC 7366 encrypt-then-MAC (CBC only).

    Returns:
        An object with seal(content_type, plaintext), open(content_type, fragment), seq.

    Raises:
        ConfigurationError: unknown cipher/MAC or wrong key/IV length.
    """
    key = bytes(key)
    if cipher in _AEAD_KEYS:
        if mac is not None or encrypt_then_mac:
            raise ConfigurationError("AEAD ciphers take no MAC")
        if len(key) != _AEAD_KEYS[cipher]:
            raise ConfigurationError(f"{cipher} needs a {_AEAD_KEYS[cipher]}-byte key")
        if cipher == "CHACHA20-POLY1305":
            if len(iv) != 12:
                raise ConfigurationError("CHACHA20-POLY1305 needs a 12-byte IV")
        elif len(iv) != 4:
            raise ConfigurationError("AES-GCM needs a 4-byte salt")
        return _AeadProtection(cipher, key, bytes(iv))
    if cipher in _CBC_KEYS:
        if mac not in _MACS:
            raise ConfigurationError("CBC ciphers need mac='sha1', 'sha256' or 'sha384'")
        if len(key) != _CBC_KEYS[cipher]:
            raise ConfigurationError(f"{cipher} needs a {_CBC_KEYS[cipher]}-byte key")
        if len(mac_key) != _MACS[mac]:
            raise ConfigurationError(f"HMAC-{mac} needs a {_MACS[mac]}-byte key")
        return _CbcProtection(cipher, key, mac, bytes(mac_key), bool(encrypt_then_mac))
    raise ConfigurationError(f"unknown record cipher {cipher!r}")


cdef class RecordReader:
    """Deframes and opens records from a byte stream (RFC 5246 §6.2).

    Attributes:
        protection: the read-direction protection (starts as NullProtection()).
        legacy_version_ok: accept record versions 0x0300..0x0303 (first ClientHello).
    """

    cdef uint8_t* _buf
    cdef size_t _head, _tail, _cap, _max_buffer
    cdef bint _busy
    cdef public object protection
    cdef public bint legacy_version_ok

    def __init__(self, max_buffer=65536):
        if max_buffer < _HDR + _MAX_CT:
            raise ConfigurationError("max_buffer must hold at least one maximal record")
        self._max_buffer = max_buffer
        self.protection = NullProtection()
        self.legacy_version_ok = False

    def __dealloc__(self):
        free(self._buf)

    cdef int _enter(self) except -1:
        if self._busy:
            raise LocalProtocolError("record reader used from two threads at once")
        return 0

    def feed(self, data):
        """Append received bytes.

        Raises:
            LocalProtocolError: more than max_buffer bytes would be left unconsumed.
        """
        cdef Py_buffer view
        cdef size_t n, keep, cap
        cdef uint8_t* grown
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            self._enter()
            n = view.len
            keep = self._tail - self._head
            if keep + n > self._max_buffer:
                raise LocalProtocolError("record input buffer full; call next_record() first")
            if self._head:  # compact once per feed
                memmove(self._buf, self._buf + self._head, keep)
                self._head = 0
                self._tail = keep
            if keep + n > self._cap:
                cap = max(self._cap * 2, keep + n, <size_t>4096)
                cap = min(cap, self._max_buffer)
                grown = <uint8_t*>realloc(self._buf, cap)
                if grown == NULL:
                    raise MemoryError()
                self._buf = grown
                self._cap = cap
            if n:
                memcpy(self._buf + keep, view.buf, n)
            self._tail = keep + n
        finally:
            PyBuffer_Release(&view)

    def buffered(self):
        """Number of received bytes not yet returned as records."""
        return self._tail - self._head

    def next_record(self):
        """Return (content_type, plaintext) of the next complete record, or None.

        Raises:
            UnexpectedMessage, ProtocolVersionError, RecordOverflow: bad header or content.
            BadRecordMac: the record failed authentication.
        """
        cdef size_t avail = self._tail - self._head
        cdef const uint8_t* p
        cdef int content_type, version
        cdef size_t length
        self._enter()
        if avail < _HDR:
            return None
        p = self._buf + self._head
        content_type = p[0]
        version = p[1] << 8 | p[2]
        length = p[3] << 8 | p[4]
        if content_type < 20 or content_type > 23:
            raise UnexpectedMessage("unknown record content type")
        if version != 0x0303 and not (self.legacy_version_ok and 0x0300 <= version <= 0x0303):
            raise ProtocolVersionError("unsupported record version")
        protection = self.protection
        if length > (<size_t>_MAX_PT if type(protection) is NullProtection else <size_t>_MAX_CT):
            raise RecordOverflow("record too long")
        if avail < _HDR + length:
            return None
        self._head += _HDR + length
        if isinstance(protection, _Protection):
            self._busy = True
            try:
                plaintext = (<_Protection>protection)._open(content_type, p + _HDR, length)
            finally:
                self._busy = False
        else:
            plaintext = protection.open(
                content_type, PyBytes_FromStringAndSize(<const char*>p + _HDR, length))
        if len(plaintext) > _MAX_PT:
            raise RecordOverflow("decrypted record too long")
        if not plaintext and content_type != 23:
            raise UnexpectedMessage("empty handshake, alert or change_cipher_spec record")
        return content_type, plaintext


cdef class RecordWriter:
    """Fragments and seals outgoing data into one output buffer (RFC 5246 §6.2.1).

    Attributes:
        protection: the write-direction protection (starts as NullProtection()).
        max_fragment: largest plaintext per record, 1..16384.
    """

    cdef uint8_t* _out
    cdef size_t _len, _cap, _max_fragment
    cdef bint _busy
    cdef public object protection

    def __init__(self, max_fragment=MAX_PLAINTEXT):
        self.max_fragment = max_fragment
        self.protection = NullProtection()

    def __dealloc__(self):
        free(self._out)

    @property
    def max_fragment(self):
        return self._max_fragment

    @max_fragment.setter
    def max_fragment(self, value):
        if not 1 <= value <= MAX_PLAINTEXT:
            raise ConfigurationError("max_fragment must be in 1..16384")
        self._max_fragment = value

    cdef uint8_t* _reserve(self, size_t extra) except NULL:
        cdef size_t cap
        cdef uint8_t* grown
        if self._len + extra > self._cap:
            cap = max(self._cap * 2, self._len + extra, <size_t>4096)
            grown = <uint8_t*>realloc(self._out, cap)
            if grown == NULL:
                raise MemoryError()
            self._out = grown
            self._cap = cap
        return self._out + self._len

    def write(self, int content_type, data):
        """Fragment, seal and buffer `data` as records of `content_type`.

        Raises:
            LocalProtocolError: content_type is not 20..23.
        """
        cdef Py_buffer view
        cdef size_t total, pos = 0, n, m
        cdef const uint8_t* src
        cdef uint8_t* dst
        cdef _Protection own
        cdef const uint8_t[::1] sealed
        if content_type < 20 or content_type > 23:
            raise LocalProtocolError("record content type must be 20..23")
        if self._busy:
            raise LocalProtocolError("record writer used from two threads at once")
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            total = view.len
            src = <const uint8_t*>view.buf
            if total == 0 and content_type != 23:
                return
            protection = self.protection
            own = protection if isinstance(protection, _Protection) else None
            while True:
                n = min(self._max_fragment, total - pos)
                if own is not None:
                    dst = self._reserve(_HDR + own._sealed_len(n))
                    self._busy = True
                    try:
                        m = own._seal_into(content_type, src + pos, n, dst + _HDR)
                    finally:
                        self._busy = False
                else:
                    sealed = protection.seal(
                        content_type, PyBytes_FromStringAndSize(<const char*>src + pos, n))
                    m = sealed.shape[0]
                    dst = self._reserve(_HDR + m)
                    if m:
                        memcpy(dst + _HDR, &sealed[0], m)
                dst[0] = <uint8_t>content_type
                dst[1] = 3
                dst[2] = 3
                dst[3] = <uint8_t>(m >> 8)
                dst[4] = <uint8_t>m
                self._len += _HDR + m
                pos += n
                if pos >= total:
                    break
        finally:
            PyBuffer_Release(&view)

    def pending(self):
        """Number of bytes waiting in the output buffer."""
        return self._len

    def take(self):
        """Return and clear the buffered records."""
        if self._busy:
            raise LocalProtocolError("record writer used from two threads at once")
        out = PyBytes_FromStringAndSize(<const char*>self._out, self._len) if self._len else b""
        self._len = 0
        return out
