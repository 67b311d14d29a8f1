# SSLSocket: the ssl.SSLSocket-compatible socket of the ssl-compatible facade.
#
# How this works: an SSLSocket is a socket.socket (it takes over the file descriptor of
# the socket passed to wrap_socket(), as ssl does) plus an SSLObject (compat_object.py)
# over two private memory BIOs. Every TLS call runs through _call(): the SSLObject method
# is retried until it stops raising ssl.SSLWantReadError, each time sending what it
# queued and reading the socket into `incoming`. A non-blocking socket lets
# SSLWantReadError / SSLWantWriteError out instead, exactly like ssl. Unsent ciphertext
# waits in a bytearray, so a short send() never loses records.
from __future__ import annotations

import errno
import socket
import ssl

from .compat_errors import want_read
from .compat_object import SSLObject

__all__ = ["SSLSocket"]


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
                    raise want_read() from None
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

    # Refused exactly as SSLObject refuses them.
    get_channel_binding = SSLObject.get_channel_binding
    verify_client_post_handshake = SSLObject.verify_client_post_handshake
