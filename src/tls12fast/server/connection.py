# ServerConnection: waits for a ClientHello; the states in server/states.py drive the
# handshake (see connection.py for the I/O model). Not thread-safe.
from __future__ import annotations

from ..connection import Connection
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
        self._state = ExpectClientHello()

    def _handshake_finished(self, hs) -> None:
        """Both Finished checked: build the SessionState, cache it, report completion."""
        cache = self._config.session_cache
        lifetime = int(getattr(cache, "lifetime", _DEFAULT_LIFETIME))
        self._session = SessionState(
            cipher_suite=self._suite.code,
            master_secret=self._master_secret,
            extended_master_secret=self._ems,
            server_name=self._server_name or None,
            alpn_protocol=self._alpn.encode("utf-8") if self._alpn is not None else None,
            peer_chain=self._peer_chain,
            created_at=self._config.clock(),
            lifetime=lifetime,
            session_id=self._session_id,
        )
        if cache is not None and self._session_id and not hs.resuming:
            cache.put(self._session_id, self._session)
        self.complete_handshake("full" if not hs.resuming else hs.resuming)
