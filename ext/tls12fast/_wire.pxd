# cython: language_level=3
# Length-checked wire readers and a growable writer, header-only (inline functions, no
# module state, no runtime import): `from tls12fast._wire cimport ...`.
#
# How this works: a Cursor is (ptr, len, pos) over one vector. Every read first checks
# that enough bytes remain (n > len - pos never underflows because pos <= len is kept
# invariant) and raises tls12fast.errors.DecodeError on a shortfall, so compiled
# parsers can run with boundscheck/wraparound off on attacker-controlled input. TLS
# vectors (RFC 5246 §4.3) are read with read_vector(), which returns the length and the
# start offset; sub() gives a Cursor over exactly that vector, so a vector can never
# read past its own end. All readers return non-negative values or -1 with an exception
# set (`except -1`), so callers test the return value, not PyErr_Occurred().
#
# The Writer is a malloc'd byte buffer with u8/u16/u24/u32 writers and open()/close()
# for length prefixes patched after the contents are written; a vector that does not
# fit its prefix raises LocalProtocolError. The owner must call w_free() (try/finally).
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memset


cdef struct Cursor:
    const unsigned char* ptr
    size_t len
    size_t pos


cdef struct Writer:
    unsigned char* buf
    size_t len
    size_t cap


# ---------------------------------------------------------------------------- reading

cdef inline int raise_decode(str message) except -1:
    from tls12fast.errors import DecodeError
    raise DecodeError(message)


cdef inline Cursor cursor(const unsigned char* ptr, size_t n) noexcept:
    cdef Cursor c
    c.ptr = ptr
    c.len = n
    c.pos = 0
    return c


cdef inline Cursor sub(Cursor* c, size_t start, size_t n) noexcept:
    """Cursor over c[start:start+n]; the caller got (start, n) from read_vector()."""
    return cursor(c.ptr + start, n)


cdef inline Py_ssize_t skip(Cursor* c, size_t n) except -1:
    """Skip n bytes; return their start offset."""
    if n > c.len - c.pos:
        raise_decode("truncated handshake data")
    c.pos += n
    return <Py_ssize_t>(c.pos - n)


cdef inline int read_u8(Cursor* c) except -1:
    if c.pos >= c.len:
        raise_decode("truncated handshake data")
    c.pos += 1
    return c.ptr[c.pos - 1]


cdef inline int read_u16(Cursor* c) except -1:
    cdef const unsigned char* p
    if 2 > c.len - c.pos:
        raise_decode("truncated handshake data")
    p = c.ptr + c.pos
    c.pos += 2
    return (p[0] << 8) | p[1]


cdef inline long read_u24(Cursor* c) except -1:
    cdef const unsigned char* p
    if 3 > c.len - c.pos:
        raise_decode("truncated handshake data")
    p = c.ptr + c.pos
    c.pos += 3
    return (<long>p[0] << 16) | (<long>p[1] << 8) | p[2]


cdef inline long long read_u32(Cursor* c) except -1:
    cdef const unsigned char* p
    if 4 > c.len - c.pos:
        raise_decode("truncated handshake data")
    p = c.ptr + c.pos
    c.pos += 4
    return (<long long>p[0] << 24) | (<long long>p[1] << 16) | (<long long>p[2] << 8) | p[3]


cdef inline Py_ssize_t read_vector(Cursor* c, int width, size_t* start) except -1:
    """Read a `width`-byte (1, 2 or 3) length prefix and skip the vector it announces.

    Returns the vector length and stores its offset in start[0]; DecodeError if the
    vector runs past the end of the cursor.
    """
    cdef size_t n
    if width == 1:
        n = <size_t>read_u8(c)
    elif width == 2:
        n = <size_t>read_u16(c)
    else:
        n = <size_t>read_u24(c)
    start[0] = <size_t>skip(c, n)
    return <Py_ssize_t>n


cdef inline int expect_end(Cursor* c) except -1:
    if c.pos != c.len:
        raise_decode("trailing bytes")
    return 0


# ---------------------------------------------------------------------------- writing

cdef inline int raise_local(str message) except -1:
    from tls12fast.errors import LocalProtocolError
    raise LocalProtocolError(message)


cdef inline int w_init(Writer* w, size_t cap) except -1:
    w.buf = <unsigned char*>malloc(cap)
    if w.buf == NULL:
        raise MemoryError()
    w.len = 0
    w.cap = cap
    return 0


cdef inline void w_free(Writer* w) noexcept:
    free(w.buf)
    w.buf = NULL


cdef inline int w_reserve(Writer* w, size_t n) except -1:
    cdef size_t cap
    cdef unsigned char* grown
    if n <= w.cap - w.len:
        return 0
    cap = w.cap * 2
    if cap < w.len + n:
        cap = w.len + n
    grown = <unsigned char*>realloc(w.buf, cap)
    if grown == NULL:
        raise MemoryError()
    w.buf = grown
    w.cap = cap
    return 0


cdef inline int w_u8(Writer* w, unsigned long v) except -1:
    w_reserve(w, 1)
    w.buf[w.len] = <unsigned char>v
    w.len += 1
    return 0


cdef inline int w_u16(Writer* w, unsigned long v) except -1:
    w_reserve(w, 2)
    w.buf[w.len] = <unsigned char>(v >> 8)
    w.buf[w.len + 1] = <unsigned char>v
    w.len += 2
    return 0


cdef inline int w_u32(Writer* w, unsigned long long v) except -1:
    w_reserve(w, 4)
    w.buf[w.len] = <unsigned char>(v >> 24)
    w.buf[w.len + 1] = <unsigned char>(v >> 16)
    w.buf[w.len + 2] = <unsigned char>(v >> 8)
    w.buf[w.len + 3] = <unsigned char>v
    w.len += 4
    return 0


cdef inline int w_bytes(Writer* w, const unsigned char* p, size_t n) except -1:
    if n:
        w_reserve(w, n)
        memcpy(w.buf + w.len, p, n)
        w.len += n
    return 0


cdef inline Py_ssize_t w_open(Writer* w, int width) except -1:
    """Reserve a `width`-byte length prefix; returns its offset for w_close()."""
    w_reserve(w, width)
    memset(w.buf + w.len, 0, width)
    w.len += width
    return <Py_ssize_t>(w.len - width)


cdef inline int w_close(Writer* w, size_t pos, int width) except -1:
    """Patch the prefix opened at `pos` with the length written since."""
    cdef size_t n = w.len - pos - width
    if n >> (8 * width):
        raise_local("vector too long for its length prefix")
    if width == 3:
        w.buf[pos] = <unsigned char>(n >> 16)
        pos += 1
    if width >= 2:
        w.buf[pos] = <unsigned char>(n >> 8)
        pos += 1
    w.buf[pos] = <unsigned char>n
    return 0
