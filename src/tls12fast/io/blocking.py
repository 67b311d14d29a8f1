# Blocking-socket driver for a tls12fast sans-IO connection.
#
# How this works: handshake() alternates "write everything the engine queued" and "read
# what the peer sent and feed it to receive_data()" until HandshakeComplete, with one
# overall deadline (socket timeouts are set to the time left). recv() returns decrypted
# bytes, b"" after the peer's close_notify (RFC 5246 §7.2.1) or EOF. A TLSError from the
# engine is re-raised after its alert has been written to the peer.
from __future__ import annotations

import socket
import time

from . import absorb, take
from ..errors import TLSError

__all__ = ["TLSSocket", "connect", "accept"]


class TLSSocket:
    """A connected socket plus a sans-IO TLS connection, driven synchronously.

    Args:
        sock: a connected stream socket (taken over; closed by close()).
        conn: a ServerConnection or ClientConnection.
    """

    def __init__(self, sock: socket.socket, conn):
        self.sock = sock
        self.conn = conn
        self._plain = bytearray()
        self._closed_by_peer = False

    def _flush(self) -> None:
        out = self.conn.data_to_send()
        if out:
            self.sock.sendall(out)

    def _pump(self) -> None:
        data = self.sock.recv(65536)
        try:
            events = self.conn.receive_data(data)
        except TLSError:
            try:
                self._flush()
            except OSError:
                pass
            raise
        self._flush()
        if absorb(events, self._plain) or not data:
            self._closed_by_peer = True

    def handshake(self, timeout: float | None = 10.0) -> None:
        """Run the handshake to completion.

        Raises:
            TimeoutError: it did not finish within `timeout` seconds.
            ConnectionError: the peer closed the connection first.
            TLSError: the handshake failed (the alert was sent).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        old = self.sock.gettimeout()
        try:
            self._flush()
            while not self.conn.handshake_complete:
                if self._closed_by_peer:
                    raise ConnectionError("peer closed the connection during the handshake")
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError(f"TLS handshake did not complete within {timeout:g} s")
                    self.sock.settimeout(left)
                try:
                    self._pump()
                except socket.timeout:
                    raise TimeoutError(f"TLS handshake did not complete within {timeout:g} s") from None
        finally:
            self.sock.settimeout(old)

    def send(self, data) -> None:
        """Encrypt `data` and write it all."""
        self.conn.send(data)
        self._flush()

    def recv(self, max_bytes: int = 65536) -> bytes:
        """Up to `max_bytes` of application data; b"" once the peer has closed."""
        while not self._plain and not self._closed_by_peer:
            self._pump()
        return take(self._plain, max_bytes)

    def close(self) -> None:
        """Send close_notify (best effort) and close the socket."""
        try:
            if not self.conn.closed:
                self.conn.close()
                self._flush()
        except (OSError, TLSError):
            pass
        self.sock.close()

    def __enter__(self) -> "TLSSocket":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def connect(host: str, port: int, config, *, server_name: str | None = None, session=None,
            timeout: float | None = 10.0) -> TLSSocket:
    """Open a TCP connection, run the client handshake and return the TLSSocket."""
    from ..client.connection import ClientConnection

    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        tls = TLSSocket(sock, ClientConnection(config, server_name=server_name, session=session))
        tls.handshake(timeout)
    except BaseException:
        sock.close()
        raise
    return tls


def accept(listener: socket.socket, config, *, timeout: float | None = 10.0) -> TLSSocket:
    """Accept one connection on `listener` and run the server handshake."""
    from ..server.connection import ServerConnection

    sock, _ = listener.accept()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        tls = TLSSocket(sock, ServerConnection(config))
        tls.handshake(timeout)
    except BaseException:
        sock.close()
        raise
    return tls
