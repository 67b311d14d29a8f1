# asyncio driver for a tls12fast sans-IO connection, over asyncio streams.
#
# How this works: TLSStream.handshake() writes what the engine queued, reads what the
# peer sent and feeds it to receive_data() until HandshakeComplete, all under one
# asyncio.timeout (a peer that trickles bytes — slowloris — still hits it). recv()
# returns decrypted bytes (b"" after close_notify or EOF); send() encrypts and drains.
# start_server() runs the handshake for each accepted connection before calling the
# handler, and closes connections whose handshake fails or times out without letting
# the error escape into the event loop.
# For `ssl=` servers and clients written against plain asyncio, new_event_loop() (from
# aio_loop.py) gives an event loop that runs tls12fast.SSLContext connections without
# asyncio's sslproto layer.
from __future__ import annotations

import asyncio

from . import absorb, take
from ..errors import TLSError
from .aio_loop import TLSEventLoop, TLSEventLoopPolicy, new_event_loop

__all__ = ["TLSStream", "open_connection", "start_server", "TLSEventLoop", "TLSEventLoopPolicy",
           "new_event_loop"]


class TLSStream:
    """An asyncio stream pair plus a sans-IO TLS connection.

    Attributes:
        conn: the ServerConnection / ClientConnection.
        reader, writer: the underlying asyncio streams (ciphertext).
    """

    def __init__(self, conn, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.conn, self.reader, self.writer = conn, reader, writer
        self._plain = bytearray()
        self._closed_by_peer = False

    def _flush(self) -> None:
        out = self.conn.data_to_send()
        if out:
            self.writer.write(out)

    async def _pump(self) -> None:
        data = await self.reader.read(65536)
        try:
            events = self.conn.receive_data(data)
        except TLSError:
            self._flush()
            raise
        self._flush()
        if absorb(events, self._plain) or not data:
            self._closed_by_peer = True
        await self.writer.drain()

    async def handshake(self, timeout: float | None = 10.0) -> None:
        """Run the handshake; raises TimeoutError, ConnectionError or TLSError."""
        async with asyncio.timeout(timeout):
            self._flush()
            await self.writer.drain()
            while not self.conn.handshake_complete:
                if self._closed_by_peer:
                    raise ConnectionError("peer closed the connection during the handshake")
                await self._pump()

    async def recv(self, max_bytes: int = 65536) -> bytes:
        """Up to `max_bytes` of application data; b"" once the peer has closed."""
        while not self._plain and not self._closed_by_peer:
            await self._pump()
        return take(self._plain, max_bytes)

    async def send(self, data) -> None:
        """Encrypt `data`, write it and wait for the transport to drain."""
        self.conn.send(data)
        self._flush()
        await self.writer.drain()

    async def aclose(self) -> None:
        """Send close_notify (best effort) and close the transport."""
        try:
            if not self.conn.closed:
                self.conn.close()
                self._flush()
        except TLSError:
            pass
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except OSError:
            pass


async def open_connection(host: str, port: int, config, *, server_name: str | None = None,
                          session=None, handshake_timeout: float | None = 10.0) -> TLSStream:
    """Connect, run the client handshake and return the TLSStream."""
    from ..client.connection import ClientConnection

    reader, writer = await asyncio.open_connection(host, port)
    stream = TLSStream(ClientConnection(config, server_name=server_name, session=session), reader, writer)
    try:
        await stream.handshake(handshake_timeout)
    except BaseException:
        writer.close()
        raise
    return stream


async def start_server(handler, host: str, port: int, config, *, handshake_timeout: float | None = 10.0,
                       on_error=None, **kwargs) -> asyncio.Server:
    """asyncio.start_server() whose handler receives a TLSStream after the handshake.

    Args:
        handler: coroutine function taking the TLSStream.
        config: the ServerConfig for every connection.
        handshake_timeout: seconds a client gets to finish its handshake.
        on_error: optional callable(exc) told about failed handshakes.
        **kwargs: passed to asyncio.start_server (e.g. reuse_port=True).
    """
    from ..server.connection import ServerConnection

    async def serve(reader, writer):
        stream = TLSStream(ServerConnection(config), reader, writer)
        try:
            await stream.handshake(handshake_timeout)
        except (TLSError, OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            if on_error is not None:
                on_error(exc)
            writer.close()
            return
        try:
            await handler(stream)
        except (TLSError, OSError) as exc:
            if on_error is not None:
                on_error(exc)
        finally:
            writer.close()

    return await asyncio.start_server(serve, host, port, **kwargs)
