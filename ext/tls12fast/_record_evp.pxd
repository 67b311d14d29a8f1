# cython: language_level=3
# The libcrypto-level record operations of the compiled record twin (_record_c.pyx),
# header-only (inline functions, no module state, no runtime import):
# `from tls12fast._record_evp cimport ...`. Everything here is nogil and returns a status
# instead of raising; _record_c.pyx turns a failure into the exception the pure twin
# raises (src/tls12fast/_record_py.py), so the two twins cannot drift apart here.
#
# How this works:
# - record_aad() builds seq(8) ‖ type(1) ‖ version(2) ‖ length(2), the AEAD additional
#   data and the MAC header alike (RFC 5246 §6.2.3.3 / §6.2.3.1).
# - aead_nonce() builds the per-record nonce; aead_seal()/aead_open() reuse one keyed
#   EVP_CIPHER_CTX per direction and only set the nonce per record (RFC 5288 §3,
#   RFC 7905 §2); cbc_crypt() does the same for AES-CBC (padding is ours, §6.2.3.2) and
#   cbc_seal() lays out a whole CBC fragment; record_hmac() restores the precomputed keyed
#   HMAC state (HMAC_Init_ex(ctx, NULL, ...)) so the MAC key is never re-hashed.
# - mte_check() is the Lucky 13 countermeasure for MAC-then-encrypt (the OpenSSL/s2n
#   constant-time approach): the padding byte is checked against every byte of the
#   maximal 256-byte window with masks (no branch on secret data); a bad padding is
#   treated as a zero-length pad; the HMAC is computed over the resulting length and then
#   topped up with dummy hash compression blocks so the total number of compressions
#   equals that of the longest possible input; the received MAC is copied out with a mask
#   scan over its possible positions and compared with CRYPTO_memcmp; the only branch on
#   the combined result is the caller's, at the very end.
from libc.stdint cimport uint8_t, uint64_t
from libc.string cimport memcpy, memset

from tls12fast._openssl cimport (
    CRYPTO_memcmp, EVP_CIPHER_CTX, EVP_CIPHER_CTX_ctrl, EVP_CipherFinal_ex, EVP_CipherInit_ex,
    EVP_CipherUpdate, EVP_CTRL_AEAD_GET_TAG, EVP_CTRL_AEAD_SET_TAG, EVP_DigestInit_ex,
    EVP_DigestUpdate, EVP_MD, EVP_MD_CTX, HMAC_CTX, HMAC_Final, HMAC_Init_ex, HMAC_Update,
    RAND_bytes,
)

cdef enum:
    AEAD_TAG = 16  # GCM and Poly1305 tag length
    CBC_BLOCK = 16  # AES block (and explicit IV) length
    MAX_MAC = 48  # HMAC-SHA384

# Input for the dummy compressions: mte_check() hashes at most 256 // bs + 1 blocks of it
# (320 bytes for SHA-1/SHA-256, 384 for SHA-384).
cdef extern from *:
    """
    static const unsigned char tls12fast_zeros[512] = {0};
    """
    const unsigned char tls12fast_zeros[512]


# --- constant-time helpers (OpenSSL include/internal/constant_time.h) -------------------
cdef inline size_t ct_msb(size_t a) noexcept nogil:
    return <size_t>0 - (a >> (sizeof(size_t) * 8 - 1))

cdef inline size_t ct_lt(size_t a, size_t b) noexcept nogil:
    return ct_msb(a ^ ((a ^ b) | ((a - b) ^ b)))

cdef inline size_t ct_ge(size_t a, size_t b) noexcept nogil:
    return ~ct_lt(a, b)

cdef inline size_t ct_eq(size_t a, size_t b) noexcept nogil:
    cdef size_t x = a ^ b
    return ct_msb(~x & (x - 1))


cdef inline void put_u64(uint8_t* p, uint64_t v) noexcept nogil:
    cdef int i
    for i in range(8):
        p[7 - i] = <uint8_t>(v >> (8 * i))


cdef inline void record_aad(uint8_t* p, uint64_t seq, int content_type,
                            size_t length) noexcept nogil:
    # seq(8) ‖ type(1) ‖ version 0x0303(2) ‖ length(2): RFC 5246 §6.2.3.3 / §6.2.3.1.
    put_u64(p, seq)
    p[8] = <uint8_t>content_type
    p[9] = 3
    p[10] = 3
    p[11] = <uint8_t>(length >> 8)
    p[12] = <uint8_t>length


cdef inline void aead_nonce(uint8_t* nonce, const uint8_t* iv, bint explicit,
                            uint64_t seq) noexcept nogil:
    # GCM (RFC 5288 §3): salt(4) ‖ seq(8), the explicit part sent in the record.
    # ChaCha20-Poly1305 (RFC 7905 §2): iv(12) XOR the left-padded sequence number.
    cdef int i
    if explicit:
        memcpy(nonce, iv, 4)
        put_u64(nonce + 4, seq)
    else:
        memcpy(nonce, iv, 12)
        for i in range(8):
            nonce[11 - i] ^= <uint8_t>(seq >> (8 * i))


cdef inline int aead_seal(EVP_CIPHER_CTX* ctx, const uint8_t* nonce, const uint8_t* aad,
                          const uint8_t* src, int n, uint8_t* out, int aad_len=13) noexcept nogil:
    # Writes n ciphertext bytes then the 16-byte tag to out; 1 on success. The AAD is a
    # record's 13 bytes unless aad_len says otherwise (AeadKey: a ticket's key name).
    cdef int outl = 0
    if EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, 1) != 1:
        return 0
    if EVP_CipherUpdate(ctx, NULL, &outl, aad, aad_len) != 1:
        return 0
    if n and EVP_CipherUpdate(ctx, out, &outl, src, n) != 1:
        return 0
    if EVP_CipherFinal_ex(ctx, out + n, &outl) != 1:
        return 0
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG, out + n) == 1


cdef inline int aead_open(EVP_CIPHER_CTX* ctx, const uint8_t* nonce, const uint8_t* aad,
                          const uint8_t* src, int n, uint8_t* out, int aad_len=13) noexcept nogil:
    # src holds n ciphertext bytes then the tag; 1 if the tag verified.
    cdef int outl = 0
    if EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, 0) != 1:
        return 0
    if EVP_CipherUpdate(ctx, NULL, &outl, aad, aad_len) != 1:
        return 0
    if n and EVP_CipherUpdate(ctx, out, &outl, src, n) != 1:
        return 0
    if EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG, <void*>(src + n)) != 1:
        return 0
    return EVP_CipherFinal_ex(ctx, out + n, &outl) == 1


cdef inline int cbc_crypt(EVP_CIPHER_CTX* ctx, const uint8_t* iv, const uint8_t* src, size_t n,
                          uint8_t* out, int enc) noexcept nogil:
    # n is a multiple of the block size (padding disabled on ctx); 1 on success.
    cdef int outl = 0
    return (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, enc) == 1
            and EVP_CipherUpdate(ctx, out, &outl, src, <int>n) == 1)


cdef inline int record_hmac(HMAC_CTX* ctx, const uint8_t* hdr, const uint8_t* data, size_t n,
                            uint8_t* out) noexcept nogil:
    # HMAC(mac_key, hdr[13] ‖ data[n]) from the precomputed keyed state; 1 on success.
    cdef unsigned int outl = 0
    return (HMAC_Init_ex(ctx, NULL, 0, NULL, NULL) == 1
            and HMAC_Update(ctx, hdr, 13) == 1
            and HMAC_Update(ctx, data, n) == 1
            and HMAC_Final(ctx, out, &outl) == 1)


cdef inline int cbc_seal(EVP_CIPHER_CTX* enc, HMAC_CTX* hmac, size_t mac_len, bint etm,
                         uint64_t seq, int ct, const uint8_t* src, size_t n, uint8_t* out,
                         size_t total) noexcept nogil:
    # Writes the whole fragment (total bytes) to out: random IV ‖ AES-CBC(data ‖ MAC ‖
    # padding) (§6.2.3.2), or with encrypt-then-MAC IV ‖ AES-CBC(data ‖ padding) ‖ MAC over
    # IV and ciphertext (RFC 7366 §3). 1 on success, 0 if CBC/HMAC failed, -1 if RAND did.
    cdef uint8_t hdr[13]
    cdef size_t body = total - CBC_BLOCK - (mac_len if etm else 0)
    cdef size_t fill = body - n - (0 if etm else mac_len)  # pad bytes incl. the length byte
    cdef int ok = 1
    if RAND_bytes(out, CBC_BLOCK) != 1:
        return -1
    if n:
        memcpy(out + CBC_BLOCK, src, n)
    if not etm:
        record_aad(hdr, seq, ct, n)
        ok = record_hmac(hmac, hdr, src, n, out + CBC_BLOCK + n)
    memset(out + total - fill - (mac_len if etm else 0), <int>(fill - 1), fill)
    ok = ok and cbc_crypt(enc, out, out + CBC_BLOCK, body, out + CBC_BLOCK, 1)
    if ok and etm:
        record_aad(hdr, seq, ct, CBC_BLOCK + body)
        ok = record_hmac(hmac, hdr, out, CBC_BLOCK + body, out + CBC_BLOCK + body)
    return ok


cdef inline int mte_check(HMAC_CTX* hmac, EVP_MD_CTX* dummy, const EVP_MD* md, size_t mac_len,
                          size_t bs, size_t lf, uint64_t seq, int ct, const uint8_t* pt,
                          size_t m, size_t* data_len) noexcept nogil:
    """Constant-time padding + MAC check of a decrypted MAC-then-encrypt record.

    pt[0:m] is the decrypted fragment without its explicit IV (m >= mac_len + 1, checked
    by the caller); bs/lf are the hash's block size and length-field size. Stores the
    plaintext length in data_len[0] and returns 1 (good), 0 (bad padding or MAC: one
    verdict, no distinction) or -1 (an OpenSSL call failed).
    """
    cdef uint8_t hdr[13]
    cdef uint8_t expected[MAX_MAC]
    cdef uint8_t received[MAX_MAC]
    cdef size_t i, j, pad, good, mask, strip, n, blocks, window, lo
    cdef int ok
    pad = pt[m - 1]
    good = ct_ge(m, pad + 1 + mac_len)
    window = 256 if m > 256 else m
    for i in range(window):
        mask = ct_ge(pad, i)
        good &= ~(mask & (pad ^ pt[m - 1 - i]))
    good = ct_eq(0xFF, good & 0xFF)
    strip = (pad + 1) & good  # bad padding: treat as a zero-length pad (§6.2.3.2)
    n = m - mac_len - strip
    data_len[0] = n
    record_aad(hdr, seq, ct, n)
    ok = record_hmac(hmac, hdr, pt, n, expected)
    # Dummy compressions: as many as hashing the longest candidate input would take.
    blocks = (13 + m - mac_len + lf + bs) // bs - (13 + n + lf + bs) // bs
    ok &= EVP_DigestInit_ex(dummy, md, NULL) == 1
    ok &= EVP_DigestUpdate(dummy, tls12fast_zeros, blocks * bs) == 1
    # Copy the received MAC out of every position it may occupy, selected by mask.
    memset(received, 0, mac_len)
    lo = m - mac_len - (window if window < m - mac_len else m - mac_len)
    for i in range(lo, m - mac_len + 1):
        mask = ct_eq(i, n) & 0xFF
        for j in range(mac_len):
            received[j] |= pt[i + j] & mask
    if not ok:
        return -1
    good &= ct_eq(CRYPTO_memcmp(expected, received, mac_len), 0)
    return 1 if good else 0
