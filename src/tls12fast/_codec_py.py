# Pure-Python twin of the handshake codec (compiled twin: ext/tls12fast/_codec_c.pyx).
#
# How this works:
#   * HandshakeJoiner reassembles handshake messages from handshake-record plaintext
#     (RFC 5246 §6.2.1: a message may span records, one record may hold several). It keeps
#     one bytearray with a head offset and a "scanned up to" offset; every header is
#     checked against the size cap as soon as its 4 bytes are buffered (RFC 5246 §7.4),
#     so a peer cannot make us buffer a huge body.
#   * decode_handshake() walks a message body with a Reader (_codec_wire_py.py), whose
#     every read is checked against the end of its (sub)vector; any shortfall, trailing byte or vector below
#     its RFC minimum is DecodeError (alert decode_error, RFC 5246 §7.2.2). Extensions
#     are parsed per context (ClientHello vs ServerHello) and kept in wire order; unknown
#     extension types and unknown values inside known lists are kept as raw ints/bytes.
#   * encode_handshake() is the exact inverse: parse -> encode is byte-exact. Lengths are
#     written as placeholders and patched afterwards (rustls' LengthPrefixedBuffer).
#   * decode_session_state() (SessionState's binary record, sessions.py) lives in
#     _codec_state_py.py and is re-exported here.
#
# The compiled twin must check things in the same order and raise the same classes.
from __future__ import annotations

import struct

from ._codec_state_py import decode_session_state
from ._codec_wire_py import (
    Reader, check_data, check_uint, expect_empty, only_vector, w_close, w_list, w_opaque, w_open,
    w_u8, w_u16,
)
from .errors import ConfigurationError, DecodeError, IllegalParameter, LocalProtocolError, UnexpectedMessage
from .messages import (
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
_U32 = struct.Struct(">I")
_KX = ("ECDHE", "DHE", "RSA")


# --------------------------------------------------------------------------- reassembly

class HandshakeJoiner:
    """Reassembles handshake messages from handshake-record fragments.

    Args:
        max_message_size: largest message body accepted (DecodeError above it).
    """

    __slots__ = ("_buf", "_head", "_scan", "_max")

    def __init__(self, max_message_size: int = MAX_HANDSHAKE_SIZE):
        if not isinstance(max_message_size, int) or max_message_size < 0:
            raise ConfigurationError("max_message_size must be a non-negative int")
        self._max = min(max_message_size, 0xFFFFFF)
        self._buf = bytearray()
        self._head = 0  # start of the first message pop() has not returned
        self._scan = 0  # end of the complete messages whose header was checked

    def feed(self, fragment) -> None:
        """Append handshake-record plaintext.

        Raises:
            DecodeError: a buffered header announces a body above the size cap.
        """
        buf = self._buf
        buf += fragment
        pos, end, cap = self._scan, len(buf), self._max
        while end - pos >= 4:
            length = (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]
            if length > cap:
                raise DecodeError("handshake message exceeds the size limit")
            if end - pos - 4 < length:
                break
            pos += 4 + length
        self._scan = pos

    def pop(self) -> tuple[int, bytes, bytes] | None:
        """Return (msg_type, body, raw) of the next complete message, or None."""
        head = self._head
        if head == self._scan:
            return None
        buf = self._buf
        end = head + 4 + ((buf[head + 1] << 16) | (buf[head + 2] << 8) | buf[head + 3])
        raw = bytes(buf[head:end])
        if end == len(buf):
            buf.clear()
            self._head = self._scan = 0
        elif end >= 4096 and end * 2 >= len(buf):  # compact: O(n) amortised
            del buf[:end]
            self._head, self._scan = 0, self._scan - end
        else:
            self._head = end
        return raw[0], raw[4:], raw

    def pending(self) -> bool:
        """True if bytes are buffered that pop() has not returned (e.g. a partial message)."""
        return self._head < len(self._buf)


# --------------------------------------------------------------------------- reading

# Extension bodies (RFC 6066 §3/§8, RFC 8422 §5.1, RFC 5246 §7.4.1.4.1, RFC 7301 §3.1,
# RFC 5077 §3.2, RFC 7366 §2, RFC 7627 §5.1, RFC 5746 §3.2, RFC 8446 §4.2.1).
def _server_name(r: Reader, server: bool) -> ServerNameExt:
    if server:
        expect_empty(r)
        return ServerNameExt([])
    lst = only_vector(r, 2)
    if not lst.left():
        raise DecodeError("empty server_name list")
    names = []
    while lst.left():
        name_type = lst.u8()
        names.append((name_type, lst.vec(2, 1)))
    return ServerNameExt(names)


def _alpn(r: Reader, server: bool) -> ALPNExt:
    lst = only_vector(r, 2)
    if not lst.left():
        raise DecodeError("empty ALPN protocol list")
    protocols = []
    while lst.left():
        protocols.append(lst.vec(1, 1))
    return ALPNExt(protocols)


def _session_ticket(r: Reader, server: bool) -> SessionTicketExt:
    if server:
        expect_empty(r)
        return SessionTicketExt(b"")
    return SessionTicketExt(r.rest())


def _status_request(r: Reader, server: bool) -> StatusRequestExt:
    if server:
        expect_empty(r)
        return StatusRequestExt(b"")
    return StatusRequestExt(r.rest())


def _supported_versions(r: Reader, server: bool) -> SupportedVersionsExt:
    if server:
        v = r.u16()
        r.done()
        return SupportedVersionsExt([v])
    return SupportedVersionsExt(only_vector(r, 1).u16_list())


def _ems(r: Reader, server: bool) -> ExtendedMasterSecretExt:
    expect_empty(r)
    return ExtendedMasterSecretExt()


def _etm(r: Reader, server: bool) -> EncryptThenMacExt:
    expect_empty(r)
    return EncryptThenMacExt()


_EXT_PARSERS = {
    0: _server_name,
    5: _status_request,
    10: lambda r, server: SupportedGroupsExt(only_vector(r, 2).u16_list()),
    11: lambda r, server: ECPointFormatsExt(only_vector(r, 1).u8_list()),
    13: lambda r, server: SignatureAlgorithmsExt(only_vector(r, 2).u16_list()),
    16: _alpn,
    22: _etm,
    23: _ems,
    35: _session_ticket,
    43: _supported_versions,
    0xFF01: lambda r, server: RenegotiationInfoExt(only_vector(r, 1).rest()),
}


def _extensions(r: Reader, server: bool) -> list | None:
    """Optional extensions block at the end of a hello (RFC 5246 §7.4.1.2)."""
    if not r.left():
        return None
    block = only_vector(r, 2)
    seen = set()
    out = []
    while block.left():
        ext_type = block.u16()
        data = block.sub(2)
        if ext_type in seen:
            raise DecodeError("duplicate extension")
        seen.add(ext_type)
        parse = _EXT_PARSERS.get(ext_type)
        out.append(UnknownExtension(ext_type, data.rest()) if parse is None else parse(data, server))
    return out


def _session_id(r: Reader) -> bytes:
    sid = r.vec(1)
    if len(sid) > 32:
        raise DecodeError("session_id longer than 32 bytes")
    return sid


def _client_hello(r: Reader, kx) -> ClientHello:
    version = r.u16()
    random = r.take(32)
    sid = _session_id(r)
    suites = r.sub(2).u16_list()
    comp = r.vec(1, 1)
    return ClientHello(version, random, sid, suites, comp, _extensions(r, False))


def _server_hello(r: Reader, kx) -> ServerHello:
    version = r.u16()
    random = r.take(32)
    sid = _session_id(r)
    suite = r.u16()
    comp = r.u8()
    return ServerHello(version, random, sid, suite, comp, _extensions(r, True))


def _certificate(r: Reader, kx) -> Certificate:
    lst = only_vector(r, 3)
    certs = []
    while lst.left():
        certs.append(lst.vec(3, 1))
    return Certificate(certs)


def _server_key_exchange(r: Reader, kx):
    if kx == "RSA":
        raise UnexpectedMessage("ServerKeyExchange with RSA key exchange")
    if kx == "ECDHE":  # RFC 8422 §5.4
        if r.u8() != 3:
            raise IllegalParameter("ECDHE ServerKeyExchange curve_type is not named_curve")
        group = r.u16()
        public = r.vec(1, 1)
        scheme = r.u16()
        sig = r.vec(2)
        r.done()
        return ServerKeyExchangeECDHE(group, public, scheme, sig)
    p = r.vec(2, 1)  # RFC 5246 §7.4.3 ServerDHParams
    g = r.vec(2, 1)
    ys = r.vec(2, 1)
    scheme = r.u16()
    sig = r.vec(2)
    r.done()
    return ServerKeyExchangeDHE(p, g, ys, scheme, sig)


def _certificate_request(r: Reader, kx) -> CertificateRequest:
    types = r.sub(1).u8_list()
    schemes = r.sub(2).u16_list()
    cas = only_vector(r, 2)
    authorities = []
    while cas.left():
        authorities.append(cas.vec(2, 1))
    return CertificateRequest(types, schemes, authorities)


def _certificate_verify(r: Reader, kx) -> CertificateVerify:
    scheme = r.u16()
    sig = r.vec(2)
    r.done()
    return CertificateVerify(scheme, sig)


def _client_key_exchange(r: Reader, kx) -> ClientKeyExchange:
    if kx == "RSA":
        exchange = r.vec(2)
    elif kx == "DHE":
        exchange = r.vec(2, 1)
    else:
        exchange = r.vec(1, 1)
    r.done()
    return ClientKeyExchange(kx, exchange)


def _new_session_ticket(r: Reader, kx) -> NewSessionTicket:
    lifetime = _U32.unpack_from(r.buf, r.need(4))[0]
    ticket = r.vec(2)
    r.done()
    return NewSessionTicket(lifetime, ticket)


def _no_body(cls):
    def parse(r: Reader, kx):
        r.done()
        return cls()

    return parse


_DECODERS = {
    0: _no_body(HelloRequest),
    1: _client_hello,
    2: _server_hello,
    4: _new_session_ticket,
    11: _certificate,
    12: _server_key_exchange,
    13: _certificate_request,
    14: _no_body(ServerHelloDone),
    15: _certificate_verify,
    16: _client_key_exchange,
    20: lambda r, kx: Finished(r.rest()),
}


def decode_handshake(msg_type: int, body, kx: str | None = None):
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
    parse = _DECODERS.get(msg_type) if isinstance(msg_type, int) else None
    if parse is None:
        raise UnexpectedMessage("unexpected handshake message type")
    if (msg_type == 12 or msg_type == 16) and kx not in _KX:
        raise LocalProtocolError("kx must be 'ECDHE', 'DHE' or 'RSA' for this message")
    buf = body if type(body) is bytes else bytes(body)
    return parse(Reader(buf, 0, len(buf)), kx)


# --------------------------------------------------------------------------- writing

def _put_ext(out: bytearray, ext, server: bool) -> None:
    cls = type(ext)
    if cls is UnknownExtension:
        w_u16(out, ext.ext_type)
        w_opaque(out, 2, ext.data)
        return
    put = _EXT_ENCODERS.get(cls)
    if put is None:
        raise LocalProtocolError("cannot encode this extension object")
    w_u16(out, int(cls.type))
    pos = w_open(out, 2)
    put(out, ext, server)
    w_close(out, pos, 2)


def _put_server_name(out, ext, server):
    if server:
        if ext.names:
            raise LocalProtocolError("server_name in ServerHello must be empty")
        return
    pos = w_open(out, 2)
    for name_type, name in ext.names:
        w_u8(out, name_type)
        w_opaque(out, 2, name)
    w_close(out, pos, 2)


def _put_raw_or_empty(attr):
    def put(out, ext, server):
        data = check_data(getattr(ext, attr))
        if server and data:
            raise LocalProtocolError("this extension must be empty in ServerHello")
        out += data

    return put


def _put_supported_versions(out, ext, server):
    if server:
        if len(ext.versions) != 1:
            raise LocalProtocolError("ServerHello supported_versions holds exactly one version")
        w_u16(out, ext.versions[0])
    else:
        w_list(out, 1, w_u16, ext.versions)


_EXT_ENCODERS = {
    ServerNameExt: _put_server_name,
    StatusRequestExt: _put_raw_or_empty("data"),
    SupportedGroupsExt: lambda out, ext, server: w_list(out, 2, w_u16, ext.groups),
    ECPointFormatsExt: lambda out, ext, server: w_list(out, 1, w_u8, ext.formats),
    SignatureAlgorithmsExt: lambda out, ext, server: w_list(out, 2, w_u16, ext.schemes),
    ALPNExt: lambda out, ext, server: w_list(out, 2, lambda o, p: w_opaque(o, 1, p), ext.protocols),
    EncryptThenMacExt: lambda out, ext, server: None,
    ExtendedMasterSecretExt: lambda out, ext, server: None,
    SessionTicketExt: _put_raw_or_empty("ticket"),
    SupportedVersionsExt: _put_supported_versions,
    RenegotiationInfoExt: lambda out, ext, server: w_opaque(out, 1, ext.renegotiated_connection),
}


def _put_hello_start(out: bytearray, msg) -> None:
    w_u16(out, msg.version)
    if len(check_data(msg.random)) != 32:
        raise LocalProtocolError("random must be 32 bytes")
    out += msg.random
    if len(check_data(msg.session_id)) > 32:
        raise LocalProtocolError("session_id longer than 32 bytes")
    w_opaque(out, 1, msg.session_id)


def _put_extensions(out: bytearray, extensions, server: bool) -> None:
    if extensions is not None:
        pos = w_open(out, 2)
        for ext in extensions:
            _put_ext(out, ext, server)
        w_close(out, pos, 2)


def _put_client_hello(out, m):
    _put_hello_start(out, m)
    w_list(out, 2, w_u16, m.cipher_suites)
    w_opaque(out, 1, m.compression_methods)
    _put_extensions(out, m.extensions, False)


def _put_server_hello(out, m):
    _put_hello_start(out, m)
    w_u16(out, m.cipher_suite)
    w_u8(out, m.compression_method)
    _put_extensions(out, m.extensions, True)


def _put_ske_ecdhe(out, m):
    out.append(3)  # curve_type named_curve
    w_u16(out, m.named_group)
    w_opaque(out, 1, m.public)
    w_u16(out, m.scheme)
    w_opaque(out, 2, m.signature)


def _put_ske_dhe(out, m):
    w_opaque(out, 2, m.p)
    w_opaque(out, 2, m.g)
    w_opaque(out, 2, m.ys)
    w_u16(out, m.scheme)
    w_opaque(out, 2, m.signature)


def _put_certificate_request(out, m):
    w_list(out, 1, w_u8, m.certificate_types)
    w_list(out, 2, w_u16, m.signature_schemes)
    w_list(out, 2, lambda o, dn: w_opaque(o, 2, dn), m.authorities)


def _put_client_key_exchange(out, m):
    if m.kx not in _KX:
        raise LocalProtocolError("ClientKeyExchange.kx must be 'ECDHE', 'DHE' or 'RSA'")
    w_opaque(out, 1 if m.kx == "ECDHE" else 2, m.exchange)


def _put_verify(out, m):
    w_u16(out, m.scheme)
    w_opaque(out, 2, m.signature)


def _put_new_session_ticket(out, m):
    out += _U32.pack(check_uint(m.lifetime_hint, 0xFFFFFFFF))
    w_opaque(out, 2, m.ticket)


def _put_finished(out, m):
    out += check_data(m.verify_data)


_ENCODERS = {
    HelloRequest: (0, lambda out, m: None),
    ClientHello: (1, _put_client_hello),
    ServerHello: (2, _put_server_hello),
    NewSessionTicket: (4, _put_new_session_ticket),
    Certificate: (11, lambda out, m: w_list(out, 3, lambda o, c: w_opaque(o, 3, c), m.certificates)),
    ServerKeyExchangeECDHE: (12, _put_ske_ecdhe),
    ServerKeyExchangeDHE: (12, _put_ske_dhe),
    CertificateRequest: (13, _put_certificate_request),
    ServerHelloDone: (14, lambda out, m: None),
    CertificateVerify: (15, _put_verify),
    ClientKeyExchange: (16, _put_client_key_exchange),
    Finished: (20, _put_finished),
}


def encode_handshake(msg) -> bytes:
    """Encode a messages.py object as header (type + u24 length) + body.

    Raises:
        LocalProtocolError: not a handshake message object, or a field that cannot be
            represented on the wire (value out of range, vector too long, non-empty
            ServerHello-only-empty extension...).
    """
    entry = _ENCODERS.get(type(msg))
    if entry is None:
        raise LocalProtocolError("cannot encode this object as a handshake message")
    msg_type, put = entry
    out = bytearray(4)
    put(out, msg)
    w_close(out, 1, 3)
    out[0] = msg_type
    return bytes(out)
