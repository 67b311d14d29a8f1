# ServerConnection: waits for a ClientHello; the states in server/states.py drive the
# handshake (see connection.py for the I/O model, server/resume.py for resumption).
# Not thread-safe.
#
# Sessions: after a full handshake the SessionState is built once (_new_session): sealed
# into a NewSessionTicket when one was announced (RFC 5077 §3.3; its lifetime is the
# ticket lifetime hint), otherwise put in config.session_cache under the 32-byte ID the
# ServerHello carried (RFC 5246 §7.4.1.3; lifetime = the cache's). A connection that ends
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

    def __init__(self, config):
        super().__init__(config)
        self._cache_key = b""  # the session-ID cache entry this connection owns, if any
        self._state = ExpectClientHello()

    def _new_session(self, issue_ticket: bool) -> None:
        """Full handshake, client Finished checked: build the session; send the ticket."""
        config = self._config
        tickets = config.tickets if issue_ticket else None
        if tickets is not None:
            lifetime = tickets.lifetime_hint
        else:
            lifetime = int(getattr(config.session_cache, "lifetime", _DEFAULT_LIFETIME))
        self._session = session = SessionState(
            cipher_suite=self._suite.code,
            master_secret=self._master_secret,
            extended_master_secret=self._ems,
            server_name=self._server_name or None,
            alpn_protocol=self._alpn.encode("utf-8") if self._alpn is not None else None,
            peer_chain=self._peer_chain,
            created_at=config.clock(),
            lifetime=lifetime,
            session_id=self._session_id,
        )
        if tickets is not None:
            self.send_handshake(NewSessionTicket(tickets.lifetime_hint,
                                                 tickets.seal(session.to_bytes())))

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
