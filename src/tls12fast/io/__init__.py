# I/O helpers for the sans-IO connections: they only move bytes between a socket (or an
# asyncio stream) and ServerConnection/ClientConnection, and bound the handshake by a
# timeout so a silent or trickling peer (slowloris) cannot hold a connection forever.
#
#   blocking.py  TLSSocket over a blocking socket: connect(), accept(), handshake(),
#                send(), recv(), close()
#   aio.py       TLSStream over asyncio streams: open_connection(), start_server()
from __future__ import annotations

from ..events import ApplicationData, ConnectionClosed

__all__ = ["blocking", "aio"]


def absorb(events, plain: bytearray) -> bool:
    """Append the ApplicationData of `events` to `plain`; True if the peer closed."""
    closed = False
    for event in events:
        if type(event) is ApplicationData:
            plain += event.data
        elif type(event) is ConnectionClosed:
            closed = True
    return closed


def take(plain: bytearray, max_bytes: int) -> bytes:
    """Remove and return up to `max_bytes` from the front of `plain` (one copy)."""
    if len(plain) <= max_bytes:  # the usual case: hand over everything
        data = bytes(plain)
        plain.clear()
        return data
    data = bytes(plain[:max_bytes])
    del plain[:max_bytes]
    return data
