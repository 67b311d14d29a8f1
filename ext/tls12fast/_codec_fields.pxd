# cython: language_level=3
# Typed TLS fields for the compiled codec twin (_codec_c.pyx) on top of the _wire.pxd
# Cursor and Writer, header-only (inline functions, no module state, no runtime import):
# `from tls12fast._codec_fields cimport ...`.
#
# How this works: readers turn a length-checked vector into the Python value the
# messages.py classes hold (bytes, or a list of ints for RFC 5246 §4.3 vectors of
# uint8/uint16) and enforce the RFC minimum lengths; writers check that a field is an
# int in range or bytes/bytearray before writing it (LocalProtocolError otherwise) and
# write length-prefixed vectors. Checks, messages and exception classes match the pure
# twin's Reader and writer helpers (src/tls12fast/_codec_wire_py.py).
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_Check, PyByteArray_GET_SIZE
from cpython.bytes cimport (
    PyBytes_AS_STRING, PyBytes_Check, PyBytes_FromStringAndSize, PyBytes_GET_SIZE,
)
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_Check

from tls12fast._wire cimport (
    Cursor, Writer, expect_end, raise_decode, raise_local, read_vector, sub, w_bytes, w_close,
    w_open, w_u16,
)


# --------------------------------------------------------------------------- reading

cdef inline bytes bytes_at(Cursor* c, size_t start, size_t n):
    return PyBytes_FromStringAndSize(<const char*>c.ptr + start, n)


cdef inline bytes opaque(Cursor* c, int width, size_t minimum):
    """A length-prefixed opaque vector of at least `minimum` bytes."""
    cdef size_t s
    cdef Py_ssize_t n = read_vector(c, width, &s)
    if <size_t>n < minimum:
        raise_decode("empty vector where at least one byte is required")
    return bytes_at(c, s, n)


cdef inline list u16_list(const unsigned char* p, size_t n):
    """A non-empty list of u16 (RFC vectors <2..2^16-2>)."""
    cdef size_t i
    if n == 0 or n & 1:
        raise_decode("empty or odd-length list of 16-bit values")
    out = []
    for i in range(0, n, 2):
        out.append((p[i] << 8) | p[i + 1])
    return out


cdef inline list u8_list(const unsigned char* p, size_t n):
    """A non-empty list of u8 (RFC vectors <1..2^8-1>)."""
    cdef size_t i
    if n == 0:
        raise_decode("empty list")
    out = []
    for i in range(n):
        out.append(p[i])
    return out


cdef inline Cursor only_vector(Cursor* d, int width) except *:
    """The rest of `d` must be exactly one `width`-prefixed vector; returns a Cursor over it."""
    cdef size_t s
    cdef Py_ssize_t n = read_vector(d, width, &s)
    expect_end(d)
    return sub(d, s, n)


cdef inline int expect_empty(Cursor* d) except -1:
    if d.len:
        raise_decode("extension body must be empty")
    return 0


# --------------------------------------------------------------------------- writing

cdef inline long long check_uint(object v, long long maxv) except -1:
    cdef int overflow = 0
    cdef long long x = -1
    if PyLong_Check(v):
        x = PyLong_AsLongLongAndOverflow(v, &overflow)
    if overflow or x < 0 or x > maxv:
        raise_local("integer field out of range")
    return x


cdef inline Py_ssize_t data_len(object v) except -1:
    if PyBytes_Check(v):
        return PyBytes_GET_SIZE(v)
    if PyByteArray_Check(v):
        return PyByteArray_GET_SIZE(v)
    raise_local("bytes field must be bytes or bytearray")


cdef inline int w_data(Writer* w, object v) except -1:
    cdef Py_ssize_t n = data_len(v)
    if PyBytes_Check(v):
        return w_bytes(w, <const unsigned char*>PyBytes_AS_STRING(v), n)
    return w_bytes(w, <const unsigned char*>PyByteArray_AS_STRING(v), n)


cdef inline int w_opaque(Writer* w, int width, object v) except -1:
    cdef Py_ssize_t pos = w_open(w, width)
    w_data(w, v)
    return w_close(w, pos, width)


cdef inline int w_u16_list(Writer* w, int width, object items) except -1:
    cdef Py_ssize_t pos = w_open(w, width)
    for v in items:
        w_u16(w, check_uint(v, 0xFFFF))
    return w_close(w, pos, width)
