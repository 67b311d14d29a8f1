# Type stubs for the compiled record-layer twin (ext/tls12fast/_record_c.pyx); the pure
# twin src/tls12fast/_record_py.py has the same public names, signatures and exceptions.
from typing import Protocol

from typing_extensions import Buffer

__all__ = [
    "MAX_PLAINTEXT", "MAX_CIPHERTEXT", "RECORD_HEADER_LEN", "RecordReader", "RecordWriter",
    "NullProtection", "new_protection",
]

MAX_PLAINTEXT: int
MAX_CIPHERTEXT: int
RECORD_HEADER_LEN: int

class _Protection:
    """Protection for one direction (RFC 5246 §6.2.3): seal/open and the sequence number."""

    @property
    def seq(self) -> int: ...
    @seq.setter
    def seq(self, value: int) -> None: ...
    def seal(self, content_type: int, plaintext: Buffer) -> bytes: ...
    def open(self, content_type: int, fragment: Buffer) -> bytes: ...

class NullProtection(_Protection):
    """Epoch-0 protection: seal/open are the identity (TLS_NULL_WITH_NULL_NULL)."""

class _Opener(Protocol):
    def open(self, content_type: int, fragment: bytes) -> bytes: ...

class _Sealer(Protocol):
    def seal(self, content_type: int, plaintext: bytes) -> Buffer: ...

def new_protection(
    cipher: str,
    key: Buffer,
    iv: Buffer,
    mac: str | None = None,
    mac_key: Buffer = b"",
    encrypt_then_mac: bool = False,
) -> _Protection: ...

class RecordReader:
    protection: _Opener
    legacy_version_ok: bool
    def __init__(self, max_buffer: int = 65536) -> None: ...
    def feed(self, data: Buffer) -> None: ...
    def buffered(self) -> int: ...
    def next_record(self) -> tuple[int, bytes] | None: ...

class RecordWriter:
    protection: _Sealer
    def __init__(self, max_fragment: int = 16384) -> None: ...
    @property
    def max_fragment(self) -> int: ...
    @max_fragment.setter
    def max_fragment(self, value: int) -> None: ...
    def write(self, content_type: int, data: Buffer) -> None: ...
    def pending(self) -> int: ...
    def take(self) -> bytes: ...
