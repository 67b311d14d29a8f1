# ServerConnection: waits for a ClientHello; the states in server/states.py drive the
# handshake (see connection.py for the I/O model, server/resume.py for resumption).
# Not thread-safe.
#
# Sessions: after a full handshake the SessionState is built once (_new_session): sealed
# into a NewSessionTicket when one was announced (RFC 5077 §3.3; its lifetime is the
# ticket lifetime hint), otherwise put in config.session_cache under the 32-byte ID the
# ServerHello carried (RFC 5246 §7.4.1.3; lifetime = the cache's). With neither, nobody
# needs it unless the application reads `conn.session`, so it is built then (with the
# time the handshake completed). A connection that ends
# with a fatal alert removes the cache entry it created or resumed (RFC 5246 §7.2.2: such
# a session must not be resumed); tickets cannot be revoked, they expire.
from __future__ import annotations

from ..connection import Connection
from ..messages import NewSessionTicket
from ..sessions import SessionState
from .states import ExpectClientHello

__all__ = ["ServerConnection"]

_DEFAULT_LIFETIME = 300  # seconds, when the session cache does not say


class ServerConnection(Connection):
    """The server side of one TLS 1.2 connection.

    Args:
        config: a ServerConfig.
    """

    is_server = True
    __slots__ = ("_cache_key", "_session_made_at")

    def __init__(self, config):
        super().__init__(config)
        self._state = _FIRST_STATE
        self._cache_key = b""  # the session-ID cache entry this connection owns, if any
        self._session_made_at: float | None = None  # set while the session is still to be built

    def _new_session(self, issue_ticket: bool) -> None:
        """Full handshake, client Finished checked: build the session; send the ticket."""
        config = self._config
        tickets = config.tickets if issue_ticket else None
        if tickets is None and (config.session_cache is None or not self._session_id):
            self._session_made_at = config.clock()  # built by _lazy_session() if asked for
            return
        self._session = session = self._build_session(config.clock(), tickets)
        if tickets is not None:
            self.send_handshake(NewSessionTicket(tickets.lifetime_hint,
                                                 tickets.seal(session.to_bytes())))

    def _build_session(self, created_at: float, tickets) -> SessionState:
        config = self._config
        if tickets is not None:
            lifetime = tickets.lifetime_hint
        else:
            lifetime = int(getattr(config.session_cache, "lifetime", _DEFAULT_LIFETIME))
        return SessionState(
            cipher_suite=self._suite.code,
            master_secret=self._master_secret,
            extended_master_secret=self._ems,
            server_name=self._server_name or None,
            alpn_protocol=self._alpn.encode("utf-8") if self._alpn is not None else None,
            peer_chain=self._peer_chain,
            created_at=created_at,
            lifetime=lifetime,
            session_id=self._session_id,
        )

    def _lazy_session(self):
        made_at = self._session_made_at
        if made_at is None:
            return None
        self._session_made_at = None
        self._session = session = self._build_session(made_at, None)
        return session

    def _handshake_finished(self, hs) -> None:
        """Both Finished checked: cache a new session, report completion."""
        if not hs.resuming:
            cache = self._config.session_cache
            if cache is not None and self._session_id:
                cache.put(self._session_id, self._session)
                self._cache_key = self._session_id
        self.complete_handshake(hs.resuming or "full")

    def _on_closed(self, failed: bool = False) -> None:
        if failed and self._cache_key:
            cache = self._config.session_cache
            if cache is not None:
                cache.remove(self._cache_key)
            self._cache_key = b""


_FIRST_STATE = ExpectClientHello()  # stateless: shared by every connection
