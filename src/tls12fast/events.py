# Events returned by Connection.receive_data() (sans-IO, h11/h2 style).
#
# How this works: processing received bytes never calls back into user code; instead each
# thing the application must know about becomes one immutable event in the list that
# receive_data() returns, in wire order. Don't subclass these.
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Event", "HandshakeComplete", "ApplicationData", "AlertReceived", "ConnectionClosed"]


class Event:
    """Base class of every event (for isinstance checks only)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class HandshakeComplete(Event):
    """The handshake finished; application data may now be sent and received.

    Attributes:
        resumption: "full" for a full handshake, "session_id" or "ticket" for an
            abbreviated one (RFC 5246 §7.3, RFC 5077 §3.1).
    """

    resumption: str


@dataclass(frozen=True, slots=True)
class ApplicationData(Event):
    """Decrypted application data from one record (may be empty: RFC 5246 §6.2.1).

    Attributes:
        data: the plaintext bytes.
    """

    data: bytes

    def __repr__(self) -> str:  # never dump (possibly large, possibly secret) payloads
        return f"ApplicationData(<{len(self.data)} bytes>)"


@dataclass(frozen=True, slots=True)
class AlertReceived(Event):
    """The peer sent a warning-level alert (RFC 5246 §7.2); the connection stays open.

    Fatal alerts are not events: receive_data() raises PeerAlertError instead, and
    close_notify becomes ConnectionClosed(clean=True).

    Attributes:
        level: AlertLevel value (1 = warning).
        description: AlertDescription value.
    """

    level: int
    description: int


@dataclass(frozen=True, slots=True)
class ConnectionClosed(Event):
    """The peer closed the connection.

    Attributes:
        clean: True after the peer's close_notify (RFC 5246 §7.2.1); False when the
            transport hit EOF without one (a possible truncation attack).
    """

    clean: bool
