# cython: language_level=3
# Session-state record parser for the compiled codec twin (_codec_c.pyx exposes it as
# decode_session_state), header-only: `from tls12fast._codec_state cimport ...`. Pure
# twin: src/tls12fast/_codec_state_py.py.
#
# How this works: the record is the one SessionState.to_bytes writes (version 1; layout in
# its docstring). state_decode() walks it with a _wire.pxd Cursor, but through take() /
# take_vector() below, which check the remaining length first and raise DecodeError
# "session state truncated" (the pure twin's message) instead of the handshake readers'
# one. Fields are located first and become Python objects only once they are known to
# fit; the peer chain is walked twice (check, then build the tuple), so no partly built
# object is ever left behind. Checks happen in the pure twin's order with its messages:
# size, header, version, flags, the vectors, UTF-8 of the server name, trailing bytes,
# then what SessionState.__post_init__ checks that the format does not guarantee.
# The constants are C copies of src/tls12fast/_state_format.py's; _codec_c.pyx compares
# them at import (state_constants_match) and refuses to load if they ever drift.
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.math cimport isfinite

from tls12fast._codec_fields cimport bytes_at
from tls12fast._wire cimport Cursor, cursor, raise_decode


cdef extern from "Python.h":
    # Cython's cpython/float.pxd declares the argument unsigned; CPython's is const char*.
    double unpack_f64_be "PyFloat_Unpack8"(const char* p, int le) except? -1.0


cdef enum:
    STATE_VERSION = 1
    STATE_MAX_SIZE = 1 << 20
    STATE_HEAD_SIZE = 24  # version u8, suite u16, flags u8, created_at f64, 3 x u32
    STATE_MASTER_SECRET_LEN = 48  # RFC 5246 §8.1
    STATE_MAX_SESSION_ID = 32  # RFC 5246 §7.4.1.2
    STATE_MAX_CHAIN = 0xFFFF
    STATE_F_EMS = 1
    STATE_F_SNI = 2
    STATE_F_ALPN = 4


cdef inline bint state_constants_match(object fmt):
    """Whether the C constants above equal the _state_format module's."""
    return (fmt.STATE_VERSION == STATE_VERSION and fmt.MAX_STATE_SIZE == STATE_MAX_SIZE
            and fmt.HEAD_SIZE == STATE_HEAD_SIZE
            and fmt.MASTER_SECRET_LEN == STATE_MASTER_SECRET_LEN
            and fmt.MAX_SESSION_ID == STATE_MAX_SESSION_ID and fmt.MAX_CHAIN == STATE_MAX_CHAIN
            and fmt.F_EMS == STATE_F_EMS and fmt.F_SNI == STATE_F_SNI
            and fmt.F_ALPN == STATE_F_ALPN)


cdef inline size_t take(Cursor* c, size_t n) except? 0:
    """Skip n bytes; return their start offset (never 0 here: the header comes first)."""
    if n > c.len - c.pos:
        raise_decode("session state truncated")
    c.pos += n
    return c.pos - n


cdef inline size_t take_vector(Cursor* c, int width, size_t* start) except? 0:
    """Skip a `width`-byte (1, 2 or 3) length-prefixed vector; its offset goes to start[0].

    Returns the vector's length; DecodeError if the prefix or the vector is cut short.
    """
    cdef const unsigned char* p = c.ptr + take(c, width)
    cdef size_t n = p[0]
    if width >= 2:
        n = (n << 8) | p[1]
    if width == 3:
        n = (n << 8) | p[2]
    start[0] = take(c, n)
    return n


cdef inline unsigned long state_u32(const unsigned char* p) noexcept:
    return (<unsigned long>p[0] << 24) | (<unsigned long>p[1] << 16) | (<unsigned long>p[2] << 8) | p[3]


cdef inline tuple state_decode(const unsigned char* p, size_t n):
    """Parse a whole record at p[0:n] into the 11 SessionState field values, in order."""
    cdef Cursor c = cursor(p, n)
    cdef Cursor chain_at
    cdef size_t ms_at = 0, sid_at = 0, tk_at = 0, alpn_at = 0, at = 0
    cdef size_t ms_len, sid_len, tk_len, alpn_len = 0, length
    cdef unsigned long n_certs, i
    cdef unsigned int flags
    cdef double created
    cdef bint empty_cert = False, bad_name = False
    server_name = None
    if n > STATE_MAX_SIZE:
        raise_decode("session state too large")
    if n <= STATE_HEAD_SIZE:  # the header and at least the first length byte
        raise_decode("session state truncated")
    if p[0] != STATE_VERSION:
        raise_decode("unknown session state version")
    flags = p[3]
    if flags & ~(STATE_F_EMS | STATE_F_SNI | STATE_F_ALPN):
        raise_decode("unknown session state flags")
    created = unpack_f64_be(<const char*>p + 4, 0)  # big-endian IEEE 754, as struct's ">d"
    n_certs = state_u32(p + 20)
    c.pos = STATE_HEAD_SIZE
    ms_len = take_vector(&c, 1, &ms_at)
    sid_len = take_vector(&c, 1, &sid_at)
    tk_len = take_vector(&c, 2, &tk_at)
    if flags & STATE_F_SNI:  # server_name<u16>, UTF-8
        length = take_vector(&c, 2, &at)
        try:
            server_name = PyUnicode_DecodeUTF8(<char*>(p + at), length, NULL)
        except UnicodeDecodeError:
            bad_name = True  # raised below, outside the handler: no chained context
        if bad_name:
            raise_decode("session state server_name is not UTF-8")
    if flags & STATE_F_ALPN:  # alpn_protocol<u8>
        alpn_len = take_vector(&c, 1, &alpn_at)
    # Each certificate costs at least 4 bytes, so a huge count fails before looping long.
    if n_certs > (c.len - c.pos) // 4:
        raise_decode("session state truncated")
    chain_at = c
    for i in range(n_certs):
        if take_vector(&c, 3, &at) == 0:
            empty_cert = True
    if c.pos != c.len:
        raise_decode("trailing bytes after session state")
    if (ms_len != STATE_MASTER_SECRET_LEN or sid_len > STATE_MAX_SESSION_ID
            or n_certs > STATE_MAX_CHAIN or not isfinite(created)
            or (server_name is not None and not server_name)
            or (flags & STATE_F_ALPN and alpn_len == 0) or empty_cert):
        raise_decode("session state field out of range")
    chain = PyTuple_New(n_certs)
    for i in range(n_certs):
        length = take_vector(&chain_at, 3, &at)
        cert = bytes_at(&c, at, length)
        Py_INCREF(cert)
        PyTuple_SET_ITEM(chain, i, cert)
    return ((p[1] << 8) | p[2], bytes_at(&c, ms_at, ms_len), (flags & STATE_F_EMS) != 0,
            server_name, bytes_at(&c, alpn_at, alpn_len) if flags & STATE_F_ALPN else None,
            chain, created, state_u32(p + 12), bytes_at(&c, sid_at, sid_len),
            bytes_at(&c, tk_at, tk_len), state_u32(p + 16))
