# ClientConnection: builds and sends the ClientHello at construction, then lets the
# states in client/states.py drive the handshake (see connection.py for the I/O model).
#
# ClientHello contents (RFC 5246 §7.4.1.2): our suites in preference order, null
# compression, and the extensions server_name (RFC 6066 §3, DNS names only, never IP
# literals), supported_groups + ec_point_formats (RFC 8422 §5.1), signature_algorithms
# (RFC 5246 §7.4.1.4.1), ALPN (RFC 7301), extended_master_secret (RFC 7627),
# encrypt_then_mac when a CBC suite is offered (RFC 7366), session_ticket (RFC 5077) and
# an empty renegotiation_info (RFC 5746 §3.4).
from __future__ import annotations

import ipaddress
import os

from ..connection import Connection
from ..errors import ConfigurationError
from ..messages import (
    ALPNExt,
    ClientHello,
    ECPointFormatsExt,
    EncryptThenMacExt,
    ExtendedMasterSecretExt,
    RenegotiationInfoExt,
    ServerNameExt,
    SessionTicketExt,
    SignatureAlgorithmsExt,
    SupportedGroupsExt,
)
from ..sessions import SessionState
from .states import ExpectServerHello, _Handshake

__all__ = ["ClientConnection"]

_DEFAULT_LIFETIME = 300  # seconds a client keeps a session without a ticket hint


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class ClientConnection(Connection):
    """The client side of one TLS 1.2 connection.

    Args:
        config: a ClientConfig.
        server_name: the host name to ask for (SNI) and to check the certificate
            against; required while config.check_hostname is on.
        session: a SessionState to offer for resumption (or None).

    Raises:
        ConfigurationError: check_hostname is on but no server_name was given.
    """

    is_server = False

    def __init__(self, config, server_name: str | None = None, session=None):
        super().__init__(config)
        if server_name is not None:
            server_name = str(server_name).rstrip(".") or None
        if config.verify and config.check_hostname and server_name is None:
            raise ConfigurationError("server_name is required when check_hostname is on")
        self._server_name = server_name
        self._client_random = os.urandom(32)
        hello = self._client_hello()
        self.send_handshake(hello)
        self._state = ExpectServerHello(_Handshake(hello, session))

    def _client_hello(self) -> ClientHello:
        config = self._config
        suites = [s.code for s in config.suites]
        extensions = []
        if self._server_name and not _is_ip(self._server_name):
            extensions.append(ServerNameExt([(0, self._server_name.encode("idna"))]))
        extensions.append(SupportedGroupsExt([int(g) for g in config.groups]))
        if any(s.kx == "ECDHE" for s in config.suites):
            extensions.append(ECPointFormatsExt([0]))
        extensions.append(SignatureAlgorithmsExt(list(config.signature_schemes)))
        if config.alpn_protocols:
            extensions.append(ALPNExt(list(config.alpn_protocols)))
        if config.extended_master_secret:
            extensions.append(ExtendedMasterSecretExt())
        if config.encrypt_then_mac and any(not s.is_aead for s in config.suites):
            extensions.append(EncryptThenMacExt())
        if config.offer_ticket and config.session_store is not None:
            extensions.append(SessionTicketExt(b""))
        extensions.append(RenegotiationInfoExt(b""))
        return ClientHello(0x0303, self._client_random, b"", suites, b"\x00", extensions)

    def _handshake_finished(self, hs) -> None:
        """Both Finished checked: record the session and report completion."""
        ticket = hs.ticket
        # RFC 5077 §5.6: keep a ticket no longer than the server's hint.
        lifetime = _DEFAULT_LIFETIME
        if ticket is not None and ticket.ticket and ticket.lifetime_hint:
            lifetime = ticket.lifetime_hint
        self._session = SessionState(
            cipher_suite=self._suite.code,
            master_secret=self._master_secret,
            extended_master_secret=self._ems,
            server_name=self._server_name,
            alpn_protocol=self._alpn.encode("utf-8") if self._alpn is not None else None,
            peer_chain=self._peer_chain,
            created_at=self._config.clock(),
            lifetime=lifetime,
            session_id=self._session_id,
            ticket=bytes(ticket.ticket) if ticket is not None else b"",
            ticket_lifetime_hint=ticket.lifetime_hint if ticket is not None else 0,
        )
        store = self._config.session_store
        if store is not None and self._server_name and (self._session_id or self._session.ticket):
            store.put(self._server_name, self._session)
        self.complete_handshake("full")

