# Pure-Python twin of the TLS 1.2 record layer: deframer, fragmenter, record protection.
#
# How this works (the compiled twin ext/tls12fast/_record_c.pyx mirrors it name for name):
# - RecordReader keeps ONE bytearray plus a head offset. feed() compacts once and appends;
#   it refuses input that would leave more than `max_buffer` bytes unconsumed
#   (LocalProtocolError: the caller drains with next_record() between feeds). next_record()
#   checks the 5-byte header as soon as it is buffered (RFC 5246 §6.2.1: type 20..23,
#   version 0x0303 or 0x0300..0x0303 for a first ClientHello record, length ≤ 2^14 for
#   plaintext / 2^14+2048 for ciphertext, §6.2.3), so a bad header raises before its body
#   is waited for; a complete record is consumed, then opened by `protection`.
#   Header errors leave the buffer untouched; an error from open() follows consumption.
# - RecordWriter splits data into ≤ max_fragment records (§6.2.1), seals each with
#   `protection` and appends header + fragment to one bytearray that take() drains.
# - Protection objects own one direction's keys and 64-bit sequence number (§6.1), which
#   never wraps (InternalError instead). AEAD (§6.2.3.3): AAD = seq ‖ type ‖ 0x0303 ‖
#   plaintext length; AES-GCM nonce = 4-byte salt ‖ 8-byte explicit nonce, and we send the
#   sequence number as the explicit nonce (RFC 5288 §3); ChaCha20-Poly1305 nonce = IV XOR
#   padded sequence number, no explicit nonce (RFC 7905 §2). CBC (§6.2.3.2): a random
#   16-byte IV per record, then either MAC-then-encrypt or encrypt-then-MAC (RFC 7366 §3:
#   MAC over seq ‖ header(length of IV ‖ ciphertext) ‖ IV ‖ ciphertext, checked first).
# - Lucky 13 (MAC-then-encrypt open), best effort in Python: the padding bytes are compared
#   over the whole 256-byte window with no early exit, a bad padding is treated as a zero
#   length pad (§6.2.3.2), the HMAC input is then topped up with dummy hash blocks so the
#   number of compression-function calls does not depend on the padding length, and the
#   tag is compared with hmac.compare_digest. Interpreter timing is not constant-time; the
#   compiled twin does the same equalisation with masks in C.
from __future__ import annotations

import hashlib
import hmac
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from .errors import (
    BadRecordMac,
    ConfigurationError,
    InternalError,
    LocalProtocolError,
    ProtocolVersionError,
    RecordOverflow,
    UnexpectedMessage,
)

__all__ = [
    "MAX_PLAINTEXT",
    "MAX_CIPHERTEXT",
    "RECORD_HEADER_LEN",
    "RecordReader",
    "RecordWriter",
    "NullProtection",
    "new_protection",
]

MAX_PLAINTEXT = 16384
MAX_CIPHERTEXT = 16384 + 2048
RECORD_HEADER_LEN = 5

_SEQ_LIMIT = (1 << 64) - 1  # a record at this number would make the counter wrap
_AAD = struct.Struct(">QBHH")  # seq, type, version, length (RFC 5246 §6.2.3.3)
_HEADER = struct.Struct(">BHH")
_TLS12 = 0x0303
_TAG_LEN = 16
_CBC_BLOCK = 16
_AEAD_KEYS = {"AES-128-GCM": 16, "AES-256-GCM": 32, "CHACHA20-POLY1305": 32}
_CBC_KEYS = {"AES-128-CBC": 16, "AES-256-CBC": 32}
# name -> (digest length, hash block size, length-field size of the MD padding)
_MACS = {"sha1": (20, 64, 8), "sha256": (32, 64, 8), "sha384": (48, 128, 16)}


class _Protection:
    """Sequence number (RFC 5246 §6.1) and the argument checks of seal/open."""

    __slots__ = ("_seq",)

    def __init__(self) -> None:
        self._seq = 0

    @property
    def seq(self) -> int:
        """The sequence number the next record will use (settable, 0..2^64-1)."""
        return self._seq

    @seq.setter
    def seq(self, value: int) -> None:
        if not 0 <= value <= _SEQ_LIMIT:
            raise ConfigurationError("sequence number out of range")
        self._seq = value

    def _next_seq(self, content_type: int) -> int:
        if not 0 <= content_type <= 255:
            raise LocalProtocolError("content type out of range")
        seq = self._seq
        if seq >= _SEQ_LIMIT:
            raise InternalError("sequence number would wrap; the connection must be closed")
        return seq

    def seal(self, content_type: int, plaintext) -> bytes:
        """Protect one record's plaintext; returns the fragment (no header)."""
        seq = self._next_seq(content_type)
        if len(plaintext) > MAX_PLAINTEXT:
            raise LocalProtocolError("record plaintext longer than 2^14")
        out = self._seal(seq, content_type, plaintext)
        self._seq = seq + 1
        return out

    def open(self, content_type: int, fragment) -> bytes:
        """Verify and decrypt one record fragment; returns the plaintext."""
        if len(fragment) > MAX_CIPHERTEXT:
            raise RecordOverflow("record too long")
        seq = self._next_seq(content_type)
        out = self._open(seq, content_type, memoryview(fragment))
        self._seq = seq + 1
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__} seq={self._seq}>"


class NullProtection(_Protection):
    """Epoch-0 protection: seal/open are the identity (TLS_NULL_WITH_NULL_NULL)."""

    __slots__ = ()

    def _seal(self, seq: int, content_type: int, plaintext) -> bytes:
        return bytes(plaintext)

    def _open(self, seq: int, content_type: int, fragment: memoryview) -> bytes:
        return bytes(fragment)


class _GcmProtection(_Protection):
    __slots__ = ("_aead", "_salt")

    def __init__(self, key: bytes, iv: bytes) -> None:
        super().__init__()
        self._aead = AESGCM(key)
        self._salt = bytes(iv)

    def _seal(self, seq: int, content_type: int, plaintext) -> bytes:
        explicit = seq.to_bytes(8, "big")  # RFC 5288 §3: we send the sequence number
        aad = _AAD.pack(seq, content_type, _TLS12, len(plaintext))
        return explicit + self._aead.encrypt(self._salt + explicit, plaintext, aad)

    def _open(self, seq: int, content_type: int, fragment: memoryview) -> bytes:
        n = len(fragment) - 8 - _TAG_LEN
        if n < 0:
            raise BadRecordMac("record too short")
        aad = _AAD.pack(seq, content_type, _TLS12, n)
        try:
            return self._aead.decrypt(self._salt + bytes(fragment[:8]), fragment[8:], aad)
        except InvalidTag:
            raise BadRecordMac("bad record MAC") from None


class _ChachaProtection(_Protection):
    __slots__ = ("_aead", "_iv")

    def __init__(self, key: bytes, iv: bytes) -> None:
        super().__init__()
        self._aead = ChaCha20Poly1305(key)
        self._iv = int.from_bytes(iv, "big")

    def _seal(self, seq: int, content_type: int, plaintext) -> bytes:
        aad = _AAD.pack(seq, content_type, _TLS12, len(plaintext))
        return self._aead.encrypt((self._iv ^ seq).to_bytes(12, "big"), plaintext, aad)

    def _open(self, seq: int, content_type: int, fragment: memoryview) -> bytes:
        n = len(fragment) - _TAG_LEN
        if n < 0:
            raise BadRecordMac("record too short")
        aad = _AAD.pack(seq, content_type, _TLS12, n)
        try:
            return self._aead.decrypt((self._iv ^ seq).to_bytes(12, "big"), fragment, aad)
        except InvalidTag:
            raise BadRecordMac("bad record MAC") from None


class _CbcProtection(_Protection):
    __slots__ = ("_cipher", "_mac", "_mac_len", "_hash_block", "_length_field", "_etm", "_hash")

    def __init__(self, key: bytes, mac: str, mac_key: bytes, etm: bool) -> None:
        super().__init__()
        self._cipher = algorithms.AES(key)
        self._mac_len, self._hash_block, self._length_field = _MACS[mac]
        self._hash = mac
        self._mac = hmac.new(mac_key, digestmod=mac)  # keyed template, copied per record
        self._etm = etm

    def _hmac(self, *parts) -> bytes:
        h = self._mac.copy()
        for part in parts:
            h.update(part)
        return h.digest()

    def _seal(self, seq: int, content_type: int, plaintext) -> bytes:
        n = len(plaintext)
        iv = os.urandom(_CBC_BLOCK)
        enc = Cipher(self._cipher, modes.CBC(iv)).encryptor()
        if self._etm:
            pad = _CBC_BLOCK - 1 - n % _CBC_BLOCK
            ct = enc.update(bytes(plaintext) + bytes((pad,)) * (pad + 1)) + enc.finalize()
            body = iv + ct
            tag = self._hmac(_AAD.pack(seq, content_type, _TLS12, len(body)), body)
            return body + tag
        tag = self._hmac(_AAD.pack(seq, content_type, _TLS12, n), plaintext)
        pad = _CBC_BLOCK - 1 - (n + self._mac_len) % _CBC_BLOCK
        ct = enc.update(bytes(plaintext) + tag + bytes((pad,)) * (pad + 1)) + enc.finalize()
        return iv + ct

    def _open(self, seq: int, content_type: int, view: memoryview) -> bytes:
        mac_len = self._mac_len
        if self._etm:
            body_len = len(view) - mac_len
            if body_len < 2 * _CBC_BLOCK or body_len % _CBC_BLOCK:
                raise BadRecordMac("bad record length")
            body = view[:body_len]
            expected = self._hmac(_AAD.pack(seq, content_type, _TLS12, body_len), body)
            if not hmac.compare_digest(expected, view[body_len:]):
                raise BadRecordMac("bad record MAC")
            dec = Cipher(self._cipher, modes.CBC(body[:_CBC_BLOCK])).decryptor()
            pt = dec.update(body[_CBC_BLOCK:]) + dec.finalize()
            # The MAC is verified, so the padding is public: a plain check is fine.
            pad = pt[-1]
            if pad + 1 > len(pt) or pt[-1 - pad :] != bytes((pad,)) * (pad + 1):
                raise BadRecordMac("bad record padding")
            return pt[: len(pt) - pad - 1]
        return self._open_mte(seq, content_type, view)

    def _open_mte(self, seq: int, content_type: int, view: memoryview) -> bytes:
        """MAC-then-encrypt open with the Lucky 13 equalisation described at the top."""
        mac_len = self._mac_len
        ct_len = len(view) - _CBC_BLOCK
        if ct_len < mac_len + 1 or ct_len % _CBC_BLOCK:
            raise BadRecordMac("bad record length")
        dec = Cipher(self._cipher, modes.CBC(view[:_CBC_BLOCK])).decryptor()
        pt = dec.update(view[_CBC_BLOCK:]) + dec.finalize()
        n = len(pt)
        pad = pt[-1]
        good = int(pad + 1 + mac_len <= n)
        # Compare every byte of the largest possible padding window, without early exit.
        diff = 0
        for i in range(min(256, n)):
            diff |= (pt[n - 1 - i] ^ pad) * int(i <= pad)
        good &= int(diff == 0)
        strip = (pad + 1) * good  # a bad padding counts as a zero-length pad
        data_len = n - mac_len - strip
        data_len = data_len * int(data_len >= 0)
        pview = memoryview(pt)
        expected = self._hmac(_AAD.pack(seq, content_type, _TLS12, data_len), pview[:data_len])
        # Top up with dummy compression blocks: hash as many blocks as the longest input.
        bs, lf = self._hash_block, self._length_field
        blocks = (13 + n - mac_len + lf + bs) // bs - (13 + data_len + lf + bs) // bs
        hashlib.new(self._hash, bytes(bs * blocks))
        received = pview[data_len : data_len + mac_len]
        ok = hmac.compare_digest(expected, received) & bool(good)
        if not ok:
            raise BadRecordMac("bad record MAC")
        return bytes(pview[:data_len])


def new_protection(
    cipher: str,
    key: bytes,
    iv: bytes,
    mac: str | None = None,
    mac_key: bytes = b"",
    encrypt_then_mac: bool = False,
):
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
            return _ChachaProtection(key, iv)
        if len(iv) != 4:
            raise ConfigurationError("AES-GCM needs a 4-byte salt")
        return _GcmProtection(key, iv)
    if cipher in _CBC_KEYS:
        if mac not in _MACS:
            raise ConfigurationError("CBC ciphers need mac='sha1', 'sha256' or 'sha384'")
        if len(key) != _CBC_KEYS[cipher]:
            raise ConfigurationError(f"{cipher} needs a {_CBC_KEYS[cipher]}-byte key")
        if len(mac_key) != _MACS[mac][0]:
            raise ConfigurationError(f"HMAC-{mac} needs a {_MACS[mac][0]}-byte key")
        return _CbcProtection(key, mac, bytes(mac_key), bool(encrypt_then_mac))
    raise ConfigurationError(f"unknown record cipher {cipher!r}")


class RecordReader:
    """Deframes and opens records from a byte stream (RFC 5246 §6.2).

    Attributes:
        protection: the read-direction protection (starts as NullProtection()).
        legacy_version_ok: accept record versions 0x0300..0x0303 (first ClientHello).
    """

    __slots__ = ("_buf", "_head", "_max_buffer", "protection", "legacy_version_ok")

    def __init__(self, max_buffer: int = 65536):
        if max_buffer < RECORD_HEADER_LEN + MAX_CIPHERTEXT:
            raise ConfigurationError("max_buffer must hold at least one maximal record")
        self._buf = bytearray()
        self._head = 0
        self._max_buffer = max_buffer
        self.protection = NullProtection()
        self.legacy_version_ok = False

    def feed(self, data) -> None:
        """Append received bytes.

        Raises:
            LocalProtocolError: more than max_buffer bytes would be left unconsumed.
        """
        if len(self._buf) - self._head + len(data) > self._max_buffer:
            raise LocalProtocolError("record input buffer full; call next_record() first")
        if self._head:
            del self._buf[: self._head]
            self._head = 0
        self._buf += data

    def buffered(self) -> int:
        """Number of received bytes not yet returned as records."""
        return len(self._buf) - self._head

    def next_record(self):
        """Return (content_type, plaintext) of the next complete record, or None.

        Raises:
            UnexpectedMessage, ProtocolVersionError, RecordOverflow: bad header or content.
            BadRecordMac: the record failed authentication.
        """
        buf, head = self._buf, self._head
        if len(buf) - head < RECORD_HEADER_LEN:
            return None
        content_type, version, length = _HEADER.unpack_from(buf, head)
        if not 20 <= content_type <= 23:
            raise UnexpectedMessage("unknown record content type")
        if version != _TLS12 and not (self.legacy_version_ok and 0x0300 <= version <= _TLS12):
            raise ProtocolVersionError("unsupported record version")
        protection = self.protection
        is_null = type(protection) is NullProtection
        if length > (MAX_PLAINTEXT if is_null else MAX_CIPHERTEXT):
            raise RecordOverflow("record too long")
        end = head + RECORD_HEADER_LEN + length
        if len(buf) < end:
            return None
        fragment = memoryview(buf)[head + RECORD_HEADER_LEN : end]
        self._head = end
        try:
            plaintext = protection.open(content_type, fragment)
        finally:
            fragment.release()  # let feed() resize the bytearray again
        if len(plaintext) > MAX_PLAINTEXT:
            raise RecordOverflow("decrypted record too long")
        if not plaintext and content_type != 23:
            raise UnexpectedMessage("empty handshake, alert or change_cipher_spec record")
        return content_type, plaintext


class RecordWriter:
    """Fragments and seals outgoing data into one output buffer (RFC 5246 §6.2.1).

    Attributes:
        protection: the write-direction protection (starts as NullProtection()).
        max_fragment: largest plaintext per record, 1..16384.
    """

    __slots__ = ("_out", "_max_fragment", "protection")

    def __init__(self, max_fragment: int = MAX_PLAINTEXT):
        self._out = bytearray()
        self.max_fragment = max_fragment
        self.protection = NullProtection()

    @property
    def max_fragment(self) -> int:
        return self._max_fragment

    @max_fragment.setter
    def max_fragment(self, value: int) -> None:
        if not 1 <= value <= MAX_PLAINTEXT:
            raise ConfigurationError("max_fragment must be in 1..16384")
        self._max_fragment = value

    def write(self, content_type: int, data) -> None:
        """Fragment, seal and buffer `data` as records of `content_type`.

        Raises:
            LocalProtocolError: content_type is not 20..23.
        """
        if not 20 <= content_type <= 23:
            raise LocalProtocolError("record content type must be 20..23")
        view = memoryview(data).cast("B")
        total = len(view)
        if total == 0 and content_type != 23:
            return
        out, step, protection = self._out, self._max_fragment, self.protection
        pos = 0
        while True:
            fragment = protection.seal(content_type, view[pos : pos + step])
            out += _HEADER.pack(content_type, _TLS12, len(fragment))
            out += fragment
            pos += step
            if pos >= total:
                break

    def pending(self) -> int:
        """Number of bytes waiting in the output buffer."""
        return len(self._out)

    def take(self) -> bytes:
        """Return and clear the buffered records."""
        out = bytes(self._out)
        self._out.clear()
        return out
