# In-memory client/server pairs for handshake tests (h11's ConnectionPair idea).
#
# pump() moves bytes between a ClientConnection and a ServerConnection until neither has
# anything to send, collecting each side's events; `tamper` may rewrite (or drop) every
# flight in flight. Exceptions from receive_data propagate to the test. fatal_alert() and
# expect_fatal() check the fatal alert a failing side queues (RFC 5246 §7.2).
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

import tls12fast as t


@dataclass
class Pair:
    """A client and a server connection plus the events each has produced."""

    client: object
    server: object
    client_events: list = field(default_factory=list)
    server_events: list = field(default_factory=list)
    flights: list = field(default_factory=list)  # (direction, bytes) as delivered

    def pump(self, tamper=None, max_rounds: int = 50) -> "Pair":
        """Exchange bytes until quiet.

        Args:
            tamper: optional callable(direction, data) -> bytes, where direction is
                "c2s" or "s2c"; its return value is delivered instead of `data`.
            max_rounds: safety bound on round trips.
        """
        for _ in range(max_rounds):
            moved = False
            data = self.client.data_to_send()
            if data:
                moved = True
                if tamper is not None:
                    data = tamper("c2s", data)
                self.flights.append(("c2s", data))
                if data:
                    self.server_events += self.server.receive_data(data)
            data = self.server.data_to_send()
            if data:
                moved = True
                if tamper is not None:
                    data = tamper("s2c", data)
                self.flights.append(("s2c", data))
                if data:
                    self.client_events += self.client.receive_data(data)
            if not moved:
                return self
        raise AssertionError("pair did not go quiet")


def server_key(pki, kind: str = "rsa") -> "t.CertifiedKey":
    """A CertifiedKey from the test PKI: kind is rsa, ecdsa, ecdsa384, other, expired..."""
    return t.CertifiedKey.load(getattr(pki, f"{kind}_cert"), getattr(pki, f"{kind}_key"))


def make_pair(pki, twin=None, *, server_kw=None, client_kw=None, server_name="localhost",
              certs=("rsa", "ecdsa"), session=None) -> Pair:
    """A fresh client/server pair on `twin` (a Backend or None for the default)."""
    backend = twin.name if twin is not None else None
    server_kw = dict(server_kw or {})
    client_kw = dict(client_kw or {})
    server_kw.setdefault("certificates", [server_key(pki, k) for k in certs])
    server_kw.setdefault("backend", backend)
    client_kw.setdefault("cafile", str(pki.ca_file))
    client_kw.setdefault("backend", backend)
    server = t.ServerConnection(t.ServerConfig(**server_kw))
    client = t.ClientConnection(t.ClientConfig(**client_kw), server_name=server_name,
                                session=session)
    return Pair(client, server)


def handshake(pki, twin=None, **kw) -> Pair:
    """make_pair() + pump(); asserts both sides completed."""
    pair = make_pair(pki, twin, **kw).pump()
    assert pair.client.handshake_complete and pair.server.handshake_complete
    return pair


def fatal_alert(desc) -> bytes:
    """The plaintext record of a fatal alert `desc` (before keys are installed)."""
    return bytes((21, 3, 3, 0, 2, 2, int(desc)))


def expect_fatal(conn, data, error_type, desc):
    """Feed data; assert the exception, its .alert and the queued plaintext alert."""
    with pytest.raises(error_type) as info:
        conn.receive_data(data)
    assert info.value.alert == desc
    assert conn.data_to_send().endswith(fatal_alert(desc))
    assert conn.closed
    return info.value
