# Type stubs for the compiled handshake-codec twin (ext/tls12fast/_codec_c.pyx); the pure
# twin src/tls12fast/_codec_py.py has the same public names, signatures and exceptions.
from typing_extensions import Buffer, TypeAlias

from .messages import (
    Certificate, CertificateRequest, CertificateVerify, ClientHello, ClientKeyExchange, Finished,
    HelloRequest, NewSessionTicket, ServerHello, ServerHelloDone, ServerKeyExchangeDHE,
    ServerKeyExchangeECDHE,
)

__all__ = [
    "MAX_HANDSHAKE_SIZE", "HandshakeJoiner", "decode_handshake", "encode_handshake",
    "decode_session_state",
]

_HandshakeMessage: TypeAlias = (
    HelloRequest | ClientHello | ServerHello | NewSessionTicket | Certificate
    | ServerKeyExchangeECDHE | ServerKeyExchangeDHE | CertificateRequest | ServerHelloDone
    | CertificateVerify | ClientKeyExchange | Finished
)

MAX_HANDSHAKE_SIZE: int

class HandshakeJoiner:
    def __init__(self, max_message_size: int = 65536) -> None: ...
    def feed(self, fragment: Buffer) -> None: ...
    def pop(self) -> tuple[int, bytes, bytes] | None: ...
    def pending(self) -> bool: ...

def decode_handshake(msg_type: int, body: Buffer, kx: str | None = None) -> _HandshakeMessage: ...
def encode_handshake(msg: _HandshakeMessage) -> bytes: ...
def decode_session_state(
    data: Buffer,
) -> tuple[int, bytes, bool, str | None, bytes | None, tuple[bytes, ...], float, int, bytes,
           bytes, int]: ...
