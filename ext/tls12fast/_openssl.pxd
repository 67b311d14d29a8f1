# cython: language_level=3
# The libcrypto (OpenSSL 3.0 headers) declarations used by the compiled twins, declared
# once: `from tls12fast._openssl cimport ...`. Header-only: extern declarations, no module
# of its own and no runtime import. setup.py links -lcrypto and defines
# OPENSSL_API_COMPAT=0x10100000L / OPENSSL_SUPPRESS_DEPRECATED, which keep the HMAC_CTX
# API (deprecated in 3.0, still the fastest way to reuse a keyed HMAC state) available.
#
# How this works: every function is declared nogil (libcrypto never touches Python
# objects), so callers may run them inside `with nogil:` blocks; every caller checks the
# return value itself. Macros that are compile-time integers are declared as anonymous
# enums so they can size C arrays.

cdef extern from "openssl/evp.h" nogil:
    ctypedef struct ENGINE
    ctypedef struct EVP_CIPHER
    ctypedef struct EVP_CIPHER_CTX
    ctypedef struct EVP_MD
    ctypedef struct EVP_MD_CTX
    enum:
        EVP_MAX_MD_SIZE
        EVP_CTRL_AEAD_GET_TAG
        EVP_CTRL_AEAD_SET_TAG

    # Symmetric ciphers (AEAD and CBC record protection).
    EVP_CIPHER_CTX* EVP_CIPHER_CTX_new()
    void EVP_CIPHER_CTX_free(EVP_CIPHER_CTX* ctx)
    int EVP_CipherInit_ex(EVP_CIPHER_CTX* ctx, const EVP_CIPHER* cipher, ENGINE* impl,
                          const unsigned char* key, const unsigned char* iv, int enc)
    int EVP_CipherUpdate(EVP_CIPHER_CTX* ctx, unsigned char* out, int* outl,
                         const unsigned char* inp, int inl)
    int EVP_CipherFinal_ex(EVP_CIPHER_CTX* ctx, unsigned char* out, int* outl)
    int EVP_CIPHER_CTX_ctrl(EVP_CIPHER_CTX* ctx, int type, int arg, void* ptr)
    int EVP_CIPHER_CTX_set_padding(EVP_CIPHER_CTX* ctx, int pad)
    # Explicit fetches (OpenSSL 3): done once at import, so keying a context does not
    # repeat the implicit provider fetch the legacy EVP_aes_128_gcm()-style getters cause.
    EVP_CIPHER* EVP_CIPHER_fetch(void* libctx, const char* algorithm, const char* properties)

    # Message digests.
    EVP_MD* EVP_MD_fetch(void* libctx, const char* algorithm, const char* properties)
    EVP_MD_CTX* EVP_MD_CTX_new()
    void EVP_MD_CTX_free(EVP_MD_CTX* ctx)
    int EVP_DigestInit_ex(EVP_MD_CTX* ctx, const EVP_MD* md, ENGINE* impl)
    int EVP_DigestUpdate(EVP_MD_CTX* ctx, const void* d, size_t cnt)


cdef extern from "openssl/hmac.h" nogil:
    ctypedef struct HMAC_CTX
    HMAC_CTX* HMAC_CTX_new()
    void HMAC_CTX_free(HMAC_CTX* ctx)
    # key=NULL, md=NULL restores the keyed inner/outer state computed by the last keying.
    int HMAC_Init_ex(HMAC_CTX* ctx, const void* key, int key_len, const EVP_MD* md, ENGINE* impl)
    int HMAC_Update(HMAC_CTX* ctx, const unsigned char* data, size_t n)
    int HMAC_Final(HMAC_CTX* ctx, unsigned char* md, unsigned int* n)


cdef extern from "openssl/rand.h" nogil:
    int RAND_bytes(unsigned char* buf, int num)


cdef extern from "openssl/crypto.h" nogil:
    int CRYPTO_memcmp(const void* a, const void* b, size_t n)
    void OPENSSL_cleanse(void* ptr, size_t n)
