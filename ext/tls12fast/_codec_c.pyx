# cython: language_level=3
# Compiled twin of the handshake codec (pure twin: src/tls12fast/_codec_py.py).
#
# How this works:
#   * HandshakeJoiner keeps one malloc'd buffer with head / scan / tail offsets
#     (msgpack's Unpacker layout): feed() copies a fragment in (compacting with memmove
#     first), then checks every newly complete 4-byte header against the size cap, so an
#     oversized message is refused before its body is buffered (RFC 5246 §7.4).
#   * decode_handshake() parses from `const unsigned char[::1]` through the length-checked
#     Cursor readers of _wire.pxd (boundscheck/wraparound are off in release builds), keeps
#     every wire integer a C int until it goes into its list, creates bytes only for fields
#     that outlive the call, and builds each messages.py object with make()
#     (_codec_make.pxd) instead of through its generated __init__. The typed field
#     readers/writers (vectors, u8/u16 lists, range checks) are in
#     _codec_fields.pxd (header-only).
#   * encode_handshake() writes into one C Writer buffer, patching vector lengths after the
#     contents (RFC 5246 §4.3), and returns one bytes object.
#   * decode_session_state() parses SessionState's binary record (sessions.py) with the
#     header-only parser in _codec_state.pxd; non-bytes input goes through the same
#     _state_format.as_state_bytes() as in the pure twin (src/tls12fast/_codec_state_py.py).
#
# Every check happens in the same order as in the pure twin and raises the same class
# (DecodeError, IllegalParameter, UnexpectedMessage, LocalProtocolError); the
# differential tests (tests/test_codec_differential.py) hold the two twins to that.
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_Check
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy, memmove, memset

from tls12fast._codec_state cimport state_constants_match, state_decode
from tls12fast._codec_make cimport Shape, make, shape_init
from tls12fast._codec_fields cimport (
    bytes_at, check_uint, data_len, expect_empty, only_vector, opaque, u8_list, u16_list,
    w_data, w_opaque, w_u16_list,
)
from tls12fast._wire cimport (
    Cursor, Writer, cursor, expect_end, raise_decode, raise_local, read_u8, read_u16,
    read_u32, read_vector, skip, sub, w_close, w_free, w_init, w_open, w_u8, w_u16, w_u32,
)

from tls12fast import _state_format
from tls12fast._state_format import as_state_bytes
from tls12fast.errors import ConfigurationError, DecodeError, IllegalParameter, LocalProtocolError, UnexpectedMessage
from tls12fast.messages import (
    ALPNExt, Certificate, CertificateRequest, CertificateVerify, ClientHello, ClientKeyExchange,
    ECPointFormatsExt, EncryptThenMacExt, ExtendedMasterSecretExt, Finished, HelloRequest,
    NewSessionTicket, RenegotiationInfoExt, ServerHello, ServerHelloDone, ServerKeyExchangeDHE,
    ServerKeyExchangeECDHE, ServerNameExt, SessionTicketExt, SignatureAlgorithmsExt,
    StatusRequestExt, SupportedGroupsExt, SupportedVersionsExt, UnknownExtension,
)

__all__ = [
    "MAX_HANDSHAKE_SIZE", "HandshakeJoiner", "decode_handshake", "encode_handshake",
    "decode_session_state",
]

MAX_HANDSHAKE_SIZE = 65536

cdef unsigned char _EMPTY[1]
_EMPTY[0] = 0


# One Shape per messages.py class this twin builds (see _codec_make.pxd), indexed by S_*.
cdef enum:
    S_ALPNExt, S_Certificate, S_CertificateRequest, S_CertificateVerify, S_ClientHello,
    S_ClientKeyExchange, S_ECPointFormatsExt, S_EncryptThenMacExt,
    S_ExtendedMasterSecretExt, S_Finished, S_HelloRequest, S_NewSessionTicket,
    S_RenegotiationInfoExt, S_ServerHello, S_ServerHelloDone, S_ServerKeyExchangeDHE,
    S_ServerKeyExchangeECDHE, S_ServerNameExt, S_SessionTicketExt,
    S_SignatureAlgorithmsExt, S_StatusRequestExt, S_SupportedGroupsExt,
    S_SupportedVersionsExt, S_UnknownExtension, _N_SHAPES

cdef Shape _SHAPES[_N_SHAPES]
for _i, _cls in enumerate((
        ALPNExt, Certificate, CertificateRequest, CertificateVerify, ClientHello,
        ClientKeyExchange, ECPointFormatsExt, EncryptThenMacExt,
        ExtendedMasterSecretExt, Finished, HelloRequest, NewSessionTicket,
        RenegotiationInfoExt, ServerHello, ServerHelloDone, ServerKeyExchangeDHE,
        ServerKeyExchangeECDHE, ServerNameExt, SessionTicketExt,
        SignatureAlgorithmsExt, StatusRequestExt, SupportedGroupsExt,
        SupportedVersionsExt, UnknownExtension)):
    shape_init(&_SHAPES[_i], _cls)
del _i, _cls


# --------------------------------------------------------------------------- reassembly

cdef class HandshakeJoiner:
    """Reassembles handshake messages from handshake-record fragments.

    Args:
        max_message_size: largest message body accepted (DecodeError above it).
    """

    cdef unsigned char* _buf
    cdef size_t _cap, _head, _scan, _tail, _max

    def __cinit__(self, max_message_size=MAX_HANDSHAKE_SIZE):
        if not isinstance(max_message_size, int) or max_message_size < 0:
            raise ConfigurationError("max_message_size must be a non-negative int")
        self._max = min(max_message_size, 0xFFFFFF)
        self._buf = NULL
        self._cap = self._head = self._scan = self._tail = 0

    def __dealloc__(self):
        free(self._buf)

    cdef int _reserve(self, size_t n) except -1:
        cdef size_t cap
        cdef unsigned char* grown
        if self._head and self._cap - self._tail < n:
            memmove(self._buf, self._buf + self._head, self._tail - self._head)
            self._tail -= self._head
            self._scan -= self._head
            self._head = 0
        if self._cap - self._tail < n:
            cap = max(self._cap * 2, self._tail + n, <size_t>1024)
            grown = <unsigned char*>realloc(self._buf, cap)
            if grown == NULL:
                raise MemoryError()
            self._buf = grown
            self._cap = cap
        return 0

    def feed(self, const unsigned char[::1] fragment):
        """Append handshake-record plaintext.

        Raises:
            DecodeError: a buffered header announces a body above the size cap.
        """
        cdef size_t n = fragment.shape[0]
        cdef size_t pos, length
        cdef const unsigned char* p
        if n:
            self._reserve(n)
            memcpy(self._buf + self._tail, &fragment[0], n)
            self._tail += n
        pos = self._scan
        while self._tail - pos >= 4:
            p = self._buf + pos
            length = (<size_t>p[1] << 16) | (<size_t>p[2] << 8) | p[3]
            if length > self._max:
                raise DecodeError("handshake message exceeds the size limit")
            if self._tail - pos - 4 < length:
                break
            pos += 4 + length
        self._scan = pos

    def pop(self):
        """Return (msg_type, body, raw) of the next complete message, or None."""
        cdef size_t head = self._head
        cdef const unsigned char* p
        cdef size_t length
        if head == self._scan:
            return None
        p = self._buf + head
        length = (<size_t>p[1] << 16) | (<size_t>p[2] << 8) | p[3]
        raw = PyBytes_FromStringAndSize(<const char*>p, 4 + length)
        body = PyBytes_FromStringAndSize(<const char*>p + 4, length)
        msg_type = p[0]
        self._head = head + 4 + length
        if self._head == self._tail:
            self._head = self._scan = self._tail = 0
        return msg_type, body, raw

    def pending(self):
        """True if bytes are buffered that pop() has not returned (e.g. a partial message)."""
        return self._head < self._tail


# --------------------------------------------------------------------------- reading

# Extension bodies (RFC 6066 §3/§8, RFC 8422 §5.1, RFC 5246 §7.4.1.4.1, RFC 7301 §3.1,
# RFC 5077 §3.2, RFC 7366 §2, RFC 7627 §5.1, RFC 5746 §3.2, RFC 8446 §4.2.1).
cdef object _extension(int t, Cursor* d, bint server):
    cdef Cursor lst
    cdef int name_type
    if t == 0:
        if server:
            expect_empty(d)
            return make(&_SHAPES[S_ServerNameExt], [])
        lst = only_vector(d, 2)
        if lst.len == 0:
            raise_decode("empty server_name list")
        names = []
        while lst.pos < lst.len:
            name_type = read_u8(&lst)
            names.append((name_type, opaque(&lst, 2, 1)))
        return make(&_SHAPES[S_ServerNameExt], names)
    if t == 10:
        lst = only_vector(d, 2)
        return make(&_SHAPES[S_SupportedGroupsExt], u16_list(lst.ptr, lst.len))
    if t == 13:
        lst = only_vector(d, 2)
        return make(&_SHAPES[S_SignatureAlgorithmsExt], u16_list(lst.ptr, lst.len))
    if t == 11:
        lst = only_vector(d, 1)
        return make(&_SHAPES[S_ECPointFormatsExt], u8_list(lst.ptr, lst.len))
    if t == 16:
        lst = only_vector(d, 2)
        if lst.len == 0:
            raise_decode("empty ALPN protocol list")
        protocols = []
        while lst.pos < lst.len:
            protocols.append(opaque(&lst, 1, 1))
        return make(&_SHAPES[S_ALPNExt], protocols)
    if t == 23:
        expect_empty(d)
        return make(&_SHAPES[S_ExtendedMasterSecretExt])
    if t == 22:
        expect_empty(d)
        return make(&_SHAPES[S_EncryptThenMacExt])
    if t == 35:
        if server:
            expect_empty(d)
        return make(&_SHAPES[S_SessionTicketExt], bytes_at(d, 0, d.len))
    if t == 5:
        if server:
            expect_empty(d)
        return make(&_SHAPES[S_StatusRequestExt], bytes_at(d, 0, d.len))
    if t == 43:
        if server:
            version = read_u16(d)
            expect_end(d)
            return make(&_SHAPES[S_SupportedVersionsExt], [version])
        lst = only_vector(d, 1)
        return make(&_SHAPES[S_SupportedVersionsExt], u16_list(lst.ptr, lst.len))
    if t == 0xFF01:
        lst = only_vector(d, 1)
        return make(&_SHAPES[S_RenegotiationInfoExt], bytes_at(&lst, 0, lst.len))
    return make(&_SHAPES[S_UnknownExtension], t, bytes_at(d, 0, d.len))


cdef object _extensions(Cursor* c, bint server):
    """Optional extensions block at the end of a hello (RFC 5246 §7.4.1.2)."""
    cdef Cursor block, data
    cdef size_t s
    cdef Py_ssize_t n
    cdef int t
    cdef unsigned char seen[8192]  # one bit per extension type
    if c.pos == c.len:
        return None
    block = only_vector(c, 2)
    memset(seen, 0, sizeof(seen))
    out = []
    while block.pos < block.len:
        t = read_u16(&block)
        n = read_vector(&block, 2, &s)
        if seen[t >> 3] & (1 << (t & 7)):
            raise_decode("duplicate extension")
        seen[t >> 3] |= <unsigned char>(1 << (t & 7))
        data = sub(&block, s, n)
        out.append(_extension(t, &data, server))
    return out


cdef bytes _session_id(Cursor* c):
    cdef size_t s
    cdef Py_ssize_t n = read_vector(c, 1, &s)
    if n > 32:
        raise_decode("session_id longer than 32 bytes")
    return bytes_at(c, s, n)


cdef object _client_hello(Cursor* c):
    cdef size_t s
    cdef Py_ssize_t n
    cdef int version = read_u16(c)
    random = bytes_at(c, <size_t>skip(c, 32), 32)
    sid = _session_id(c)
    n = read_vector(c, 2, &s)
    suites = u16_list(c.ptr + s, n)
    comp = opaque(c, 1, 1)
    return make(&_SHAPES[S_ClientHello], version, random, sid, suites, comp, _extensions(c, False))


cdef object _server_hello(Cursor* c):
    cdef int version = read_u16(c)
    random = bytes_at(c, <size_t>skip(c, 32), 32)
    sid = _session_id(c)
    cdef int suite = read_u16(c)
    cdef int comp = read_u8(c)
    return make(&_SHAPES[S_ServerHello], version, random, sid, suite, comp, _extensions(c, True))


cdef object _certificate(Cursor* c):
    cdef Cursor lst = only_vector(c, 3)
    certs = []
    while lst.pos < lst.len:
        certs.append(opaque(&lst, 3, 1))
    return make(&_SHAPES[S_Certificate], certs)


cdef object _server_key_exchange(Cursor* c, object kx):
    cdef int group, scheme
    if kx == "RSA":
        raise UnexpectedMessage("ServerKeyExchange with RSA key exchange")
    if kx == "ECDHE":  # RFC 8422 §5.4
        if read_u8(c) != 3:
            raise IllegalParameter("ECDHE ServerKeyExchange curve_type is not named_curve")
        group = read_u16(c)
        public = opaque(c, 1, 1)
        scheme = read_u16(c)
        sig = opaque(c, 2, 0)
        expect_end(c)
        return make(&_SHAPES[S_ServerKeyExchangeECDHE], group, public, scheme, sig)
    p = opaque(c, 2, 1)  # RFC 5246 §7.4.3 ServerDHParams
    g = opaque(c, 2, 1)
    ys = opaque(c, 2, 1)
    scheme = read_u16(c)
    sig = opaque(c, 2, 0)
    expect_end(c)
    return make(&_SHAPES[S_ServerKeyExchangeDHE], p, g, ys, scheme, sig)


cdef object _certificate_request(Cursor* c):
    cdef size_t s
    cdef Py_ssize_t n = read_vector(c, 1, &s)
    types = u8_list(c.ptr + s, n)
    n = read_vector(c, 2, &s)
    schemes = u16_list(c.ptr + s, n)
    cdef Cursor cas = only_vector(c, 2)
    authorities = []
    while cas.pos < cas.len:
        authorities.append(opaque(&cas, 2, 1))
    return make(&_SHAPES[S_CertificateRequest], types, schemes, authorities)


cdef object _decode(int t, const unsigned char[::1] body, object kx):
    cdef const unsigned char* p = _EMPTY
    cdef int scheme
    if body.shape[0]:
        p = &body[0]
    cdef Cursor c = cursor(p, body.shape[0])
    if t == 1:
        return _client_hello(&c)
    if t == 2:
        return _server_hello(&c)
    if t == 11:
        return _certificate(&c)
    if t == 12:
        return _server_key_exchange(&c, kx)
    if t == 16:
        if kx == "RSA":
            exchange = opaque(&c, 2, 0)
        elif kx == "DHE":
            exchange = opaque(&c, 2, 1)
        else:
            exchange = opaque(&c, 1, 1)
        expect_end(&c)
        return make(&_SHAPES[S_ClientKeyExchange], kx, exchange)
    if t == 20:
        return make(&_SHAPES[S_Finished], bytes_at(&c, 0, c.len))
    if t == 15:
        scheme = read_u16(&c)
        sig = opaque(&c, 2, 0)
        expect_end(&c)
        return make(&_SHAPES[S_CertificateVerify], scheme, sig)
    if t == 13:
        return _certificate_request(&c)
    if t == 4:
        lifetime = read_u32(&c)
        ticket = opaque(&c, 2, 0)
        expect_end(&c)
        return make(&_SHAPES[S_NewSessionTicket], lifetime, ticket)
    expect_end(&c)
    return make(&_SHAPES[S_ServerHelloDone]) if t == 14 else make(&_SHAPES[S_HelloRequest])


def decode_handshake(msg_type, body, kx=None):
    """Parse one handshake message body (RFC 5246 §7.4).

    Args:
        msg_type: the HandshakeType byte from the message header.
        body: the message body (bytes-like, without the 4-byte header).
        kx: "ECDHE", "DHE" or "RSA"; required for server_key_exchange and
            client_key_exchange, ignored otherwise.

    Returns:
        The messages.py object for the message.

    Raises:
        UnexpectedMessage: unknown msg_type (or ServerKeyExchange with RSA).
        LocalProtocolError: kx missing or unknown where it is needed.
        DecodeError: malformed body.
        IllegalParameter: ECDHE params not of curve_type named_curve.
    """
    cdef int overflow = 0
    cdef long long t = -1
    if PyLong_Check(msg_type):
        t = PyLong_AsLongLongAndOverflow(msg_type, &overflow)
    if overflow or not (t == 0 or t == 1 or t == 2 or t == 4 or 11 <= t <= 16 or t == 20):
        raise UnexpectedMessage("unexpected handshake message type")
    if (t == 12 or t == 16) and not (kx == "ECDHE" or kx == "DHE" or kx == "RSA"):
        raise LocalProtocolError("kx must be 'ECDHE', 'DHE' or 'RSA' for this message")
    return _decode(<int>t, body, kx)


def decode_session_state(data):
    """SessionState's record -> its 11 field values (see the pure twin's docstring).

    Raises:
        DecodeError: anything but a well-formed, in-range version-1 record.
    """
    # bytes (what TicketKeys.unseal returns) is read in place: no buffer acquisition.
    if type(data) is not bytes:
        data = as_state_bytes(data)
    return state_decode(<const unsigned char*>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))


if not state_constants_match(_state_format):
    raise ImportError("_codec_state.pxd constants differ from _state_format.py")


# --------------------------------------------------------------------------- writing

cdef int _w_raw_or_empty(Writer* w, object data, bint server) except -1:
    if data_len(data) and server:
        raise_local("this extension must be empty in ServerHello")
    return w_data(w, data)


cdef int _w_ext(Writer* w, object ext, bint server) except -1:
    cdef type cls = type(ext)
    cdef Py_ssize_t pos = 0, inner
    if cls is UnknownExtension:
        w_u16(w, check_uint(ext.ext_type, 0xFFFF))
        return w_opaque(w, 2, ext.data)
    if cls is ServerNameExt:
        w_u16(w, 0)
        pos = w_open(w, 2)
        if server:
            if ext.names:
                raise_local("server_name in ServerHello must be empty")
        else:
            inner = w_open(w, 2)
            for name_type, name in ext.names:
                w_u8(w, check_uint(name_type, 0xFF))
                w_opaque(w, 2, name)
            w_close(w, inner, 2)
    elif cls is StatusRequestExt:
        w_u16(w, 5)
        pos = w_open(w, 2)
        _w_raw_or_empty(w, ext.data, server)
    elif cls is SupportedGroupsExt:
        w_u16(w, 10)
        pos = w_open(w, 2)
        w_u16_list(w, 2, ext.groups)
    elif cls is ECPointFormatsExt:
        w_u16(w, 11)
        pos = w_open(w, 2)
        inner = w_open(w, 1)
        for v in ext.formats:
            w_u8(w, check_uint(v, 0xFF))
        w_close(w, inner, 1)
    elif cls is SignatureAlgorithmsExt:
        w_u16(w, 13)
        pos = w_open(w, 2)
        w_u16_list(w, 2, ext.schemes)
    elif cls is ALPNExt:
        w_u16(w, 16)
        pos = w_open(w, 2)
        inner = w_open(w, 2)
        for proto in ext.protocols:
            w_opaque(w, 1, proto)
        w_close(w, inner, 2)
    elif cls is EncryptThenMacExt:
        w_u16(w, 22)
        pos = w_open(w, 2)
    elif cls is ExtendedMasterSecretExt:
        w_u16(w, 23)
        pos = w_open(w, 2)
    elif cls is SessionTicketExt:
        w_u16(w, 35)
        pos = w_open(w, 2)
        _w_raw_or_empty(w, ext.ticket, server)
    elif cls is SupportedVersionsExt:
        w_u16(w, 43)
        pos = w_open(w, 2)
        if server:
            if len(ext.versions) != 1:
                raise_local("ServerHello supported_versions holds exactly one version")
            w_u16(w, check_uint(ext.versions[0], 0xFFFF))
        else:
            w_u16_list(w, 1, ext.versions)
    elif cls is RenegotiationInfoExt:
        w_u16(w, 0xFF01)
        pos = w_open(w, 2)
        w_opaque(w, 1, ext.renegotiated_connection)
    else:
        raise_local("cannot encode this extension object")
    return w_close(w, pos, 2)


cdef int _w_hello(Writer* w, object m, bint server) except -1:
    cdef Py_ssize_t pos
    w_u16(w, check_uint(m.version, 0xFFFF))
    if data_len(m.random) != 32:
        raise_local("random must be 32 bytes")
    w_data(w, m.random)
    if data_len(m.session_id) > 32:
        raise_local("session_id longer than 32 bytes")
    w_opaque(w, 1, m.session_id)
    if server:
        w_u16(w, check_uint(m.cipher_suite, 0xFFFF))
        w_u8(w, check_uint(m.compression_method, 0xFF))
    else:
        w_u16_list(w, 2, m.cipher_suites)
        w_opaque(w, 1, m.compression_methods)
    extensions = m.extensions
    if extensions is not None:
        pos = w_open(w, 2)
        for ext in extensions:
            _w_ext(w, ext, server)
        w_close(w, pos, 2)
    return 0


cdef int _w_body(Writer* w, object m, type cls) except -1:
    """Write the body of `m`; returns its HandshakeType."""
    cdef Py_ssize_t pos
    if cls is ClientHello:
        _w_hello(w, m, False)
        return 1
    if cls is ServerHello:
        _w_hello(w, m, True)
        return 2
    if cls is Certificate:
        pos = w_open(w, 3)
        for cert in m.certificates:
            w_opaque(w, 3, cert)
        w_close(w, pos, 3)
        return 11
    if cls is ServerKeyExchangeECDHE:
        w_u8(w, 3)  # curve_type named_curve
        w_u16(w, check_uint(m.named_group, 0xFFFF))
        w_opaque(w, 1, m.public)
    elif cls is ServerKeyExchangeDHE:
        w_opaque(w, 2, m.p)
        w_opaque(w, 2, m.g)
        w_opaque(w, 2, m.ys)
    if cls is ServerKeyExchangeECDHE or cls is ServerKeyExchangeDHE or cls is CertificateVerify:
        w_u16(w, check_uint(m.scheme, 0xFFFF))
        w_opaque(w, 2, m.signature)
        return 15 if cls is CertificateVerify else 12
    if cls is CertificateRequest:
        pos = w_open(w, 1)
        for v in m.certificate_types:
            w_u8(w, check_uint(v, 0xFF))
        w_close(w, pos, 1)
        w_u16_list(w, 2, m.signature_schemes)
        pos = w_open(w, 2)
        for dn in m.authorities:
            w_opaque(w, 2, dn)
        w_close(w, pos, 2)
        return 13
    if cls is ClientKeyExchange:
        kx = m.kx
        if not (kx == "ECDHE" or kx == "DHE" or kx == "RSA"):
            raise_local("ClientKeyExchange.kx must be 'ECDHE', 'DHE' or 'RSA'")
        w_opaque(w, 1 if kx == "ECDHE" else 2, m.exchange)
        return 16
    if cls is Finished:
        w_data(w, m.verify_data)
        return 20
    if cls is NewSessionTicket:
        w_u32(w, <unsigned long long>check_uint(m.lifetime_hint, 0xFFFFFFFF))
        w_opaque(w, 2, m.ticket)
        return 4
    if cls is ServerHelloDone:
        return 14
    if cls is HelloRequest:
        return 0
    raise_local("cannot encode this object as a handshake message")


def encode_handshake(msg):
    """Encode a messages.py object as header (type + u24 length) + body.

    Raises:
        LocalProtocolError: not a handshake message object, or a field that cannot be
            represented on the wire (value out of range, vector too long, non-empty
            ServerHello-only-empty extension...).
    """
    cdef Writer w
    cdef int msg_type
    w_init(&w, 512)
    try:
        w_open(&w, 4)
        msg_type = _w_body(&w, msg, type(msg))
        w_close(&w, 1, 3)
        w.buf[0] = <unsigned char>msg_type
        return PyBytes_FromStringAndSize(<const char*>w.buf, w.len)
    finally:
        w_free(&w)
