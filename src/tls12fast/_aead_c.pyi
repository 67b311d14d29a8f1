# Type stubs for the compiled AEAD twin (ext/tls12fast/_aead_c.pyx); the pure twin
# src/tls12fast/_aead_py.py has the same public names, signatures and exceptions.
__all__ = ["AeadKey", "NONCE_LEN", "TAG_LEN", "MAX_INPUT"]

NONCE_LEN: int
TAG_LEN: int
MAX_INPUT: int

class AeadKey:
    def __init__(self, key: bytes) -> None: ...
    def seal(self, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes: ...
    def open(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes | None: ...
