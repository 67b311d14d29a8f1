# Server side of session resumption: finding a resumable session for a ClientHello and
# sending the abbreviated handshake's first flight.
#
# How this works (RFC 5246 §7.3 abbreviated handshake, RFC 5077 §3.1/§3.4):
#   find_session() looks at the ClientHello once:
#   * a non-empty SessionTicket extension (tickets configured) is tried FIRST and ONLY:
#     TicketKeys.unseal() -> SessionState.from_bytes(). Whether it opens or not, the
#     client's session ID is then never looked up in the cache (RFC 5077 §3.4: with a
#     ticket the ID is only the client's resumption detector); a ticket that fails to open
#     means a full handshake and a fresh ticket, never an error.
#   * otherwise a non-empty session ID is looked up in config.session_cache (a miss, or a
#     store that is down, means a full handshake with a new ID, RFC 5246 §7.4.1.3).
#   A found session is resumed only when acceptable(): not expired; its cipher suite is
#   still allowed by our config AND offered by the client (RFC 5246 §7.4.1.2); the SNI
#   name is the same (RFC 6066 §3: otherwise a full handshake); a client certificate the
#   config requires is part of it; and RFC 7627 §5.3: an EMS session with a ClientHello
#   without EMS aborts with handshake_failure, a non-EMS session with a ClientHello that
#   offers EMS gets a full handshake.
#   send_resumed_flight() sends ServerHello (echoing the client's session ID; no
#   server_name, RFC 6066 §3), [NewSessionTicket when a ticket opened with an older key
#   is renewed, RFC 5077 §3.3], ChangeCipherSpec, Finished - the server speaks first.
# The ServerHello extensions that never vary are message objects shared read-only by
# every connection (both handshakes' ServerHellos use them; the codec only reads them).
# Without ALPN the resumed ServerHello's extension block depends only on which of them
# are present, so it is encoded by the codec once per combination and the ServerHello is
# assembled around it (RFC 5246 §7.4.1.3 layout); with ALPN or a tracer the message object
# goes through the codec as usual.
from __future__ import annotations

import os

from ..enums import EXT_EC_POINT_FORMATS, EXT_ETM
from ..errors import DecodeError, HandshakeFailure
from ..messages import (
    ALPNExt,
    ECPointFormatsExt,
    EncryptThenMacExt,
    ExtendedMasterSecretExt,
    NewSessionTicket,
    RenegotiationInfoExt,
    ServerHello,
    SessionTicketExt,
)
from ..sessions import SessionState
from ..suites import BY_CODE

__all__ = ["find_session", "send_resumed_flight"]

_SH_BLOCKS: dict = {}  # (codec, extension flags) -> encoded extensions block, length included
_SH_FIXED = 4 + 2 + 32 + 1 + 2 + 1  # header, version, random, empty session_id<u8>, suite, compression
_TLS12_BYTES = b"\x03\x03"

_TLS12 = 0x0303
RENEGOTIATION_INFO_EMPTY = RenegotiationInfoExt(b"")  # RFC 5746 §3.6
POINTS_UNCOMPRESSED = ECPointFormatsExt([0])  # RFC 8422 §5.2
EMS_EXT = ExtendedMasterSecretExt()  # RFC 7627 §5.1
ETM_EXT = EncryptThenMacExt()  # RFC 7366 §2
TICKET_ANNOUNCE = SessionTicketExt(b"")  # RFC 5077 §3.2: a ticket will be sent


def _same_name(a: str | None, b: str | None) -> bool:
    # Host names compare case-insensitively (RFC 6066 §3 / RFC 4343).
    return (a or "").lower() == (b or "").lower()


def acceptable(conn, ch, state, ems: bool) -> bool:
    """May `state` be resumed for ClientHello `ch`? (See the module comment.)

    Raises:
        HandshakeFailure: an EMS session offered without EMS (RFC 7627 §5.3).
    """
    config = conn._config
    if not isinstance(state, SessionState) or state.expired(config.clock()):
        return False
    code = state.cipher_suite
    if code not in ch.cipher_suites or code not in config.suite_codes:
        return False
    if not _same_name(state.server_name, conn._server_name):
        return False
    if config.client_auth == "required" and not state.peer_chain:
        return False
    if state.extended_master_secret and not ems:
        raise HandshakeFailure("EMS session resumed without extended master secret")
    return state.extended_master_secret == ems


def find_session(conn, ch, ticket_ext, ems: bool):
    """The session to resume for `ch`, or None for a full handshake.

    Args:
        conn: the ServerConnection.
        ch: the ClientHello.
        ticket_ext: the client's SessionTicket extension when tickets are configured,
            else None.
        ems: whether the ClientHello offers extended master secret.

    Returns:
        (state, kind, state_bytes, renew) with kind "ticket" or "session_id"
        (state_bytes is the unsealed ticket plaintext, for renewal), or None.
    """
    config = conn._config
    if ticket_ext is not None and ticket_ext.ticket:
        opened = config.tickets.unseal(ticket_ext.ticket)
        if opened is None:
            return None
        try:
            state = SessionState.from_bytes(opened[0], codec=conn._codec)
        except DecodeError:
            return None
        if not acceptable(conn, ch, state, ems):
            return None
        return state, "ticket", opened[0], opened[1]
    cache = config.session_cache
    if cache is None or not ch.session_id:
        return None
    state = cache.get(bytes(ch.session_id))
    if state is None or not acceptable(conn, ch, state, ems):
        return None
    return state, "session_id", b"", False


def _extensions(secure_reneg: bool, points: bool, alpn, ems: bool, etm: bool,
                renew: bool) -> list | None:
    """The resumed ServerHello's extensions (None for no extensions block)."""
    extensions = []
    if secure_reneg:
        extensions.append(RENEGOTIATION_INFO_EMPTY)
    if points:
        extensions.append(POINTS_UNCOMPRESSED)
    if alpn is not None:
        extensions.append(ALPNExt([alpn]))  # RFC 7301 §3.1: negotiated per connection
    if ems:
        extensions.append(EMS_EXT)
    if etm:
        extensions.append(ETM_EXT)
    if renew:
        extensions.append(TICKET_ANNOUNCE)
    return extensions or None


def send_resumed_flight(conn, ch, raw, found, alpn, secure_reneg: bool, ems: bool,
                        exts: dict) -> str:
    """Adopt the found session and send ServerHello [NewSessionTicket] CCS Finished.

    `exts` is the ClientHello's extensions by type.

    Returns:
        The resumption kind ("ticket" or "session_id").
    """
    config = conn._config
    state, kind, state_bytes, renew = found
    suite = BY_CODE[state.cipher_suite]
    conn._suite = suite
    conn._ems = ems
    conn._etm = etm = config.encrypt_then_mac and not suite.is_aead and EXT_ETM in exts
    conn._alpn = alpn.decode("utf-8", "replace") if alpn is not None else None
    conn._master_secret = state.master_secret
    conn._peer_chain = state.peer_chain
    conn._session = state
    conn._session_id = session_id = bytes(ch.session_id)
    if kind == "session_id":
        conn._cache_key = session_id  # removed again if this connection fails
    conn._server_random = server_random = os.urandom(32)

    points = suite.kx == "ECDHE" and EXT_EC_POINT_FORMATS in exts
    transcript = conn.transcript
    transcript.start_hash(suite.prf_hash)
    transcript.drop_buffer()  # no CertificateVerify in an abbreviated handshake
    transcript.add(raw)
    if alpn is None and conn._tracer is None:
        key = (conn._codec, secure_reneg, points, ems, etm, renew)
        block = _SH_BLOCKS.get(key)
        if block is None:
            hello = ServerHello(_TLS12, bytes(32), b"", 0, 0,
                                _extensions(secure_reneg, points, None, ems, etm, renew))
            block = _SH_BLOCKS[key] = conn._codec.encode_handshake(hello)[_SH_FIXED:]
        length = _SH_FIXED - 4 + len(session_id) + len(block)  # body length, u24
        conn.send_encoded(b"".join((
            (0x02000000 | length).to_bytes(4, "big"), _TLS12_BYTES, server_random,
            len(session_id).to_bytes(1, "big"), session_id, suite.code.to_bytes(2, "big"),
            b"\x00", block)))
    else:
        conn.send_handshake(ServerHello(_TLS12, server_random, session_id, suite.code, 0,
                                        _extensions(secure_reneg, points, alpn, ems, etm, renew)))
    if renew:
        tickets = config.tickets
        conn.send_handshake(NewSessionTicket(tickets.lifetime_hint, tickets.seal(state_bytes)))
    conn.install_keys()
    conn.send_ccs()
    conn.send_finished(False)
    return kind
