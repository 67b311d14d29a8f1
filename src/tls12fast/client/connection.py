# ClientConnection: builds and sends the ClientHello at construction, then lets the
# states in client/states.py drive the handshake (see connection.py for the I/O model).
#
# ClientHello contents (RFC 5246 §7.4.1.2): our suites in preference order, null
# compression, and the extensions server_name (RFC 6066 §3, DNS names only, never IP
# literals), supported_groups + ec_point_formats (RFC 8422 §5.1), signature_algorithms
# (RFC 5246 §7.4.1.4.1), ALPN (RFC 7301), extended_master_secret (RFC 7627),
# encrypt_then_mac when a CBC suite is offered (RFC 7366), session_ticket (RFC 5077) and
# an empty renegotiation_info (RFC 5746 §3.4).
#
# Resumption: the session offered is `session=` or else config.session_store's entry for
# the store key (`session_key=`, default the server name). It is offered only if still
# usable: not expired, its suite still configured, made for the same server name (RFC
# 6066 §3), and EMS-compatible (RFC 7627 §5.3: an EMS session only with EMS offered; a
# non-EMS session not when EMS is required). With a ticket (and offer_ticket) the
# ClientHello carries it plus a fresh random 32-byte session ID (RFC 5077 §3.4), so an
# echoed ID tells us the ticket was accepted; otherwise it carries the session's ID. Any
# other ServerHello means a full handshake (client/states.py), and a stored session that
# was refused or whose connection failed (fatal alert, RFC 5246 §7.2.2) is dropped.
# The SessionTicket extension is sent whenever offer_ticket is on, with or without a
# store, so that `conn.session` can carry a ticket to a later `session=`.
from __future__ import annotations

import ipaddress
import os
import weakref

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


_EMPTY_TICKET = SessionTicketExt(b"")
_EMPTY_RENEGOTIATION_INFO = RenegotiationInfoExt(b"")
# Per config: the suite list, the extensions that do not change per connection and the
# extension types a ClientHello from it offers. The message objects are shared read-only
# by every ClientHello built from that config.
_PARTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_SNI_CACHE_SIZE = 64  # server_name extensions kept per config (one per host name)


def _is_ip(name: str) -> bool:
    # Fast path: a host name ending in a letter is never an IP literal.
    if ":" not in name and not name[-1].isdigit():
        return False
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _hello_parts(config) -> tuple:
    """For `config`: (suite codes, extensions before SessionTicket, extensions after it,
    offered extension types without / with server_name, {host name: server_name ext})."""
    parts = _PARTS.get(config)
    if parts is None:
        before = [SupportedGroupsExt([int(g) for g in config.groups])]
        if any(s.kx == "ECDHE" for s in config.suites):
            before.append(ECPointFormatsExt([0]))
        before.append(SignatureAlgorithmsExt(list(config.signature_schemes)))
        if config.alpn_protocols:
            before.append(ALPNExt(list(config.alpn_protocols)))
        if config.extended_master_secret:
            before.append(ExtendedMasterSecretExt())
        if config.encrypt_then_mac and any(not s.is_aead for s in config.suites):
            before.append(EncryptThenMacExt())
        after = (_EMPTY_RENEGOTIATION_INFO,)
        types = {ext.type for ext in (*before, *after)}
        if config.offer_ticket:
            types.add(_EMPTY_TICKET.type)
        parts = _PARTS[config] = ([s.code for s in config.suites], tuple(before), after,
                                  frozenset(types), frozenset(types | {ServerNameExt.type}), {})
    return parts


class ClientConnection(Connection):
    """The client side of one TLS 1.2 connection.

    Args:
        config: a ClientConfig.
        server_name: the host name to ask for (SNI) and to check the certificate
            against; required while config.check_hostname is on.
        session: a SessionState to offer for resumption (or None: the one
            config.session_store holds for the store key, if any).
        session_key: the config.session_store key to load and save the session under
            (default: server_name).

    Raises:
        ConfigurationError: check_hostname is on but no server_name was given, or
            `session` is not a SessionState.
    """

    is_server = False
    __slots__ = ("_offered_types", "_drop_on_failure", "_store_key")

    def __init__(self, config, server_name: str | None = None, session=None,
                 session_key: str | None = None):
        super().__init__(config)
        if server_name is not None:
            server_name = str(server_name).rstrip(".") or None
        if config.verify and config.check_hostname and server_name is None:
            raise ConfigurationError("server_name is required when check_hostname is on")
        if session is not None and not isinstance(session, SessionState):
            raise ConfigurationError("session= takes a SessionState (conn.session), "
                                     f"not {type(session).__name__}")
        self._server_name = server_name
        store = config.session_store
        self._store_key = key = session_key if session_key is not None else server_name
        from_store = False
        if session is None and store is not None and key:
            session = store.get(key)
            from_store = True
        offered, kind = self._offerable(session)
        # True while the store entry for the key is one we offered or wrote: it is dropped
        # if the server refuses it or the connection fails.
        self._drop_on_failure = from_store and offered is not None
        self._client_random = os.urandom(32)
        hello = self._client_hello(offered, kind)
        self.send_handshake(hello)
        self._state = ExpectServerHello(_Handshake(hello, offered, kind, self._offered_types))

    def _offerable(self, session):
        """(session, "ticket" | "session_id") if `session` may be offered, else (None, None)."""
        if session is None:
            return None, None
        config = self._config
        code = session.cipher_suite
        name = session.server_name
        if (session.expired(config.clock())
                or code not in config.suite_codes
                or (name or "").lower() != (self._server_name or "").lower()
                or (session.extended_master_secret and not config.extended_master_secret)
                or (config.require_extended_master_secret and not session.extended_master_secret)):
            return None, None
        if session.ticket and config.offer_ticket:
            return session, "ticket"
        if session.session_id:
            return session, "session_id"
        return None, None

    def _client_hello(self, offered, kind) -> ClientHello:
        """The ClientHello; sets `_offered_types`, the extension types it carries."""
        config = self._config
        suites, before, after, types, types_sni, sni_exts = _hello_parts(config)
        name = self._server_name
        sni = sni_exts.get(name) if name else None
        if sni is None and name and not _is_ip(name):
            sni = ServerNameExt([(0, name.encode("ascii") if name.isascii()
                                  else name.encode("idna"))])
            if len(sni_exts) >= _SNI_CACHE_SIZE:
                sni_exts.clear()
            sni_exts[name] = sni
        if sni is not None:
            extensions = [sni]
            extensions += before
            types = types_sni
        else:
            extensions = list(before)
        session_id = b""
        if config.offer_ticket:
            # RFC 5077 §3.4: a ticket goes with a fresh session ID to detect acceptance.
            if kind == "ticket":
                extensions.append(SessionTicketExt(offered.ticket))
                session_id = os.urandom(32)
            else:
                extensions.append(_EMPTY_TICKET)
        if kind == "session_id":
            session_id = offered.session_id
        extensions += after
        self._offered_types = types
        return ClientHello(0x0303, self._client_random, session_id, suites, b"\x00", extensions)

    def _forget_offered(self) -> None:
        """The server refused the offered session: drop it from the store if it came from there."""
        if self._drop_on_failure:
            self._config.session_store.remove(self._store_key)
            self._drop_on_failure = False

    def _on_closed(self, failed: bool = False) -> None:
        # RFC 5246 §7.2.2: a session whose connection ended with a fatal alert is not resumed.
        if failed:
            self._forget_offered()

    def _handshake_finished(self, hs) -> None:
        """Both Finished checked: record the session and report completion."""
        ticket = hs.ticket
        store = self._config.session_store
        if hs.resuming:
            session = hs.offered
            if ticket is not None and ticket.ticket:  # renewed (RFC 5077 §3.3)
                session = session.with_ticket(ticket.ticket, ticket.lifetime_hint)
                if store is not None and self._store_key:
                    store.put(self._store_key, session)
                    self._drop_on_failure = True
            self._session = session
            self.complete_handshake(hs.resuming)
            return
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
        if store is not None and self._store_key and (self._session_id or self._session.ticket):
            store.put(self._store_key, self._session)
            self._drop_on_failure = True
        self.complete_handshake("full")

