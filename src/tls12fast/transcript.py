# The handshake transcript (RFC 5246 §7.4.9 handshake_messages).
#
# How this works (rustls hash_hs.rs): until ServerHello fixes the cipher suite, the PRF
# hash is unknown, so raw messages (with their 4-byte headers, HelloRequest excluded) are
# buffered; start_hash() then creates the running hash and replays the buffer. The raw
# buffer is also kept while a CertificateVerify may still be needed, because a TLS 1.2
# CertificateVerify signs the messages themselves with the *signature scheme's* hash
# (RFC 5246 §7.4.8), which may differ from the PRF hash; drop_buffer() releases it.
# current_hash() is non-destructive (hash.copy()): the session hash for EMS (RFC 7627 §3)
# and both Finished messages are taken at different points of one running hash.
from __future__ import annotations

import hashlib

__all__ = ["Transcript"]

# The PRF hashes' constructors, called directly (hashlib.new() goes through a Python
# wrapper that looks the name up on every call).
_HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384}


class Transcript:
    """Running hash of the handshake messages, with an optional raw buffer."""

    __slots__ = ("_buffer", "_hash", "_keep")

    def __init__(self) -> None:
        self._buffer: list[bytes] | None = []
        self._hash = None
        self._keep = True

    def start_hash(self, name: str) -> None:
        """Fix the PRF hash ("sha256"/"sha384") and hash everything buffered so far."""
        new = _HASHES.get(name)
        self._hash = running = new() if new is not None else hashlib.new(name)
        buffer = self._buffer
        if buffer:
            for raw in buffer:
                running.update(raw)
        if not self._keep:
            self._buffer = None

    def add(self, raw) -> None:
        """Append one encoded handshake message (header included)."""
        if self._hash is not None:
            self._hash.update(raw)
        if self._buffer is not None:
            self._buffer.append(bytes(raw))

    def current_hash(self) -> bytes:
        """Hash of every message added so far (start_hash() must have been called)."""
        return self._hash.copy().digest()

    def messages(self) -> bytes:
        """All messages added so far, concatenated (for CertificateVerify)."""
        return b"".join(self._buffer or ())

    def drop_buffer(self) -> None:
        """Stop keeping raw messages (no CertificateVerify will be signed or checked)."""
        self._keep = False
        if self._hash is not None:
            self._buffer = None
