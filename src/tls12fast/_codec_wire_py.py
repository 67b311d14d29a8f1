# Wire readers and writers for the pure-Python codec twin (_codec_py.py); the compiled
# twin's counterparts are ext/tls12fast/_wire.pxd and _codec_fields.pxd.
#
# How this works: Reader is a cursor over buf[pos:end] of one (sub)vector. Every read
# first checks that enough bytes remain and raises DecodeError (alert decode_error,
# RFC 5246 §7.2.2) on a shortfall; sub() returns a Reader over exactly one length-prefixed
# vector (RFC 5246 §4.3), so a vector can never read past its own end; vec() and the list
# readers enforce the RFC minimum lengths. The writers append to one bytearray: w_open()
# writes a zero length placeholder and w_close() patches it once the contents are written
# (rustls' LengthPrefixedBuffer); an int out of range, a non-bytes field or a vector too
# long for its prefix is LocalProtocolError. Integers are read with struct.unpack_from,
# never by slicing bytes in loops.
#
# Checks, messages and exception classes must match the compiled twin's.
from __future__ import annotations

import struct

from .errors import DecodeError, LocalProtocolError

__all__ = [
    "Reader", "only_vector", "expect_empty", "check_uint", "check_data", "w_open", "w_close",
    "w_u8", "w_u16", "w_opaque", "w_list",
]

_U16 = struct.Struct(">H")


# --------------------------------------------------------------------------- reading

class Reader:
    """Bounds-checked cursor over buf[pos:end]; every shortfall raises DecodeError."""

    __slots__ = ("buf", "pos", "end")

    def __init__(self, buf: bytes, pos: int, end: int):
        self.buf, self.pos, self.end = buf, pos, end

    def need(self, n: int) -> int:
        pos = self.pos
        if n > self.end - pos:
            raise DecodeError("truncated handshake data")
        self.pos = pos + n
        return pos

    def u8(self) -> int:
        return self.buf[self.need(1)]

    def u16(self) -> int:
        return _U16.unpack_from(self.buf, self.need(2))[0]

    def u24(self) -> int:
        p = self.need(3)
        b = self.buf
        return (b[p] << 16) | (b[p + 1] << 8) | b[p + 2]

    def take(self, n: int) -> bytes:
        p = self.need(n)
        return self.buf[p : p + n]

    def sub(self, width: int) -> Reader:
        """Read a `width`-byte length prefix and return a reader over that vector."""
        n = self.u8() if width == 1 else self.u16() if width == 2 else self.u24()
        p = self.need(n)
        return Reader(self.buf, p, p + n)

    def vec(self, width: int, minimum: int = 0) -> bytes:
        """Read a length-prefixed opaque vector of at least `minimum` bytes."""
        r = self.sub(width)
        if r.end - r.pos < minimum:
            raise DecodeError("empty vector where at least one byte is required")
        return self.buf[r.pos : r.end]

    def rest(self) -> bytes:
        p, self.pos = self.pos, self.end
        return self.buf[p : self.end]

    def left(self) -> int:
        return self.end - self.pos

    def done(self) -> None:
        if self.pos != self.end:
            raise DecodeError("trailing bytes")

    def u16_list(self) -> list:
        """The rest as a non-empty list of u16 (RFC vectors <2..2^16-2>)."""
        n = self.end - self.pos
        if n == 0 or n & 1:
            raise DecodeError("empty or odd-length list of 16-bit values")
        vals = list(struct.unpack_from(f">{n >> 1}H", self.buf, self.pos))
        self.pos = self.end
        return vals

    def u8_list(self) -> list:
        """The rest as a non-empty list of u8 (RFC vectors <1..2^8-1>)."""
        if self.pos == self.end:
            raise DecodeError("empty list")
        return list(self.rest())


def only_vector(r: Reader, width: int) -> Reader:
    """The rest of `r` must be exactly one `width`-prefixed vector; returns a reader over it."""
    v = r.sub(width)
    r.done()
    return v


def expect_empty(r: Reader) -> None:
    if r.pos != r.end:
        raise DecodeError("extension body must be empty")


# --------------------------------------------------------------------------- writing

def check_uint(v, maxv: int) -> int:
    if not isinstance(v, int) or v < 0 or v > maxv:
        raise LocalProtocolError("integer field out of range")
    return v


def check_data(v):
    if not isinstance(v, (bytes, bytearray)):
        raise LocalProtocolError("bytes field must be bytes or bytearray")
    return v


def w_open(out: bytearray, width: int) -> int:
    pos = len(out)
    out += bytes(width)
    return pos


def w_close(out: bytearray, pos: int, width: int) -> None:
    n = len(out) - pos - width
    if n >> (8 * width):
        raise LocalProtocolError("vector too long for its length prefix")
    out[pos : pos + width] = n.to_bytes(width, "big")


def w_u8(out: bytearray, v) -> None:
    out.append(check_uint(v, 0xFF))


def w_u16(out: bytearray, v) -> None:
    out += _U16.pack(check_uint(v, 0xFFFF))


def w_opaque(out: bytearray, width: int, v) -> None:
    pos = w_open(out, width)
    out += check_data(v)
    w_close(out, pos, width)


def w_list(out: bytearray, width: int, put, items) -> None:
    pos = w_open(out, width)
    for item in items:
        put(out, item)
    w_close(out, pos, width)
