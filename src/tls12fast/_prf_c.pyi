# Type stubs for the compiled PRF twin (ext/tls12fast/_prf_c.pyx); the pure twin
# src/tls12fast/_prf_py.py has the same public names, signatures and exceptions.
from typing_extensions import Buffer

__all__ = ["prf", "p_hash", "KeyedPrf"]

def p_hash(hash: str, secret: Buffer, seed: Buffer, length: int) -> bytes: ...
def prf(
    secret: Buffer, label: str | Buffer, seed: Buffer, length: int, hash: str = "sha256"
) -> bytes: ...

class KeyedPrf:
    def __init__(self, secret: Buffer, hash: str = "sha256") -> None: ...
    def __call__(self, label: str | Buffer, seed: Buffer, length: int) -> bytes: ...
