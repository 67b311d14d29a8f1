# Type stubs for the compiled PRF twin (ext/tls12fast/_prf_c.pyx); the pure twin
# src/tls12fast/_prf_py.py has the same public names, signatures and exceptions.
from typing_extensions import Buffer

__all__ = ["prf", "p_hash"]

def p_hash(hash: str, secret: Buffer, seed: Buffer, length: int) -> bytes: ...
def prf(
    secret: Buffer, label: str | Buffer, seed: Buffer, length: int, hash: str = "sha256"
) -> bytes: ...
