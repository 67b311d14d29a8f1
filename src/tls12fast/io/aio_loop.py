# asyncio without sslproto: an event loop whose `ssl=` streams run tls12fast directly.
#
# How this works: asyncio builds every `ssl=` connection (start_server, open_connection,
# create_server, create_connection) through the loop's _make_ssl_transport(), which puts
# sslproto.SSLProtocol - a general state machine over ssl.SSLObject, two MemoryBIOs, a
# 256 KiB read buffer and shutdown timers - between the socket transport and the app
# protocol. TLSEventLoop overrides that one method: for a tls12fast.SSLContext it stacks a
# TLSProtocol on the socket transport instead (any other context still gets sslproto).
# TLSProtocol is a BufferedProtocol: the socket transport receives into one buffer the loop
# shares among its TLS connections (no per-read allocation: asyncio's plain recv(256 KiB)
# path costs an mmap/mremap/munmap per read), and the bytes go to the context's SSLObject
# through _Inbox, a one-slot incoming BIO. Its "outgoing BIO" is a plain list (_Pipe): what
# a callback produces goes to the socket transport in one write at its end. The app's
# writes are corked until the loop's next turn (or until _CORK_LIMIT bytes wait), so a
# response written just before close() leaves in one segment with the close_notify: one
# send() system call fewer per short connection.
# After the handshake the app protocol gets connection_made() with a TLSTransport and
# decrypted data_received() calls, as with sslproto.
#
# Closing (TLSTransport.close): close_notify is sent and the socket closed after its write
# buffer drains - RFC 5246 §7.2.1 lets the side that closes skip waiting for the peer's
# close_notify. The peer's close_notify reaches the app as eof_received(); an EOF without
# it (a truncation, RFC 5246 §7.2.1) as connection_lost(ssl.SSLEOFError). Flow control is
# the socket transport's own: its pause_writing()/resume_writing() go to the app protocol,
# and pause_reading() stops the socket. loop.start_tls() with a tls12fast.SSLContext puts a
# TLSProtocol on the existing transport the same way (the app keeps its protocol and gets
# no second connection_made()).
from __future__ import annotations

import asyncio
import logging
import ssl

from ..compat import SSLContext

__all__ = ["TLSEventLoop", "TLSEventLoopPolicy", "TLSProtocol", "TLSTransport", "new_event_loop"]

logger = logging.getLogger("tls12fast.io")

_HANDSHAKE_TIMEOUT = 60.0  # asyncio's default (constants.SSL_HANDSHAKE_TIMEOUT)
_READ_SIZE = 65536
_RECV_SIZE = 65536  # bytes per recv_into(): four full-size records
_CORK_LIMIT = 65536  # app writes beyond this go out at once (the socket's flow control sees them)
_HANDSHAKING, _OPEN, _CLOSING, _CLOSED = range(4)


class _Inbox:
    """The SSLObject's incoming BIO: ciphertext received and not yet fed to the engine."""

    __slots__ = ("data", "eof")

    def __init__(self):
        self.data = b""
        self.eof = False

    @property
    def pending(self) -> int:
        return len(self.data)

    def write(self, data: bytes) -> None:
        self.data = self.data + data if self.data else data

    def write_eof(self) -> None:
        self.eof = True

    def read(self, size: int = -1) -> bytes:
        data = self.data
        if size < 0 or size >= len(data):
            self.data = b""
            return data
        self.data = data[size:]
        return data[:size]


class _Pipe:
    """The SSLObject's outgoing BIO: ciphertext waiting for TLSProtocol._flush()."""

    __slots__ = ("chunks", "size")

    def __init__(self):
        self.chunks: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> None:
        self.chunks.append(data)
        self.size += len(data)


class TLSProtocol(asyncio.BufferedProtocol):
    """The TLS layer between asyncio's socket transport and the app protocol.

    Created by TLSEventLoop for connections whose `ssl=` is a tls12fast.SSLContext;
    `read_buffer` is the loop's shared receive buffer (a writable memoryview).
    """

    def __init__(self, loop, app_protocol, context, waiter, read_buffer, server_side=False,
                 server_hostname=None, handshake_timeout=None, call_connection_made=True):
        self._loop = loop
        self._app = app_protocol
        self._waiter = waiter
        self._read_buffer = read_buffer
        self._incoming = _Inbox()
        self._outgoing = _Pipe()
        self._flush_soon = None  # the scheduled _flush() of corked app writes
        # wrap_bio() here, not in connection_made(): a bad server_hostname raises to the
        # caller of create_connection() as it does with sslproto.
        self._sslobj = context.wrap_bio(self._incoming, self._outgoing, server_side=server_side,
                                        server_hostname=server_hostname)
        self._timeout = handshake_timeout if handshake_timeout is not None else _HANDSHAKE_TIMEOUT
        self._timer = None
        self._transport = None
        self._state = _HANDSHAKING
        # start_tls(): the app protocol already had connection_made() from the plain transport.
        self._call_connection_made = call_connection_made
        self._app_connected = False  # connection_made() called, connection_lost() not yet
        self._app_paused = False  # the app paused reading
        self._raw_paused = False  # the socket transport paused our writing
        self._app_write_paused = False  # ...and we passed that on to the app
        self._error: BaseException | None = None  # why we aborted, for connection_lost
        self._extra = {"sslcontext": context}
        self.app_transport = TLSTransport(self)

    # -- from the socket transport ------------------------------------------------------

    def connection_made(self, transport):
        self._transport = transport
        self._timer = self._loop.call_later(self._timeout, self._handshake_timed_out)
        self._do_handshake()
        self._flush()

    def get_buffer(self, sizehint):
        return self._read_buffer

    def buffer_updated(self, nbytes):
        # Copied out at once: the buffer is the next connection's as soon as we return.
        self._incoming.write(self._read_buffer[:nbytes].tobytes())
        if self._state == _OPEN:
            self._read()
        elif self._state == _HANDSHAKING:
            self._do_handshake()
        # _CLOSING: we sent close_notify and are closing; what follows is ignored.
        self._flush()

    def eof_received(self):
        self._incoming.write_eof()
        if self._state == _HANDSHAKING:
            self._fail(ConnectionResetError("connection closed during the TLS handshake"))
        elif self._state == _OPEN:
            self._read()
        self._flush()
        return False  # TLS has no half-close: the socket transport closes itself

    def connection_lost(self, exc):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._flush_soon is not None:
            self._flush_soon.cancel()
            self._flush_soon = None
        self._outgoing.chunks.clear()
        self._outgoing.size = 0
        self._state = _CLOSED
        exc = exc or self._error
        self._wake(exc or ConnectionResetError("connection lost during the TLS handshake"))
        if self._app_connected:
            self._app_connected = False
            self._app.connection_lost(exc)
        # Drop the references that make cycles (app <-> transports), as sslproto does, so
        # a finished connection is freed by reference counting alone.
        self._transport = self._app = self.app_transport = None

    def pause_writing(self):
        self._raw_paused = True
        if self._app_connected and not self._app_write_paused:
            self._app_write_paused = True
            self._app.pause_writing()

    def resume_writing(self):
        self._raw_paused = False
        if self._app_write_paused:
            self._app_write_paused = False
            self._app.resume_writing()

    # -- handshake ------------------------------------------------------------------------

    def _do_handshake(self):
        sslobj = self._sslobj
        try:
            sslobj.do_handshake()
        except ssl.SSLWantReadError:
            return
        except (ssl.SSLError, OSError) as exc:
            self._fail(exc)
            return
        self._timer.cancel()
        self._timer = None
        self._extra.update(peercert=sslobj.getpeercert(), cipher=sslobj.cipher(),
                           compression=None, ssl_object=sslobj)
        self._state = _OPEN
        self._app_connected = True
        if self._call_connection_made:
            self._app.connection_made(self.app_transport)
        self._wake(None)
        if self._raw_paused:  # the handshake filled the socket's buffer: the app waits too
            self.pause_writing()
        if self._state == _OPEN and (self._incoming.data or sslobj.pending()):
            self._read()  # application data that came with the peer's Finished

    def _handshake_timed_out(self):
        self._timer = None
        if self._state == _HANDSHAKING:
            self._fail(ConnectionAbortedError(
                f"TLS handshake is taking longer than {self._timeout} seconds: aborting the connection"),
                abort=True)

    def _wake(self, exc):
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            if exc is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(exc)

    # -- reading --------------------------------------------------------------------------

    def _read(self):
        """Hand everything decryptable to the app (one data_received per call)."""
        if self._app_paused:
            return
        sslobj, incoming = self._sslobj, self._incoming
        chunks = []
        closed = False
        try:
            while True:
                data = sslobj.read(_READ_SIZE)
                if not data:  # the peer's close_notify (RFC 5246 §7.2.1)
                    closed = True
                    break
                chunks.append(data)
                if not incoming.data and not sslobj.pending():
                    break
        except ssl.SSLWantReadError:
            pass
        except (ssl.SSLError, OSError) as exc:  # a fatal alert, or EOF without close_notify
            if chunks:
                self._deliver(b"".join(chunks))
            self._fail(exc)
            return
        if chunks:
            self._deliver(b"".join(chunks))
        if closed and self._state == _OPEN:
            self._state = _CLOSING
            if self._app.eof_received():
                logger.warning("returning true from eof_received() has no effect with TLS")
            self._close()

    def _deliver(self, data: bytes) -> None:
        app = self._app
        if isinstance(app, asyncio.BufferedProtocol):
            view = memoryview(data)
            while view:
                buf = app.get_buffer(len(view))
                n = min(len(buf), len(view))
                buf[:n] = view[:n]
                app.buffer_updated(n)
                view = view[n:]
        else:
            app.data_received(data)

    # -- closing --------------------------------------------------------------------------

    def _close(self):
        """Send close_notify, then close the socket once its write buffer is flushed."""
        if self._state == _HANDSHAKING:
            self._abort(None)
            return
        if self._state != _OPEN:
            return
        self._state = _CLOSING
        try:
            self._sslobj.unwrap()
        except (ssl.SSLError, OSError):  # SSLWantReadError: we do not wait for the peer's
            pass
        self._flush()  # corked app data and close_notify: one write
        if self._transport is not None:
            self._transport.close()

    def _abort(self, exc):
        self._error = self._error or exc
        self._outgoing.chunks.clear()
        self._outgoing.size = 0
        if self._transport is not None:
            self._transport.abort()

    def _flush(self):
        """Hand the ciphertext the engine produced to the socket transport, in one write."""
        if self._flush_soon is not None:
            self._flush_soon.cancel()
            self._flush_soon = None
        pipe = self._outgoing
        chunks = pipe.chunks
        if chunks:
            data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            chunks.clear()
            pipe.size = 0
            if self._transport is not None:
                self._transport.write(data)

    def _cork(self):
        """After an app write: flush on the loop's next turn, or now past _CORK_LIMIT."""
        if self._outgoing.size >= _CORK_LIMIT:
            self._flush()
        elif self._flush_soon is None:
            self._flush_soon = self._loop.call_soon(self._flush)

    def _fail(self, exc: BaseException, abort: bool = False) -> None:
        """A fatal error: report `exc` and close (after flushing the alert the engine
        queued, unless `abort`)."""
        if self._loop.get_debug():
            logger.debug("%r: TLS connection failed", self, exc_info=exc)
        self._error = self._error or exc
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._wake(exc)
        if self._state != _CLOSED:
            self._state = _CLOSING
        if abort:
            self._abort(None)
        elif self._transport is not None:
            self._flush()  # the alert the engine queued
            self._transport.close()


class TLSTransport(asyncio.Transport):
    """The app protocol's transport: plaintext in, records out (an asyncio.Transport)."""

    def __init__(self, tls: TLSProtocol):
        super().__init__()
        self._tls = tls
        self._closed = False

    def get_extra_info(self, name, default=None):
        """"ssl_object", "sslcontext", "peercert", "cipher", "compression", or the socket's."""
        tls = self._tls
        if name in tls._extra:
            return tls._extra[name]
        if tls._transport is not None:
            return tls._transport.get_extra_info(name, default)
        return default

    def set_protocol(self, protocol):
        self._tls._app = protocol

    def get_protocol(self):
        return self._tls._app

    def is_closing(self):
        return self._closed

    def close(self):
        if not self._closed:
            self._closed = True
            self._tls._close()

    def abort(self):
        self._closed = True
        self._tls._abort(None)

    def write(self, data):
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data: expecting a bytes-like instance, got {type(data).__name__}")
        if not data:
            return
        tls = self._tls
        if tls._state != _OPEN:
            return  # closing or closed: dropped, as sslproto and the socket transport do
        try:
            tls._sslobj.write(data)
        except (ssl.SSLError, OSError) as exc:
            tls._fail(exc)
            return
        tls._cork()

    def writelines(self, list_of_data):
        self.write(b"".join(list_of_data))

    def write_eof(self):
        raise NotImplementedError("TLS does not support half-closes (write_eof)")

    def can_write_eof(self):
        return False

    def is_reading(self):
        transport = self._tls._transport
        return transport is not None and not self._tls._app_paused and transport.is_reading()

    def pause_reading(self):
        tls = self._tls
        tls._app_paused = True
        if tls._transport is not None:
            tls._transport.pause_reading()

    def resume_reading(self):
        tls = self._tls
        if tls._app_paused:
            tls._app_paused = False
            if tls._transport is not None:
                tls._transport.resume_reading()
            if tls._state == _OPEN:
                tls._loop.call_soon(tls._read)  # what arrived before the pause

    def set_write_buffer_limits(self, high=None, low=None):
        if self._tls._transport is not None:
            self._tls._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_limits(self):
        transport = self._tls._transport
        return transport.get_write_buffer_limits() if transport is not None else (0, 0)

    def get_write_buffer_size(self):
        tls = self._tls
        corked = tls._outgoing.size
        return corked + (tls._transport.get_write_buffer_size() if tls._transport is not None else 0)


class TLSEventLoop(asyncio.SelectorEventLoop):
    """asyncio's selector event loop, with tls12fast.SSLContext connections run by
    TLSProtocol instead of sslproto (other `ssl=` contexts are unchanged)."""

    _tls_read_buffer = None  # TLSProtocol's receive buffer, shared by the loop's connections

    def _read_buffer(self) -> memoryview:
        if self._tls_read_buffer is None:
            self._tls_read_buffer = memoryview(bytearray(_RECV_SIZE))
        return self._tls_read_buffer

    def _make_ssl_transport(self, rawsock, protocol, sslcontext, waiter=None, **kwargs):
        if not isinstance(sslcontext, SSLContext):
            return super()._make_ssl_transport(rawsock, protocol, sslcontext, waiter, **kwargs)
        tls = TLSProtocol(self, protocol, sslcontext, waiter, self._read_buffer(),
                          server_side=kwargs.get("server_side", False),
                          server_hostname=kwargs.get("server_hostname"),
                          handshake_timeout=kwargs.get("ssl_handshake_timeout"))
        self._make_socket_transport(rawsock, tls, extra=kwargs.get("extra"),
                                    server=kwargs.get("server"))
        return tls.app_transport

    async def start_tls(self, transport, protocol, sslcontext, *, server_side=False,
                        server_hostname=None, ssl_handshake_timeout=None, ssl_shutdown_timeout=None):
        """Upgrade `transport` to TLS, as asyncio's start_tls() does; a tls12fast.SSLContext
        gets a TLSProtocol. (ssl_shutdown_timeout has nothing to time: TLSProtocol does not
        wait for the peer's close_notify.)"""
        if not isinstance(sslcontext, SSLContext):
            return await super().start_tls(
                transport, protocol, sslcontext, server_side=server_side, server_hostname=server_hostname,
                ssl_handshake_timeout=ssl_handshake_timeout, ssl_shutdown_timeout=ssl_shutdown_timeout)
        if not getattr(transport, "_start_tls_compatible", False):
            raise TypeError(f"transport {transport!r} is not supported by start_tls()")
        waiter = self.create_future()
        tls = TLSProtocol(self, protocol, sslcontext, waiter, self._read_buffer(), server_side=server_side,
                          server_hostname=server_hostname, handshake_timeout=ssl_handshake_timeout,
                          call_connection_made=False)
        # As asyncio does: pause first, so that no data reaches the TLSProtocol before its
        # connection_made() (bytes already received stay in the socket until resume).
        transport.pause_reading()
        transport.set_protocol(tls)
        made = self.call_soon(tls.connection_made, transport)
        resumed = self.call_soon(transport.resume_reading)
        try:
            await waiter
        except BaseException:
            transport.close()
            made.cancel()
            resumed.cancel()
            raise
        return tls.app_transport


class TLSEventLoopPolicy(asyncio.DefaultEventLoopPolicy):
    """An event loop policy whose new loops are TLSEventLoops."""

    def new_event_loop(self):
        return TLSEventLoop()


def new_event_loop() -> TLSEventLoop:
    """A new TLSEventLoop, e.g. `asyncio.Runner(loop_factory=new_event_loop)`."""
    return TLSEventLoop()
