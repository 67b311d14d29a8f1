# I/O helpers for the sans-IO connections: they only move bytes between a socket (or an
# asyncio stream) and ServerConnection/ClientConnection, and bound the handshake by a
# timeout so a silent or trickling peer (slowloris) cannot hold a connection forever.
#
#   blocking.py  TLSSocket over a blocking socket: connect(), accept(), handshake(),
#                send(), recv(), close()
#   aio.py       TLSStream over asyncio streams: open_connection(), start_server()
from __future__ import annotations

__all__ = ["blocking", "aio"]
