# Server handshake states (RFC 5246 §7.3 full handshake), one class per state, rustls style.
#
# How this works: ServerConnection starts in ExpectClientHello. Its handle() checks the
# version rules, negotiates (server/negotiate.py, extensions below) and sends the whole
# first flight: ServerHello Certificate [ServerKeyExchange] [CertificateRequest]
# ServerHelloDone. Then:
#
#   [ExpectCertificate] -> ExpectClientKx -> [ExpectCertificateVerify] -> ExpectCcs
#     -> ExpectFinished == [NewSessionTicket] CCS Finished == -> ExpectTraffic
#
# Resumption branches off in ExpectClientHello (server/resume.py): an abbreviated
# handshake sends ServerHello [NewSessionTicket] CCS Finished and then waits in ExpectCcs /
# ExpectFinished with `hs.resuming` set (ExpectFinished then skips its own CCS + Finished).
# Tickets (RFC 5077): when tickets are configured and the ClientHello carries the
# SessionTicket extension, a full handshake announces a ticket with an empty SessionTicket
# extension in ServerHello and sends NewSessionTicket just before its CCS (§3.3). Such a
# ServerHello carries an EMPTY session ID and the session is not put in the session cache
# (§3.4 "SHOULD include an empty Session ID"): the ticket is the client's handle, so a
# cache entry would cost a store write (a Redis round trip in a cluster) and memory for
# nothing. Clients without the extension get a 32-byte ID and a cache entry as usual.
# Version rules: RFC 5246 App. E.1 (a higher legacy_version negotiates 1.2), RFC 8446
# §4.2.1 (supported_versions must list 0x0303), RFC 7507 (TLS_FALLBACK_SCSV). The RFC 8446
# §4.1.3 downgrade sentinel ("DOWNGRD\x01" in ServerHello.random) is deliberately NOT set:
# only a server that itself speaks TLS 1.3 may set it, and a 1.3-capable client aborts
# with illegal_parameter when a server sends it, which would break every such client.
from __future__ import annotations

import datetime
import os

from .. import crypto
from ..connection import HandshakeState, State
from ..enums import (
    EXT_ALPN,
    EXT_EC_POINT_FORMATS,
    EXT_EMS,
    EXT_ETM,
    EXT_RENEGOTIATION_INFO,
    EXT_SERVER_NAME,
    EXT_SESSION_TICKET,
    EXT_SUPPORTED_VERSIONS,
    TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
    TLS_FALLBACK_SCSV,
    AlertDescription,
)
from ..enums import HandshakeType as HT
from ..errors import (
    CertificateError,
    HandshakeFailure,
    IllegalParameter,
    NoApplicationProtocol,
    ProtocolVersionError,
    RemoteProtocolError,
)
from ..messages import (
    ALPNExt,
    Certificate,
    CertificateRequest,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchangeDHE,
    ServerKeyExchangeECDHE,
    ServerNameExt,
)
from .negotiate import choose
from .resume import (
    EMS_EXT,
    ETM_EXT,
    POINTS_UNCOMPRESSED,
    RENEGOTIATION_INFO_EMPTY,
    TICKET_ANNOUNCE,
    find_session,
    send_resumed_flight,
)

__all__ = [
    "ExpectClientHello", "ExpectCertificate", "ExpectClientKx", "ExpectCertificateVerify",
    "ExpectCcs", "ExpectFinished", "ExpectTraffic",
]

_TLS12 = 0x0303
_CERT_TYPES = [1, 64]  # rsa_sign, ecdsa_sign (RFC 5246 §7.4.4, RFC 8422 §5.5)
_SNI_ACK = ServerNameExt([])  # RFC 6066 §3 (shared read-only, see resume.py)


class _Handshake:
    """Values one server handshake carries from state to state."""

    __slots__ = ("hello", "choice", "kx", "client_key", "resuming", "issue_ticket")

    def __init__(self, hello, choice, resuming=False, issue_ticket=False):
        self.hello = hello
        self.choice = choice
        self.kx = None
        self.client_key = None
        self.resuming = resuming  # False, or the resumption kind ("session_id"/"ticket")
        self.issue_ticket = issue_ticket


def _now(conn):
    return datetime.datetime.fromtimestamp(conn._config.clock(), datetime.timezone.utc)


def extensions_by_type(extensions) -> dict:
    """{type: extension}; the first of a (forbidden, RFC 5246 §7.4.1.4) duplicate wins."""
    return {ext.type: ext for ext in reversed(extensions)} if extensions else {}


def _check_version(hello, exts) -> None:
    """Apply the version rules (TLS 1.2 must be offered; RFC 7507 fallback check)."""
    versions = exts.get(EXT_SUPPORTED_VERSIONS)
    if versions is not None:
        if _TLS12 not in versions.versions:
            raise ProtocolVersionError("client does not offer TLS 1.2")
        return
    if hello.version < _TLS12:
        if TLS_FALLBACK_SCSV in hello.cipher_suites:
            raise RemoteProtocolError("client fell back below TLS 1.2",
                                      AlertDescription.inappropriate_fallback)
        raise ProtocolVersionError("client offers only versions below TLS 1.2")


def _choose_alpn(config, exts) -> bytes | None:
    ext = exts.get(EXT_ALPN)
    if ext is None or not config.alpn_protocols:
        return None
    for proto in config.alpn_protocols:  # RFC 7301 §3.2: the server's preference wins
        if proto in ext.protocols:
            return proto
    raise NoApplicationProtocol("no ALPN protocol in common")


class ExpectClientHello(State):
    """Waiting for the ClientHello (RFC 5246 §7.4.1.2)."""

    __slots__ = ()
    expects = (HT.client_hello,)

    def handle(self, conn, ch, raw):
        config = conn._config
        exts = extensions_by_type(ch.extensions)
        _check_version(ch, exts)
        if 0 not in ch.compression_methods:
            raise IllegalParameter("client does not offer null compression")
        conn._records.reader.legacy_version_ok = False
        conn._client_random = bytes(ch.random)
        reneg = exts.get(EXT_RENEGOTIATION_INFO)
        if reneg is not None and reneg.renegotiated_connection:
            raise HandshakeFailure("non-empty renegotiation_info on an initial handshake")  # RFC 5746 §3.6
        secure_reneg = reneg is not None or TLS_EMPTY_RENEGOTIATION_INFO_SCSV in ch.cipher_suites
        sni = exts.get(EXT_SERVER_NAME)
        conn._server_name = sni.host_name if sni is not None else None
        ems = EXT_EMS in exts
        if config.require_extended_master_secret and not ems:
            raise HandshakeFailure("client does not offer extended master secret")  # RFC 7627 §5.2
        ticket_ext = exts.get(EXT_SESSION_TICKET) if config.tickets is not None else None
        found = find_session(conn, ch, ticket_ext, ems)
        alpn = _choose_alpn(config, exts)
        if found is not None:
            kind = send_resumed_flight(conn, ch, raw, found, alpn, secure_reneg, ems, exts)
            return ExpectCcs(_Handshake(ch, None, resuming=kind))
        choice = choose(config, ch, conn._server_name)
        suite = choice.suite
        conn._suite = suite
        conn._ems = ems
        conn._etm = config.encrypt_then_mac and not suite.is_aead and EXT_ETM in exts
        conn._alpn = alpn.decode("utf-8", "replace") if alpn is not None else None
        issue_ticket = ticket_ext is not None
        hs = _Handshake(ch, choice, issue_ticket=issue_ticket)
        conn._server_random = server_random = os.urandom(32)
        conn._session_id = (os.urandom(32) if config.session_cache is not None and not issue_ticket
                            else b"")

        extensions = []
        if secure_reneg:
            extensions.append(RENEGOTIATION_INFO_EMPTY)
        if choice.sni_matched:
            extensions.append(_SNI_ACK)
        if suite.kx == "ECDHE" and EXT_EC_POINT_FORMATS in exts:
            extensions.append(POINTS_UNCOMPRESSED)
        if alpn is not None:
            extensions.append(ALPNExt([alpn]))
        if ems:
            extensions.append(EMS_EXT)
        if conn._etm:
            extensions.append(ETM_EXT)
        if issue_ticket:
            extensions.append(TICKET_ANNOUNCE)
        conn.transcript.start_hash(suite.prf_hash)
        conn.transcript.add(raw)
        conn.send_handshake(ServerHello(_TLS12, server_random, conn._session_id, suite.code, 0,
                                        extensions or None))
        cert = choice.certificate
        conn.send_handshake(Certificate(list(cert.chain)))
        if suite.kx != "RSA":
            conn.send_handshake(_server_key_exchange(conn, hs))
        if config.client_auth != "none":
            names = list(config.client_trust.subject_names) if config.client_trust else []
            conn.send_handshake(CertificateRequest(_CERT_TYPES, list(config.signature_schemes), names))
        else:
            conn.transcript.drop_buffer()
        conn.send_handshake(ServerHelloDone())
        if config.client_auth != "none":
            return ExpectCertificate(hs)
        return ExpectClientKx(hs)


def _server_key_exchange(conn, hs):
    """ServerKeyExchange with fresh (EC)DH parameters, signed (RFC 5246 §7.4.3)."""
    choice = hs.choice
    kx = hs.kx = crypto.KeyExchange.start(choice.group)
    if choice.suite.kx == "ECDHE":
        msg = ServerKeyExchangeECDHE(int(choice.group), kx.public, choice.scheme, b"")
    else:
        p = kx.p.to_bytes((kx.p.bit_length() + 7) // 8, "big")
        g = kx.g.to_bytes((kx.g.bit_length() + 7) // 8, "big")
        msg = ServerKeyExchangeDHE(p, g, kx.public, choice.scheme, b"")
    signed = conn._client_random + conn._server_random + msg.params
    msg.signature = choice.certificate.sign(choice.scheme, signed)
    return msg


class ExpectCertificate(HandshakeState):
    """Waiting for the client's Certificate (RFC 5246 §7.4.6)."""

    __slots__ = ()
    expects = (HT.certificate,)

    def handle(self, conn, msg, raw):
        config = conn._config
        conn.transcript.add(raw)
        if not msg.certificates:
            if config.client_auth == "required":
                # TLS 1.2 has no certificate_required alert (RFC 8446 §6.2 is 1.3 only);
                # RFC 5246 §7.4.6 says handshake_failure.
                raise HandshakeFailure("client sent no certificate")
            conn.transcript.drop_buffer()
            return ExpectClientKx(self.hs)
        crypto.verify_client_chain(msg.certificates, config.client_trust, now=_now(conn))
        certs, key = crypto.load_peer_chain(msg.certificates)
        if not crypto.schemes_for_key(key):
            raise CertificateError("client certificate key cannot sign",
                                   AlertDescription.unsupported_certificate)
        conn._peer_certificates = certs
        conn._peer_chain = tuple(bytes(der) for der in msg.certificates)
        self.hs.client_key = key
        return ExpectClientKx(self.hs)


class ExpectClientKx(HandshakeState):
    """Waiting for ClientKeyExchange (RFC 5246 §7.4.7)."""

    __slots__ = ()
    expects = (HT.client_key_exchange,)

    def handle(self, conn, msg, raw):
        hs = self.hs
        if conn._suite.kx == "RSA":
            # RFC 5246 §7.4.7.1: never fails here; a bad premaster fails at Finished.
            premaster = hs.choice.certificate.decrypt_premaster(msg.exchange, hs.hello.version)
        else:
            premaster = hs.kx.derive(msg.exchange)
            hs.kx = None
        conn.transcript.add(raw)
        conn.establish_master_secret(premaster)
        if hs.client_key is not None:
            return ExpectCertificateVerify(hs)
        return ExpectCcs(hs)


class ExpectCertificateVerify(HandshakeState):
    """Waiting for CertificateVerify (RFC 5246 §7.4.8) after a client certificate."""

    __slots__ = ()
    expects = (HT.certificate_verify,)

    def handle(self, conn, msg, raw):
        if msg.scheme not in conn._config.signature_schemes:
            raise IllegalParameter("CertificateVerify with a scheme we did not request")
        crypto.verify_signature(self.hs.client_key, msg.scheme, conn.transcript.messages(),
                                msg.signature)
        conn.transcript.add(raw)
        conn.transcript.drop_buffer()
        return ExpectCcs(self.hs)


class ExpectCcs(HandshakeState):
    """Waiting for the client's ChangeCipherSpec (RFC 5246 §7.1)."""

    __slots__ = ()

    def handle_ccs(self, conn):
        conn.change_read_keys()
        return ExpectFinished(self.hs)


class ExpectFinished(HandshakeState):
    """Waiting for the client's Finished (RFC 5246 §7.4.9)."""

    __slots__ = ()
    expects = (HT.finished,)

    def handle(self, conn, msg, raw):
        conn.check_finished(msg, raw, from_client=True)
        if not self.hs.resuming:
            conn._new_session(self.hs.issue_ticket)  # [NewSessionTicket], RFC 5077 §3.3
            conn.send_ccs()
            conn.send_finished(False)
        conn._handshake_finished(self.hs)
        return ExpectTraffic()


class ExpectTraffic(State):
    """Handshake complete: only application data and alerts (ClientHello is refused)."""

    __slots__ = ()
