# Client handshake states (RFC 5246 §7.3 full handshake), one class per state, rustls style.
#
# How this works: ClientConnection sends the ClientHello and starts in ExpectServerHello.
# Each state's handle(conn, msg, raw) checks one message, adds it to the transcript at the
# point the RFC fixes, and returns the next state:
#
#   ExpectServerHello -> ExpectCertificate -> ExpectServerKx (DHE/ECDHE)
#     -> ExpectServerDoneOrCertReq [-> ExpectServerDone]
#     == our flight: [Certificate] ClientKeyExchange [CertificateVerify] CCS Finished ==
#     -> [ExpectNewTicket] -> ExpectCcs -> ExpectFinished -> ExpectTraffic
#
# The per-handshake values travel in one _Handshake object (with the offered session).
# Resumption (RFC 5246 §7.3 abbreviated handshake) branches off in ExpectServerHello: a
# ServerHello echoing our non-empty session ID accepts the offered session (for a ticket
# we sent a fresh random ID, RFC 5077 §3.4). The suite must be the session's (else
# illegal_parameter) and the EMS state must match (RFC 7627 §5.3, else handshake_failure);
# then ExpectNewTicket (if ServerHello announced a renewal) -> ExpectCcs -> ExpectFinished
# with `hs.resuming` set, which answers the server's Finished with our CCS + Finished.
# Any other ServerHello is a full handshake; the refused session is dropped from the store.
from __future__ import annotations

import datetime
import os

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .. import crypto
from ..connection import HandshakeState, State
from ..enums import (
    EXT_ALPN,
    EXT_EC_POINT_FORMATS,
    EXT_EMS,
    EXT_ETM,
    EXT_RENEGOTIATION_INFO,
    EXT_SESSION_TICKET,
    AlertDescription,
    NamedGroup,
)
from ..enums import HandshakeType as HT
from ..errors import (
    CertificateError,
    HandshakeFailure,
    IllegalParameter,
    ProtocolVersionError,
    RemoteProtocolError,
)
from ..messages import Certificate, CertificateVerify, ClientKeyExchange
from ..suites import BY_CODE

__all__ = [
    "ExpectServerHello", "ExpectCertificate", "ExpectServerKx", "ExpectServerDoneOrCertReq",
    "ExpectServerDone", "ExpectNewTicket", "ExpectCcs", "ExpectFinished", "ExpectTraffic",
]

_TLS12 = 0x0303
_EC_GROUPS = (NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1)
_CERT_TYPE = {"RSA": 1, "ECDSA": 64}  # ClientCertificateType rsa_sign, ecdsa_sign


class _Handshake:
    """Values one client handshake carries from state to state."""

    __slots__ = ("hello", "expect_ticket", "server_key", "premaster", "kx_public",
                 "cert_request", "ticket", "resuming", "offered", "offered_kind",
                 "offered_types")

    def __init__(self, hello, offered=None, offered_kind=None, offered_types=None):
        self.hello = hello
        # The extension types the ClientHello carries (RFC 5246 §7.4.1.4: only these may
        # come back in the ServerHello).
        self.offered_types = (offered_types if offered_types is not None
                              else frozenset(ext.type for ext in hello.extensions or ()))
        self.expect_ticket = False
        self.server_key = None
        self.premaster = b""
        self.kx_public = b""
        self.cert_request = None
        self.ticket = None  # the NewSessionTicket message, if any
        self.resuming = False  # False, or the resumption kind ("session_id"/"ticket")
        self.offered = offered  # the SessionState offered, or None
        self.offered_kind = offered_kind


def _now(conn):
    return datetime.datetime.fromtimestamp(conn._config.clock(), datetime.timezone.utc)


class ExpectServerHello(HandshakeState):
    """Waiting for ServerHello (RFC 5246 §7.4.1.3)."""

    __slots__ = ()
    expects = (HT.server_hello,)

    def handle(self, conn, sh, raw):
        hs, config = self.hs, conn._config
        if sh.version != _TLS12:
            raise ProtocolVersionError("server did not choose TLS 1.2")
        suite = BY_CODE.get(sh.cipher_suite)
        if sh.cipher_suite not in hs.hello.cipher_suites or suite is None:
            raise IllegalParameter("server chose a cipher suite we did not offer")
        if sh.compression_method != 0:
            raise IllegalParameter("server chose compression")
        offered = hs.offered_types
        exts = {}
        for ext in reversed(sh.extensions or ()):  # the first of a duplicate wins
            # RFC 5246 §7.4.1.4: only extensions the client offered may come back.
            if ext.type not in offered:
                raise RemoteProtocolError("server sent an extension we did not offer",
                                          AlertDescription.unsupported_extension)
            exts[ext.type] = ext
        reneg = exts.get(EXT_RENEGOTIATION_INFO)
        if reneg is not None and reneg.renegotiated_connection:
            raise HandshakeFailure("non-empty renegotiation_info on an initial handshake")  # RFC 5746 §3.4
        ems = EXT_EMS in exts
        if config.require_extended_master_secret and not ems:
            raise HandshakeFailure("server does not support extended master secret")  # RFC 7627 §5.2
        etm = EXT_ETM in exts
        if etm and suite.is_aead:
            raise IllegalParameter("encrypt_then_mac with an AEAD suite")  # RFC 7366 §2
        formats = exts.get(EXT_EC_POINT_FORMATS)
        if formats is not None and suite.kx == "ECDHE" and 0 not in formats.formats:
            raise IllegalParameter("server does not accept uncompressed points")  # RFC 8422 §5.2
        alpn = exts.get(EXT_ALPN)
        if alpn is not None:
            # RFC 7301 §3.1: exactly one protocol, one that we offered.
            if len(alpn.protocols) != 1 or alpn.protocols[0] not in config.alpn_protocols:
                raise IllegalParameter("server chose an ALPN protocol we did not offer")
            conn._alpn = alpn.protocols[0].decode("utf-8", "replace")
        conn._suite = suite
        conn._server_random = bytes(sh.random)
        conn._session_id = session_id = bytes(sh.session_id)
        conn._ems, conn._etm = ems, etm
        hs.expect_ticket = EXT_SESSION_TICKET in exts
        transcript = conn.transcript
        transcript.start_hash(suite.prf_hash)
        offered = hs.offered
        if offered is not None:
            if session_id and session_id == hs.hello.session_id:
                return _resume(conn, hs, offered, raw)
            conn._forget_offered()  # the server did not take it: full handshake
        transcript.add(raw)
        return ExpectCertificate(hs)


def _resume(conn, hs: _Handshake, offered, raw):
    """The server echoed our session ID: abbreviated handshake with `offered`."""
    if conn._suite.code != offered.cipher_suite:
        raise IllegalParameter("server resumed with a different cipher suite")  # RFC 5246 §7.4.1.3
    if conn._ems != offered.extended_master_secret:
        raise HandshakeFailure("extended master secret differs from the resumed session")  # RFC 7627 §5.3
    conn._master_secret = offered.master_secret
    conn._peer_chain = offered.peer_chain
    hs.resuming = hs.offered_kind
    transcript = conn.transcript
    transcript.drop_buffer()  # no CertificateVerify in an abbreviated handshake
    transcript.add(raw)
    conn.install_keys()
    return ExpectNewTicket(hs) if hs.expect_ticket else ExpectCcs(hs)


class ExpectCertificate(HandshakeState):
    """Waiting for the server's Certificate (RFC 5246 §7.4.2); verifies chain and name."""

    __slots__ = ()
    expects = (HT.certificate,)

    def handle(self, conn, msg, raw):
        config = conn._config
        if not msg.certificates:
            raise CertificateError("server sent an empty certificate list",
                                   AlertDescription.decode_error)
        if config.verify:
            crypto.verify_server_chain(msg.certificates, config.trust, conn._server_name,
                                       config.check_hostname, now=_now(conn))
        certs, key = crypto.load_peer_chain(msg.certificates)
        wanted = rsa.RSAPublicKey if conn._suite.auth == "RSA" else ec.EllipticCurvePublicKey
        if not isinstance(key, wanted):
            raise CertificateError("certificate key does not match the cipher suite",
                                   AlertDescription.unsupported_certificate)
        conn._peer_certificates = certs
        conn._peer_chain = tuple(bytes(der) for der in msg.certificates)
        self.hs.server_key = key
        conn.transcript.add(raw)
        if conn._suite.kx == "RSA":
            return ExpectServerDoneOrCertReq(self.hs)
        return ExpectServerKx(self.hs)


class ExpectServerKx(HandshakeState):
    """Waiting for ServerKeyExchange (RFC 5246 §7.4.3, RFC 8422 §5.4)."""

    __slots__ = ()
    expects = (HT.server_key_exchange,)

    def handle(self, conn, msg, raw):
        hs, config = self.hs, conn._config
        # RFC 5246 §7.4.1.4.1: the scheme must be one we offered in signature_algorithms.
        if msg.scheme not in config.signature_schemes:
            raise IllegalParameter("ServerKeyExchange signed with a scheme we did not offer")
        signed = conn._client_random + conn._server_random + msg.params
        crypto.verify_signature(hs.server_key, msg.scheme, signed, msg.signature)
        if conn._suite.kx == "ECDHE":
            if msg.named_group not in config.groups or msg.named_group not in _EC_GROUPS:
                raise IllegalParameter("server chose a group we did not offer")
            kx = crypto.KeyExchange.start(msg.named_group)
            hs.premaster = kx.derive(msg.public)
        else:
            # RFC 7919 §4: the server may use ffdhe parameters or its own (>= 2048 bits).
            kx = crypto.KeyExchange.from_dh_params(msg.p, msg.g)
            hs.premaster = kx.derive(msg.ys)
        hs.kx_public = kx.public
        conn.transcript.add(raw)
        return ExpectServerDoneOrCertReq(hs)


class ExpectServerDoneOrCertReq(HandshakeState):
    """Waiting for CertificateRequest (RFC 5246 §7.4.4) or ServerHelloDone."""

    __slots__ = ()
    expects = (HT.certificate_request, HT.server_hello_done)

    def handle(self, conn, msg, raw):
        if msg.msg_type == HT.certificate_request:
            self.hs.cert_request = msg
            conn.transcript.add(raw)
            return ExpectServerDone(self.hs)
        return _send_client_flight(conn, self.hs, raw)


class ExpectServerDone(HandshakeState):
    """Waiting for ServerHelloDone after a CertificateRequest."""

    __slots__ = ()
    expects = (HT.server_hello_done,)

    def handle(self, conn, msg, raw):
        return _send_client_flight(conn, self.hs, raw)


def _pick_client_key(conn, request):
    """Our CertifiedKey and the scheme to sign with, if it suits the request."""
    key = conn._config.certificate
    if key is None or _CERT_TYPE[key.key_type] not in request.certificate_types:
        return None, None
    for scheme in key.signature_schemes:
        if scheme in request.signature_schemes and scheme in conn._config.signature_schemes:
            return key, scheme
    return None, None


def _send_client_flight(conn, hs: _Handshake, done_raw):
    """ServerHelloDone arrived: send [Certificate] CKE [CertificateVerify] CCS Finished."""
    transcript = conn.transcript
    transcript.add(done_raw)
    key = scheme = None
    if hs.cert_request is not None:
        key, scheme = _pick_client_key(conn, hs.cert_request)
        # RFC 5246 §7.4.6: with no suitable certificate, send an empty list.
        conn.send_handshake(Certificate(list(key.chain) if key is not None else []))
    if key is None:
        transcript.drop_buffer()
    kx = conn._suite.kx
    if kx == "RSA":
        # RFC 5246 §7.4.7.1: client_version (0x0303) followed by 46 random bytes.
        premaster = b"\x03\x03" + os.urandom(46)
        exchange = crypto.rsa_encrypt_premaster(hs.server_key, premaster)
    else:
        premaster, exchange = hs.premaster, hs.kx_public
    conn.send_handshake(ClientKeyExchange(kx, exchange))
    conn.establish_master_secret(premaster)
    hs.premaster = b""
    if key is not None:
        # RFC 5246 §7.4.8: signature over all handshake messages so far.
        signature = key.sign(scheme, transcript.messages())
        conn.send_handshake(CertificateVerify(scheme, signature))
        transcript.drop_buffer()
    conn.send_ccs()
    conn.send_finished(True)
    return ExpectNewTicket(hs) if hs.expect_ticket else ExpectCcs(hs)


class ExpectNewTicket(HandshakeState):
    """Waiting for NewSessionTicket (RFC 5077 §3.3), announced in ServerHello."""

    __slots__ = ()
    expects = (HT.new_session_ticket,)

    def handle(self, conn, msg, raw):
        self.hs.ticket = msg
        conn.transcript.add(raw)
        return ExpectCcs(self.hs)


class ExpectCcs(HandshakeState):
    """Waiting for the server's ChangeCipherSpec (RFC 5246 §7.1)."""

    __slots__ = ()

    def handle_ccs(self, conn):
        conn.change_read_keys()
        return ExpectFinished(self.hs)


class ExpectFinished(HandshakeState):
    """Waiting for the server's Finished (RFC 5246 §7.4.9)."""

    __slots__ = ()
    expects = (HT.finished,)

    def handle(self, conn, msg, raw):
        conn.check_finished(msg, raw, from_client=False)
        if self.hs.resuming:  # abbreviated handshake: our CCS + Finished come last
            conn.send_ccs()
            conn.send_finished(True)
        conn._handshake_finished(self.hs)
        return ExpectTraffic()


class ExpectTraffic(State):
    """Handshake complete: only application data, alerts (and refused HelloRequests)."""

    __slots__ = ()

