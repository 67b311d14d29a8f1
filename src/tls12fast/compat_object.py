# SSLObject: the ssl.SSLObject-compatible endpoint over two memory BIOs (what asyncio's
# sslproto drives for `ssl=` servers and clients).
#
# How this works: an SSLObject owns one sans-IO tls12fast connection and two byte pipes —
# `incoming` (ciphertext from the peer) and `outgoing` (ciphertext to the peer), the
# ssl.MemoryBIO objects asyncio hands to ssl.SSLObject. Every public call first drains
# `incoming` into `receive_data()` (at most 64 KiB at a time, and only while it needs
# more, so buffered plaintext stays bounded), then writes whatever the engine queued into
# `outgoing` in one piece. When it needs bytes the peer has not sent yet it raises
# ssl.SSLWantReadError, exactly like OpenSSL, so callers written for `ssl` drive it
# unchanged.
#
# Server side: the engine is created only once the first ClientHello (RFC 5246 §7.4.1.2)
# is complete, so an sni_callback (RFC 6066 §3) can inspect the name and swap
# `sslobj.context` first. In the usual case the ClientHello arrives in one record and one
# read, and is handed on without copying; the SNI name and the offered suites are parsed
# from it only when an sni_callback or shared_ciphers() asks.
#
# Errors: tls12fast.TLSError becomes the stdlib type (compat_errors.map_error); EOF
# without close_notify → ssl.SSLEOFError; a clean close_notify makes read() return b""
# as OpenSSL does.
from __future__ import annotations

import ssl
import struct

from cryptography.hazmat.primitives.serialization import Encoding

from .compat_errors import eof_error, map_error, shutdown_error, want_read, zero_return
from .compat_session import SSLSession, decode_cert, suite_tuple
from .enums import AlertDescription
from .errors import TLSError
from .events import ApplicationData, ConnectionClosed, HandshakeComplete
from .io import take
from .suites import BY_NAME

__all__ = ["SSLObject"]

_CHUNK = 65536
_MAX_HELLO = 65536 + 5
_unpack_from = struct.unpack_from


def _first_hello(buf):
    """The first ClientHello's handshake message (header included) once it is complete.

    Returns None while more bytes are needed, b"" when `buf` does not start with a
    plain handshake flight (the engine then reports the real error).
    """
    n = len(buf)
    if n < 9:
        return None
    if buf[0] != 22:
        return b""
    need = 4 + int.from_bytes(buf[6:9], "big")
    (rec_len,) = _unpack_from("!H", buf, 3)
    if need <= rec_len and 5 + rec_len <= n:  # the usual case: one record holds it
        return buf[5:5 + need]
    body, pos = bytearray(), 0
    while pos + 5 <= n and len(body) < need:  # join handshake fragments (RFC 5246 §6.2.1)
        (rec_len,) = _unpack_from("!H", buf, pos + 3)
        if buf[pos] != 22:
            return b""
        if pos + 5 + rec_len > n:
            return None
        body += buf[pos + 5:pos + 5 + rec_len]
        pos += 5 + rec_len
    return bytes(body[:need]) if len(body) >= need else None


def _client_hello_info(hello):
    """(server_name, [suite codes]) from a ClientHello message (RFC 5246 §7.4.1.2, RFC 6066 §3).

    Returns (None, []) for anything malformed: the engine reports the real error.
    """
    try:
        pos = 4 + 34
        pos += 1 + hello[pos]
        (n,) = _unpack_from("!H", hello, pos)
        suites = list(_unpack_from(f"!{n // 2}H", hello, pos + 2))
        pos += 2 + n
        pos += 1 + hello[pos]
        (ext_len,) = _unpack_from("!H", hello, pos)
        pos += 2
        end = min(len(hello), pos + ext_len)
        while pos + 4 <= end:
            etype, elen = _unpack_from("!HH", hello, pos)
            pos += 4
            if etype == 0:  # server_name: list<2> of (type<1>, name<2>)
                if hello[pos + 2] == 0:
                    (nlen,) = _unpack_from("!H", hello, pos + 3)
                    return bytes(hello[pos + 5:pos + 5 + nlen]).decode("ascii"), suites
            pos += elen
        return None, suites
    except (struct.error, IndexError, UnicodeDecodeError):
        return None, []


class SSLObject(ssl.SSLObject):
    """ssl.SSLObject-compatible TLS 1.2 endpoint over memory BIOs, run by tls12fast.

    Instances come from `tls12fast.SSLContext.wrap_bio()`.
    """

    def __init__(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} does not have a public constructor. "
                        "Instances are returned by SSLContext.wrap_bio().")

    @classmethod
    def _create(cls, context, incoming, outgoing, server_side=False, server_hostname=None,
                session=None, owner=None):
        self = cls.__new__(cls)
        self._context = context
        self._incoming, self._outgoing = incoming, outgoing
        self._server_side = server_side
        self._server_hostname = server_hostname
        self._owner = owner  # the SSLSocket an sni_callback sees (None: this object; no self-cycle)
        self._plain = bytearray()
        self._close_received = self._eof = self._unclean = self._close_sent = False
        self._error: ssl.SSLError | None = None
        self._hello = bytearray()  # server: an incomplete first flight
        self._client_hello = b""  # server: the first ClientHello, for shared_ciphers()
        self._conn = None
        if not server_side:
            self._conn = context._new_connection(False, server_hostname, session)
            context._count("connect")
        return self

    # -- pumping ---------------------------------------------------------------------

    def _flush(self) -> None:
        if self._conn is not None:
            out = self._conn.data_to_send()
            if out:
                self._outgoing.write(out)

    def _feed(self) -> bool:
        """Move ciphertext from `incoming` into the engine; False if there was none."""
        data = self._incoming.read(_CHUNK)
        if not data:
            if not self._incoming.eof or self._eof:
                return False
            self._eof = True
        conn = self._conn
        if conn is None:
            data = self._server_gate(data)
            if data is None:
                return True
            conn = self._conn
        try:
            events = conn.receive_data(data)
        except TLSError as exc:
            self._flush()
            self._fail(exc)
        out = conn.data_to_send()
        if out:
            self._outgoing.write(out)
        for event in events:
            kind = type(event)
            if kind is ApplicationData:
                self._plain += event.data
            elif kind is HandshakeComplete:
                self._context._count("accept_good" if self._server_side else "connect_good")
                if self._server_side and event.resumption != "full":
                    self._context._count("hits")
            elif kind is ConnectionClosed:
                if event.clean:
                    self._close_received = True
                else:
                    self._unclean = True
        return True

    def _fail(self, exc: TLSError):
        self._error = map_error(exc)
        raise self._error from None

    def _server_gate(self, data: bytes):
        """Hold the first flight until the ClientHello is complete, then build the engine.

        Returns the bytes to feed the new engine, or None to wait for more.
        """
        hello = self._hello
        if hello:
            hello += data
            data = hello
        message = b""
        if not self._eof and len(data) < _MAX_HELLO:
            message = _first_hello(data)
            if message is None:
                if data is not hello:
                    hello += data
                return None
        self._hello = None
        self._client_hello = message
        context = self._context
        callback = context.sni_callback
        if callback is not None:
            owner = self._owner if self._owner is not None else self
            result = callback(owner, _client_hello_info(message)[0], context)
            if result is not None:  # an ALERT_DESCRIPTION_* value aborts the handshake
                alert = AlertDescription(result)
                self._outgoing.write(bytes((21, 3, 3, 0, 2, 2, alert)))
                self._error = ssl.SSLError(ssl.SSL_ERROR_SSL, f"[SSL: TLSV1_ALERT_{alert.name.upper()}] "
                                           "sni_callback aborted the handshake")
                raise self._error
            context = self._context  # the callback may have switched it
        self._conn = context._new_connection(True, None, None)
        context._count("accept")
        return data

    # -- the ssl.SSLObject API ------------------------------------------------------

    @property
    def context(self):
        """The SSLContext; assignable (from an sni_callback) before the engine starts."""
        return self._context

    @context.setter
    def context(self, ctx):
        if self._conn is not None:
            raise NotImplementedError("tls12fast cannot change the context after the handshake started")
        self._context = ctx

    @property
    def server_side(self) -> bool:
        return self._server_side

    @property
    def server_hostname(self):
        return self._server_hostname

    @property
    def session(self):
        """The SSLSession to resume later (client side), or None."""
        state = getattr(self._conn, "session", None) if self._conn is not None else None
        return SSLSession(state) if state is not None else None

    @session.setter
    def session(self, value):
        raise NotImplementedError("pass session= to SSLContext.wrap_bio()/wrap_socket() instead")

    @property
    def session_reused(self) -> bool:
        conn = self._conn
        return bool(conn is not None and conn.handshake_complete and conn.resumption != "full")

    def do_handshake(self) -> None:
        """Advance the handshake; raise SSLWantReadError until it completes."""
        if self._error is not None:
            raise self._error
        self._flush()
        while self._conn is None or not self._conn.handshake_complete:
            if self._close_received:
                raise zero_return()
            if self._unclean or (self._eof and self._incoming.pending == 0 and self._conn is None):
                raise eof_error()
            if not self._feed():
                raise want_read()

    def read(self, len=1024, buffer=None):
        """Read up to `len` decrypted bytes (into `buffer` if given); b""/0 after close_notify."""
        if self._conn is None or not self._conn.handshake_complete:
            self.do_handshake()
        if self._error is not None:
            raise self._error
        plain = self._plain
        while not plain:
            if self._close_received:
                return 0 if buffer is not None else b""
            if self._unclean:
                raise eof_error()
            if not self._feed():
                raise want_read()
        if buffer is not None:
            view = memoryview(buffer).cast("B")
            n = min(len, view.nbytes, plain.__len__()) if len > 0 else min(view.nbytes, plain.__len__())
            view[:n] = plain[:n]
            del plain[:n]
            return n
        return take(plain, len)

    def write(self, data) -> int:
        """Encrypt and queue `data`; returns its length."""
        if self._conn is None or not self._conn.handshake_complete:
            self.do_handshake()
        if self._error is not None:
            raise self._error
        if self._close_sent:
            raise shutdown_error()
        if type(data) is not bytes:
            data = bytes(data)
        try:
            self._conn.send(data)
        except TLSError as exc:
            self._fail(exc)
        self._flush()
        return len(data)

    def pending(self) -> int:
        return len(self._plain)

    def unwrap(self):
        """Send close_notify, then wait (SSLWantReadError) for the peer's (RFC 5246 §7.2.1)."""
        if self._conn is None:
            raise ValueError("No SSL wrapper around " + repr(self))
        if not self._close_sent:
            self._close_sent = True
            self._conn.close()
            self._flush()
        while not self._close_received:
            if self._unclean or (self._eof and not self._incoming.pending):
                raise eof_error()
            if not self._feed():
                raise want_read()
        return None

    def getpeercert(self, binary_form=False):
        """The peer's leaf certificate: DER, or (if verified) the ssl-style dict."""
        if self._conn is None or not self._conn.handshake_complete:
            raise ValueError("handshake not done yet")
        chain = self._conn.peer_certificates or ()
        if not chain:
            return None
        leaf = chain[0]
        der = leaf if isinstance(leaf, (bytes, bytearray)) else leaf.public_bytes(Encoding.DER)
        if binary_form:
            return bytes(der)
        if self._context.verify_mode == ssl.CERT_NONE:
            return {}
        return decode_cert(der)

    def cipher(self):
        conn = self._conn
        if conn is None or not conn.handshake_complete:
            return None
        return suite_tuple(BY_NAME[conn.cipher_suite])

    def shared_ciphers(self):
        """Suites both sides support (server side), or None (client side / before hello)."""
        if not self._server_side or self._conn is None:
            return None
        offered = set(_client_hello_info(self._client_hello)[1])
        return [suite_tuple(s) for s in self._context._suites() if s.code in offered]

    def compression(self):
        return None

    def version(self):
        return "TLSv1.2" if self._conn is not None and self._conn.handshake_complete else None

    def selected_alpn_protocol(self):
        proto = self._conn.alpn_protocol if self._conn is not None else None
        return proto.decode("ascii") if isinstance(proto, bytes) else proto

    def selected_npn_protocol(self):
        return None

    def get_channel_binding(self, cb_type="tls-unique"):
        raise NotImplementedError("tls12fast does not expose channel bindings (tls-unique) yet")

    def verify_client_post_handshake(self):
        raise NotImplementedError("post-handshake authentication is TLS 1.3 only; tls12fast speaks TLS 1.2")
