# The objects behind the ssl-compatible facade: SSLObject (memory BIOs) and SSLSocket.
#
# How this works: an SSLObject owns one sans-IO tls12fast connection and two byte
# pipes — `incoming` (ciphertext from the peer) and `outgoing` (ciphertext to the peer),
# the same ssl.MemoryBIO objects asyncio's sslproto hands to ssl.SSLObject. Every public
# call first drains `incoming` into `receive_data()` (at most 64 KiB at a time, and only
# while it needs more, so buffered plaintext stays bounded), then writes whatever the
# engine queued into `outgoing`. When it needs bytes the peer has not sent yet it raises
# ssl.SSLWantReadError, exactly like OpenSSL, so callers written for `ssl` drive it
# unchanged. An SSLSocket is an SSLObject plus a socket pump: on SSLWantReadError it
# reads the socket into `incoming` (or, for a non-blocking socket, lets the error out).
#
# Server side with an sni_callback: the first ClientHello is parsed here (RFC 6066 §3)
# before the engine is created, so the callback can swap `sslobj.context` and the
# connection is built from the chosen context's configuration.
#
# Errors: tls12fast.TLSError becomes the stdlib type (certificate problems →
# ssl.SSLCertVerificationError with OpenSSL's verify_code, everything else ssl.SSLError
# naming the alert); EOF without close_notify → ssl.SSLEOFError; a clean close_notify
# makes read() return b"" as OpenSSL does.
from __future__ import annotations

import datetime
import errno
import socket
import ssl
import struct

from cryptography.hazmat.primitives.serialization import Encoding

from .enums import AlertDescription
from .errors import CertificateError, PeerAlertError, TLSError
from .events import ApplicationData, ConnectionClosed, HandshakeComplete

__all__ = ["SSLObject", "SSLSocket", "SSLSession", "openssl_name", "map_error"]

_CHUNK = 65536
_MAX_HELLO = 65536 + 5


# ---------------------------------------------------------------------------- names

def openssl_name(iana: str) -> str:
    """OpenSSL's name for an IANA TLS 1.2 suite name (e.g. "ECDHE-RSA-AES128-GCM-SHA256")."""
    kx_auth, _, rest = iana[4:].partition("_WITH_")
    prefix = {"RSA": "", "ECDHE_RSA": "ECDHE-RSA-", "ECDHE_ECDSA": "ECDHE-ECDSA-",
              "DHE_RSA": "DHE-RSA-"}[kx_auth]
    if rest.startswith("CHACHA20_POLY1305"):
        return prefix + "CHACHA20-POLY1305"
    bits, mode, mac = rest[4:7], rest[8:11], rest[12:]
    if mode == "GCM":
        return f"{prefix}AES{bits}-GCM-{mac}"
    return f"{prefix}AES{bits}-{mac}"


def _suite_tuple(suite) -> tuple[str, str, int]:
    return openssl_name(suite.name), "TLSv1.2", suite.key_len * 8


# ---------------------------------------------------------------------------- errors

# OpenSSL X509_V_ERR_* codes that ssl.SSLCertVerificationError carries in verify_code.
_VERIFY = {
    AlertDescription.certificate_expired: (10, "certificate has expired"),
    AlertDescription.unknown_ca: (20, "unable to get local issuer certificate"),
}


def map_error(exc: TLSError) -> ssl.SSLError:
    """The stdlib ssl exception for a tls12fast error (alert name in the message)."""
    if isinstance(exc, CertificateError):
        text = str(exc)
        if exc.alert in _VERIFY:
            code, message = _VERIFY[exc.alert]
        elif "is not valid for" in text:
            code, message = 62, "Hostname mismatch, " + text
        else:
            code, message = 26 if "rejected" in text else 0, text
        err = ssl.SSLCertVerificationError(
            ssl.SSL_ERROR_SSL, f"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {message}")
        err.verify_code, err.verify_message = code, message
        err.library, err.reason = "SSL", "CERTIFICATE_VERIFY_FAILED"
        return err
    alert = exc.alert.name.upper() if exc.alert is not None else "PROTOCOL_ERROR"
    if isinstance(exc, PeerAlertError):
        reason = f"TLSV1_ALERT_{alert}" if alert != "HANDSHAKE_FAILURE" else "SSLV3_ALERT_HANDSHAKE_FAILURE"
    else:
        reason = alert
    err = ssl.SSLError(ssl.SSL_ERROR_SSL, f"[SSL: {reason}] {exc}")
    err.library, err.reason = "SSL", reason
    return err


def _eof_error() -> ssl.SSLEOFError:
    return ssl.SSLEOFError(ssl.SSL_ERROR_EOF, "EOF occurred in violation of protocol")


def _want_read() -> ssl.SSLWantReadError:
    return ssl.SSLWantReadError(ssl.SSL_ERROR_WANT_READ, "The operation did not complete (read)")


# ---------------------------------------------------------------------------- sessions

class SSLSession:
    """A resumable session, as returned by `SSLObject.session` (ssl.SSLSession-like).

    Wraps a tls12fast SessionState; pass it back as `session=` to wrap_bio/wrap_socket.
    """

    __slots__ = ("_state",)

    def __init__(self, state):
        self._state = state

    @property
    def id(self) -> bytes:
        return self._state.session_id

    @property
    def time(self) -> int:
        return int(self._state.created_at)

    @property
    def timeout(self) -> int:
        return self._state.lifetime

    @property
    def ticket_lifetime_hint(self) -> int:
        return self._state.ticket_lifetime_hint

    @property
    def has_ticket(self) -> bool:
        return bool(self._state.ticket)

    def __eq__(self, other):
        return isinstance(other, SSLSession) and other._state == self._state

    def __hash__(self):
        return hash(self._state.session_id) ^ hash(self._state.ticket)

    def __repr__(self) -> str:
        return f"<tls12fast SSLSession id={self.id.hex()[:16]} ticket={self.has_ticket}>"


_OID_NAMES = {"CN": "commonName", "O": "organizationName", "OU": "organizationalUnitName",
              "C": "countryName", "ST": "stateOrProvinceName", "L": "localityName"}


def _decode_cert(der: bytes) -> dict:
    """ssl.SSLSocket.getpeercert()-style dict for a DER certificate."""
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)

    def name(n):
        return tuple(((_OID_NAMES.get(a.rfc4514_attribute_name, a.oid.dotted_string), a.value),)
                     for a in n)

    def when(t: datetime.datetime) -> str:  # OpenSSL's ASN1_TIME_print format
        return f"{t:%b} {t.day:2d} {t:%H:%M:%S %Y} GMT"

    out = {"subject": name(cert.subject), "issuer": name(cert.issuer), "version": cert.version.value + 1,
           "serialNumber": f"{cert.serial_number:X}", "notBefore": when(cert.not_valid_before_utc),
           "notAfter": when(cert.not_valid_after_utc)}
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        out["subjectAltName"] = tuple(
            [("DNS", v) for v in san.get_values_for_type(x509.DNSName)]
            + [("IP Address", str(v)) for v in san.get_values_for_type(x509.IPAddress)])
    except x509.ExtensionNotFound:
        pass
    return out


# ---------------------------------------------------------------------------- ClientHello peek

def _client_hello_info(hello: bytes):
    """(server_name, [suite codes]) from a ClientHello body (RFC 5246 §7.4.1.2, RFC 6066 §3).

    Returns (None, []) for anything malformed: the engine reports the real error.
    """
    try:
        pos = 34
        pos += 1 + hello[pos]
        (n,) = struct.unpack_from("!H", hello, pos)
        suites = list(struct.unpack_from(f"!{n // 2}H", hello, pos + 2))
        pos += 2 + n
        pos += 1 + hello[pos]
        (ext_len,) = struct.unpack_from("!H", hello, pos)
        pos += 2
        end = min(len(hello), pos + ext_len)
        while pos + 4 <= end:
            etype, elen = struct.unpack_from("!HH", hello, pos)
            pos += 4
            if etype == 0:  # server_name: list<2> of (type<1>, name<2>)
                if hello[pos + 2] == 0:
                    (nlen,) = struct.unpack_from("!H", hello, pos + 3)
                    return bytes(hello[pos + 5:pos + 5 + nlen]).decode("ascii"), suites
            pos += elen
        return None, suites
    except (struct.error, IndexError, UnicodeDecodeError):
        return None, []


# ---------------------------------------------------------------------------- SSLObject

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
        self._owner = owner if owner is not None else self
        self._plain = bytearray()
        self._close_received = self._eof = self._unclean = self._close_sent = False
        self._error: ssl.SSLError | None = None
        self._hello = bytearray()  # server: first flight, kept until the engine exists
        self._client_suites: list[int] = []
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
        if self._conn is None:
            data = self._server_gate(data)
            if data is None:
                return True
        try:
            events = self._conn.receive_data(data)
        except TLSError as exc:
            self._flush()
            self._fail(exc)
        self._flush()
        for event in events:
            if type(event) is ApplicationData:
                self._plain += event.data
            elif type(event) is HandshakeComplete:
                self._context._count("accept_good" if self._server_side else "connect_good")
                if self._server_side and event.resumption != "full":
                    self._context._count("hits")
            elif type(event) is ConnectionClosed:
                if event.clean:
                    self._close_received = True
                else:
                    self._unclean = True
        return True

    def _fail(self, exc: TLSError):
        self._error = map_error(exc)
        raise self._error from None

    def _server_gate(self, data: bytes):
        """Hold the first flight until the ClientHello is complete, then build the engine."""
        self._hello += data
        buf = self._hello
        if len(buf) >= 9 and buf[0] == 22 and not self._eof and len(buf) < _MAX_HELLO:
            (rec_len,) = struct.unpack_from("!H", buf, 3)
            need = 4 + int.from_bytes(buf[6:9], "big")
            body, pos = bytearray(), 0
            while pos + 5 <= len(buf) and len(body) < need:  # join handshake fragments
                (rec_len,) = struct.unpack_from("!H", buf, pos + 3)
                if buf[pos] != 22 or pos + 5 + rec_len > len(buf):
                    break
                body += buf[pos + 5:pos + 5 + rec_len]
                pos += 5 + rec_len
            if len(body) < need and (pos + 5 > len(buf) or pos + 5 + rec_len > len(buf)):
                return None  # wait for the rest of the ClientHello
            name, self._client_suites = _client_hello_info(bytes(body[4:need]))
        elif len(buf) < 9 and not self._eof:
            return None
        else:
            name = None
        context = self._context
        callback = context.sni_callback
        if callback is not None:
            result = callback(self._owner, name, context)
            if result is not None:  # an ALERT_DESCRIPTION_* value aborts the handshake
                alert = AlertDescription(result)
                self._outgoing.write(bytes((21, 3, 3, 0, 2, 2, alert)))
                self._error = ssl.SSLError(ssl.SSL_ERROR_SSL, f"[SSL: TLSV1_ALERT_{alert.name.upper()}] "
                                           "sni_callback aborted the handshake")
                raise self._error
        self._conn = self._context._new_connection(True, None, None)
        self._context._count("accept")
        data, self._hello = bytes(self._hello), bytearray()
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
                raise ssl.SSLZeroReturnError(ssl.SSL_ERROR_ZERO_RETURN, "TLS/SSL connection has been closed (EOF)")
            if self._unclean or (self._eof and self._incoming.pending == 0 and self._conn is None):
                raise _eof_error()
            if not self._feed():
                raise _want_read()

    def read(self, len=1024, buffer=None):
        """Read up to `len` decrypted bytes (into `buffer` if given); b""/0 after close_notify."""
        if self._conn is None or not self._conn.handshake_complete:
            self.do_handshake()
        if self._error is not None:
            raise self._error
        while not self._plain:
            if self._close_received:
                return 0 if buffer is not None else b""
            if self._unclean:
                raise _eof_error()
            if not self._feed():
                raise _want_read()
        plain = self._plain
        if buffer is not None:
            n = min(len, memoryview(buffer).nbytes, plain.__len__()) if len > 0 else min(memoryview(buffer).nbytes, plain.__len__())
            memoryview(buffer).cast("B")[:n] = plain[:n]
            del plain[:n]
            return n
        n = min(len, plain.__len__())
        data = bytes(plain[:n])
        del plain[:n]
        return data

    def write(self, data) -> int:
        """Encrypt and queue `data`; returns its length."""
        if self._conn is None or not self._conn.handshake_complete:
            self.do_handshake()
        if self._error is not None:
            raise self._error
        if self._close_sent:
            raise ssl.SSLError(ssl.SSL_ERROR_SSL, "[SSL: PROTOCOL_IS_SHUTDOWN] protocol is shutdown")
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
                raise _eof_error()
            try:
                fed = self._feed()
            except ssl.SSLError:
                raise
            if not fed:
                raise _want_read()
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
        return _decode_cert(der)

    def cipher(self):
        if self._conn is None or not self._conn.handshake_complete:
            return None
        from .suites import BY_NAME
        return _suite_tuple(BY_NAME[self._conn.cipher_suite])

    def shared_ciphers(self):
        """Suites both sides support (server side), or None (client side / before hello)."""
        if not self._server_side or self._conn is None:
            return None
        offered = set(self._client_suites)
        return [_suite_tuple(s) for s in self._context._suites() if s.code in offered]

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




# ---------------------------------------------------------------------------- SSLSocket

def _no_flags(flags: int, name: str) -> None:
    if flags:
        raise ValueError(f"non-zero flags not allowed in calls to {name}() on SSLSocket")


class SSLSocket(ssl.SSLSocket):
    """ssl.SSLSocket-compatible socket whose TLS is run by tls12fast.

    Instances come from `tls12fast.SSLContext.wrap_socket()` (which takes over the
    file descriptor of the socket passed in, as ssl does) and from accept().
    """

    def __init__(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} does not have a public constructor. "
                        "Instances are returned by SSLContext.wrap_socket().")

    @classmethod
    def _create(cls, sock, context, server_side=False, server_hostname=None, session=None,
                do_handshake_on_connect=True, suppress_ragged_eofs=True):
        if sock.type != socket.SOCK_STREAM:
            raise NotImplementedError("only stream sockets are supported")
        timeout = sock.gettimeout()
        if do_handshake_on_connect and timeout == 0.0:
            raise ValueError("do_handshake_on_connect should not be specified for non-blocking sockets")
        kwargs = dict(family=sock.family, type=sock.type, proto=sock.proto, fileno=sock.fileno())
        self = cls.__new__(cls, **kwargs)
        socket.socket.__init__(self, **kwargs)
        sock.detach()
        self.settimeout(timeout)
        self._context = context
        self.server_side, self.server_hostname = server_side, server_hostname
        self._session = session
        self.do_handshake_on_connect = do_handshake_on_connect
        self.suppress_ragged_eofs = suppress_ragged_eofs
        self._sslobj = None
        self._wbuf = bytearray()
        try:
            self.getpeername()
        except OSError as exc:
            if exc.errno != errno.ENOTCONN:
                raise
            return self
        self._start()
        if do_handshake_on_connect:
            try:
                self.do_handshake()
            except BaseException:
                self.close()
                raise
        return self

    def _start(self) -> None:
        self._sslobj = SSLObject._create(self._context, ssl.MemoryBIO(), ssl.MemoryBIO(), self.server_side,
                                         self.server_hostname, self._session, owner=self)

    # -- the socket pump ----------------------------------------------------------

    def _send_out(self) -> None:
        self._wbuf += self._sslobj._outgoing.read()
        while self._wbuf:
            try:
                sent = socket.socket.send(self, self._wbuf)
            except BlockingIOError:
                raise ssl.SSLWantWriteError(ssl.SSL_ERROR_WANT_WRITE,
                                            "The operation did not complete (write)") from None
            del self._wbuf[:sent]

    def _call(self, method, *args):
        """Run an SSLObject method, moving bytes until it no longer wants to read."""
        sslobj = self._sslobj
        while True:
            try:
                result = method(*args)
            except ssl.SSLWantReadError:
                self._send_out()
                try:
                    data = socket.socket.recv(self, 65536)
                except BlockingIOError:
                    raise _want_read() from None
                if data:
                    sslobj._incoming.write(data)
                else:
                    sslobj._incoming.write_eof()
                continue
            except ssl.SSLError:
                try:
                    self._send_out()  # the alert, best effort
                except OSError:
                    pass
                raise
            self._send_out()
            return result

    def _check_connected(self):
        self.getpeername()  # raises OSError(ENOTCONN) like ssl

    def _checkClosed(self, msg=None):
        pass  # as in ssl: close() with live makefile() objects keeps the socket usable

    # -- handshake and connection setup -------------------------------------------------

    def do_handshake(self, block=False):
        self._check_connected()
        if self._sslobj is None:
            raise ValueError("do_handshake() on a socket without TLS")
        self._call(self._sslobj.do_handshake)

    def _real_connect(self, addr, connect_ex):
        if self.server_side:
            raise ValueError("can't connect in server-side mode")
        if self._sslobj is not None:
            raise ValueError("attempt to connect already-connected SSLSocket!")
        rc = socket.socket.connect_ex(self, addr) if connect_ex else None
        if not connect_ex:
            socket.socket.connect(self, addr)
        if rc:
            return rc
        self._start()
        if self.do_handshake_on_connect:
            self.do_handshake()
        return rc

    def connect(self, addr):
        self._real_connect(addr, False)

    def connect_ex(self, addr):
        return self._real_connect(addr, True)

    def accept(self):
        """Accept a connection and wrap it (server side, same context)."""
        newsock, addr = socket.socket.accept(self)
        newsock = self._context.wrap_socket(newsock, do_handshake_on_connect=self.do_handshake_on_connect,
                                            suppress_ragged_eofs=self.suppress_ragged_eofs, server_side=True)
        return newsock, addr

    # -- data ----------------------------------------------------------------------

    def read(self, len=1024, buffer=None):
        if self._sslobj is None:
            raise ValueError("Read on closed or unwrapped SSL socket.")
        try:
            return self._call(self._sslobj.read, len, buffer)
        except ssl.SSLEOFError:
            if self.suppress_ragged_eofs:
                return 0 if buffer is not None else b""
            raise

    def write(self, data):
        if self._sslobj is None:
            raise ValueError("Write on closed or unwrapped SSL socket.")
        return self._call(self._sslobj.write, data)

    def recv(self, buflen=1024, flags=0):
        if self._sslobj is None:
            return socket.socket.recv(self, buflen, flags)
        _no_flags(flags, "recv")
        return self.read(buflen)

    def recv_into(self, buffer, nbytes=None, flags=0):
        if self._sslobj is None:
            return socket.socket.recv_into(self, buffer, nbytes or 0, flags)
        _no_flags(flags, "recv_into")
        nbytes = nbytes or memoryview(buffer).nbytes
        return self.read(nbytes, buffer)

    def send(self, data, flags=0):
        if self._sslobj is None:
            return socket.socket.send(self, data, flags)
        _no_flags(flags, "send")
        return self.write(data)

    def sendall(self, data, flags=0):
        if self._sslobj is None:
            return socket.socket.sendall(self, data, flags)
        _no_flags(flags, "sendall")
        view = memoryview(data).cast("B")
        for start in range(0, len(view), 16384):
            self.write(view[start:start + 16384])

    def sendfile(self, file, offset=0, count=None):
        if self._sslobj is None:
            return socket.socket.sendfile(self, file, offset, count)
        return self._sendfile_use_send(file, offset, count)  # never os.sendfile (plaintext!)

    def sendto(self, data, flags_or_addr, addr=None):
        raise ValueError("sendto not allowed on instances of SSLSocket")

    def sendmsg(self, *args, **kwargs):
        raise NotImplementedError("sendmsg not allowed on instances of SSLSocket")

    def recvfrom(self, buflen=1024, flags=0):
        raise ValueError("recvfrom not allowed on instances of SSLSocket")

    def recvfrom_into(self, buffer, nbytes=None, flags=0):
        raise ValueError("recvfrom_into not allowed on instances of SSLSocket")

    def recvmsg(self, *args, **kwargs):
        raise NotImplementedError("recvmsg not allowed on instances of SSLSocket")

    def recvmsg_into(self, *args, **kwargs):
        raise NotImplementedError("recvmsg_into not allowed on instances of SSLSocket")

    def pending(self) -> int:
        return self._sslobj.pending() if self._sslobj is not None else 0

    # -- closing -------------------------------------------------------------------

    def unwrap(self):
        """Exchange close_notify alerts and return the socket, now speaking plaintext."""
        if self._sslobj is None:
            raise ValueError("No SSL wrapper around " + str(self))
        self._call(self._sslobj.unwrap)
        self._sslobj = None
        return self

    def shutdown(self, how):
        self._sslobj = None
        socket.socket.shutdown(self, how)

    def _real_close(self):
        self._sslobj = None
        socket.socket._real_close(self)

    def dup(self):
        raise NotImplementedError(f"Can't dup() {self.__class__.__name__} instances")

    # -- connection details (delegated) ----------------------------------------------

    @property
    def context(self):
        return self._context

    @context.setter
    def context(self, ctx):
        self._context = ctx
        if self._sslobj is not None:
            self._sslobj.context = ctx

    @property
    def session(self):
        return self._sslobj.session if self._sslobj is not None else None

    @session.setter
    def session(self, session):
        if self._sslobj is not None:
            raise NotImplementedError("pass session= to wrap_socket() instead")
        self._session = session

    @property
    def session_reused(self):
        return self._sslobj.session_reused if self._sslobj is not None else None

    def getpeercert(self, binary_form=False):
        self._check_connected()
        return self._sslobj.getpeercert(binary_form)

    def cipher(self):
        return self._sslobj.cipher() if self._sslobj is not None else None

    def shared_ciphers(self):
        return self._sslobj.shared_ciphers() if self._sslobj is not None else None

    def compression(self):
        return None

    def version(self):
        return self._sslobj.version() if self._sslobj is not None else None

    def selected_alpn_protocol(self):
        return self._sslobj.selected_alpn_protocol() if self._sslobj is not None else None

    def selected_npn_protocol(self):
        return None

    def get_channel_binding(self, cb_type="tls-unique"):
        raise NotImplementedError("tls12fast does not expose channel bindings (tls-unique) yet")

    def verify_client_post_handshake(self):
        raise NotImplementedError("post-handshake authentication is TLS 1.3 only; tls12fast speaks TLS 1.2")
