# The sans-IO connection shared by ClientConnection and ServerConnection.
#
# How this works (h11/h2 style, rustls state machine):
#   receive_data(bytes) -> records (record_layer) -> per content type:
#     handshake          -> HandshakeJoiner -> the current state's handle(conn, msg, raw),
#                           which returns the next state (one class per state, in
#                           client/states.py and server/states.py);
#     change_cipher_spec -> the current state's handle_ccs(conn);
#     alert              -> warning: AlertReceived event; close_notify: ConnectionClosed
#                           (and our close_notify in reply, RFC 5246 §7.2.1); fatal:
#                           PeerAlertError;
#     application_data   -> ApplicationData event (only once the handshake is complete).
#   Everything to send is queued in the record writer; data_to_send() drains it.
# Cost per connection (a server pays it for every resumed handshake): what does not change
# per connection comes precomputed from the config (twins, limits); one loop (_drain)
# dispatches every record on int content types; immutable defaults are class attributes;
# nothing is built for a tracer unless one is set.
# Errors: every TLSError raised while processing carries the alert to send (errors.py is
# the one error -> alert mapping, RFC 5246 §7.2); _fail() queues it as a fatal alert,
# closes the connection and the exception propagates. Any other exception (a bug or an
# unexpected library error on hostile input) is converted to DecodeError/InternalError
# first, so only TLSError ever escapes receive_data().
# Limits (config `max_*` options): the record layer bounds buffered input and handshake
# message size; after each handshake message is decoded and before its state sees it,
# _check_limits() caps the extensions in a hello (decode_error) and the certificates in a
# Certificate message (bad_certificate), so no state needs its own count. Temper
# counters (rustls conn/receive.rs): consecutive warning alerts and empty records are
# capped so a peer cannot keep us busy without progress (unexpected_message); renegotiation
# is refused (RFC 5746 §4.2/§4.4 allow refusing) with a warning no_renegotiation the first
# time and a fatal one if the peer insists.
from __future__ import annotations

import hmac
import struct

from . import crypto, keyschedule
from ._speedups import backend as _get_backend
from .enums import AlertDescription, AlertLevel, ContentType, HandshakeType
from .errors import (
    CertificateError,
    DecodeError,
    DecryptError,
    IllegalParameter,
    InternalError,
    LocalProtocolError,
    NoRenegotiation,
    PeerAlertError,
    TLSError,
    UnexpectedMessage,
)
from .events import AlertReceived, ApplicationData, ConnectionClosed, HandshakeComplete
from .messages import Finished
from .record_layer import RecordLayer
from .trace import TraceEvent, message_name, summarize
from .transcript import Transcript

__all__ = ["Connection", "State", "connection_twins", "connection_limits"]

MAX_RENEGOTIATION_REQUESTS = 1  # refused with a warning once; fatal after that
# Wire values as plain ints: an IntEnum attribute lookup costs several times a global.
_HANDSHAKE = int(ContentType.handshake)
_APPLICATION_DATA = int(ContentType.application_data)
_ALERT = int(ContentType.alert)
_CERTIFICATE = int(HandshakeType.certificate)
_HELLO_REQUEST = int(HandshakeType.hello_request)
_LIMITED = frozenset((int(HandshakeType.client_hello), int(HandshakeType.server_hello),
                      _CERTIFICATE))  # messages _check_limits() looks at
_CLOSE_NOTIFY = bytes((AlertLevel.warning, AlertDescription.close_notify))
_WARNING, _FATAL = int(AlertLevel.warning), int(AlertLevel.fatal)
# RFC 5246 §7.4.9: a TLS 1.2 Finished is its 4-byte header (type 20, length 12) and the
# 12-byte verify_data, which is all the codec would write for it.
_FINISHED_HEADER = b"\x14\x00\x00\x0c"
# Events are immutable, so the three completions are made once and shared.
_COMPLETE = {kind: HandshakeComplete(kind) for kind in ("full", "session_id", "ticket")}


def connection_twins(config) -> tuple:
    """(backend, prf function, codec module, record module, KeyedPrf class) for `config`.

    Configs built by config.py carry this tuple precomputed (`_twins`); any other object
    with a `backend` attribute (a Backend, a name or None) is resolved here.
    """
    twins = getattr(config, "_twins", None)
    if twins is None:
        backend = config.backend
        if backend is None or isinstance(backend, str):
            backend = _get_backend(backend)
        twins = (backend, backend.prf.prf, backend.codec, backend.record, backend.prf.KeyedPrf)
    return twins


def connection_limits(config) -> tuple:
    """The config's DoS limits (RecordLayer's three, then extensions, chain length,
    warning alerts, empty records); precomputed by config.py as `_limits`."""
    limits = getattr(config, "_limits", None)
    if limits is None:
        limits = (getattr(config, "max_fragment_size", 16384),
                  getattr(config, "max_handshake_size", 65536),
                  getattr(config, "max_buffered_input", 65536),
                  getattr(config, "max_extensions", 64), getattr(config, "max_chain_length", 10),
                  getattr(config, "max_warning_alerts", 4),
                  getattr(config, "max_empty_records", 32))
    return limits


class State:
    """One handshake state. Subclasses set `expects` and override handle()/handle_ccs().

    Attributes:
        expects: handshake types acceptable in this state; anything else is
            unexpected_message before it is even decoded.
    """

    __slots__ = ()
    expects: tuple = ()

    def handle(self, conn: "Connection", msg, raw: bytes) -> "State":
        raise UnexpectedMessage(f"unexpected handshake message in {type(self).__name__}")

    def handle_ccs(self, conn: "Connection") -> "State":
        raise UnexpectedMessage(f"unexpected ChangeCipherSpec in {type(self).__name__}")


class HandshakeState(State):
    """A state of a handshake in progress; `hs` is that side's handshake record."""

    __slots__ = ("hs",)

    def __init__(self, hs):
        self.hs = hs


class Connection:
    """Base class of ClientConnection and ServerConnection (not thread-safe).

    Attributes:
        is_server: True for a ServerConnection.
        version: always "TLSv1.2".
    """

    version = "TLSv1.2"
    is_server = False

    # Slots: the engine reads and writes these on every message, and slot access is the
    # fastest attribute access CPython has (LOAD_ATTR_SLOT). The __dict__ slot stays empty
    # unless someone adds an attribute of their own (subclasses, tests patching a method).
    __slots__ = (
        "__dict__", "__weakref__", "_config", "_prf", "_keyed_prf", "_codec", "_decode", "_encode",
        "_max_extensions", "_max_chain_length", "_max_warnings", "_max_empty_records",
        "_records", "_write", "_take", "_tracer", "transcript", "_state", "_events",
        "_read_closed", "_write_closed", "_handshake_done", "_warnings", "_empty_records",
        "_renegotiations",
        # Negotiated parameters, filled in by the states.
        "_suite", "_client_random", "_server_random", "_session_id", "_master_secret",
        "_master_prf", "_ems", "_etm", "_alpn", "_server_name", "_peer_certificates",
        "_peer_chain", "_resumption", "_session",
    )

    def __init__(self, config):
        self._config = config
        try:  # what config.py precomputes
            twins, limits, self._tracer = config._twins, config._limits, config.tracer
        except AttributeError:  # any other object with a `backend` attribute
            twins, limits = connection_twins(config), connection_limits(config)
            self._tracer = getattr(config, "tracer", None)
        _, self._prf, codec, record, self._keyed_prf = twins
        self._codec = codec
        self._decode = codec.decode_handshake
        self._encode = codec.encode_handshake
        (max_fragment, max_handshake, max_input, self._max_extensions,
         self._max_chain_length, self._max_warnings, self._max_empty_records) = limits
        self._records = records = RecordLayer(record, codec, self.is_server, max_fragment,
                                              max_handshake, max_input)
        self._write = records.writer.write
        self._take = records.writer.take
        self.transcript = Transcript()
        self._state: State = _NO_STATE
        self._events: list = []
        self._read_closed = self._write_closed = self._handshake_done = False
        self._warnings = self._empty_records = self._renegotiations = 0
        self._suite = self._master_prf = self._session = None
        self._client_random = self._server_random = self._session_id = self._master_secret = b""
        self._ems = self._etm = False
        self._alpn: str | None = None
        self._server_name: str | None = None
        self._peer_certificates: list | None = None  # x509.Certificate objects, parsed lazily
        self._peer_chain: tuple = ()  # the peer's chain as received, DER
        self._resumption: str | None = None

    # ------------------------------------------------------------------ public API

    def receive_data(self, data) -> list:
        """Process bytes received from the peer.

        Args:
            data: bytes-like; b"" means the transport reached EOF.

        Returns:
            The events the data produced, in order. Once the connection is closed for
            reading (close_notify, EOF or a fatal error) further data is ignored.

        Raises:
            TLSError: a fatal protocol error (the alert is queued in data_to_send() and
                the connection is closed) or PeerAlertError (the peer's fatal alert).
        """
        self._events = events = []
        if self._read_closed:
            return events
        try:
            if not data:
                self._on_eof()
            elif len(data) <= self._records.one_feed:  # the usual case: one feed
                self._records.reader.feed(data)
                self._drain()
            else:
                for _ in self._records.feed_slices(data):
                    self._drain()
                    if self._read_closed:
                        break
        except TLSError as exc:
            if exc.alert is None and not isinstance(exc, PeerAlertError):
                self._raise_wrapped(InternalError("internal error while processing received data"), exc)
            self._fail(exc)
            raise
        except (ValueError, TypeError, IndexError, KeyError, struct.error, OverflowError,
                UnicodeError) as exc:
            self._raise_wrapped(DecodeError("malformed message"), exc)
        except Exception as exc:
            self._raise_wrapped(InternalError("internal error while processing received data"), exc)
        return events

    def _raise_wrapped(self, error: TLSError, cause: BaseException) -> None:
        # Raised from a helper frame that drops its reference to `error` on the way out,
        # so the traceback does not keep a frame that holds the exception (a reference
        # cycle that would keep this connection alive until the next GC pass).
        self._fail(error)
        try:
            raise error from cause
        finally:
            del error, cause

    def data_to_send(self) -> bytes:
        """Return (and forget) the bytes to write to the peer; may be b""."""
        return self._take()

    def send(self, data) -> None:
        """Queue application data (fragmented into records of at most 16 KiB).

        Raises:
            LocalProtocolError: the handshake is not complete or the connection is closed.
        """
        if self._write_closed:
            raise LocalProtocolError("connection is closed")
        if not self._handshake_done:
            raise LocalProtocolError("send() before the handshake completed")
        if len(data):
            self._write(_APPLICATION_DATA, data)

    def close(self) -> None:
        """Queue close_notify (RFC 5246 §7.2.1); further send() calls fail."""
        if not self._write_closed:
            self._write_closed = True
            self._write(_ALERT, _CLOSE_NOTIFY)

    @property
    def handshake_complete(self) -> bool:
        """True once both Finished messages have been exchanged and checked."""
        return self._handshake_done

    @property
    def closed(self) -> bool:
        """True once nothing more can be sent (close(), close_notify, EOF or fatal error)."""
        return self._write_closed

    @property
    def cipher_suite(self) -> str | None:
        """IANA name of the negotiated suite, or None before ServerHello."""
        return self._suite.name if self._suite is not None else None

    @property
    def resumption(self) -> str | None:
        """"full", "session_id" or "ticket" once the handshake is complete, else None."""
        return self._resumption if self._handshake_done else None

    @property
    def session(self):
        """The SessionState of this connection once the handshake is complete, else None."""
        if not self._handshake_done:
            return None
        session = self._session
        return session if session is not None else self._lazy_session()

    @property
    def alpn_protocol(self) -> str | None:
        """The ALPN protocol agreed on (RFC 7301), or None."""
        return self._alpn

    @property
    def server_name(self) -> str | None:
        """SNI host name: the one the client sent (server) or asked for (client)."""
        return self._server_name

    @property
    def peer_certificates(self) -> list:
        """The peer's certificate chain as cryptography x509.Certificate objects.

        After a resumed handshake the chain is the session's, parsed on first use.
        """
        certs = self._peer_certificates
        if certs is None:
            if not self._peer_chain:
                return []
            try:
                certs = self._peer_certificates = crypto.load_peer_chain(self._peer_chain)[0]
            except CertificateError:
                return []
        return list(certs)

    @property
    def extended_master_secret(self) -> bool:
        """True when RFC 7627 extended master secret is in use."""
        return self._ems

    def export_keying_material(self, label, length: int, context: bytes | None = None) -> bytes:
        """RFC 5705 keying material exporter.

        Raises:
            LocalProtocolError: the handshake is not complete.
            ConfigurationError: a reserved label or oversized context.
        """
        if not self._handshake_done:
            raise LocalProtocolError("export_keying_material() before the handshake completed")
        return keyschedule.export_keying_material(
            self._prf, self._suite.prf_hash, self._master_secret, self._client_random,
            self._server_random, label, length, context)

    def __repr__(self) -> str:
        role = "server" if self.is_server else "client"
        return (f"<{type(self).__name__} {role} state={type(self._state).__name__} "
                f"suite={self.cipher_suite}>")

    # ------------------------------------------------------------------ receiving

    def _drain(self) -> None:
        """Process every complete record in the reader, in order, until it is empty or
        the connection is closed for reading. Handshake records go to the joiner and each
        complete message to _on_handshake(), right here (the common case: no call per
        record)."""
        records = self._records
        reader = records.reader
        joiner = records.joiner
        record = reader.next_record()
        while record is not None:
            content_type, payload = record
            if content_type == _HANDSHAKE:
                self._empty_records = 0
                joiner.feed(payload)
                while not self._read_closed:
                    message = joiner.pop()
                    if message is None:
                        break
                    self._on_handshake(*message)
            elif content_type == _APPLICATION_DATA:
                self._on_application_data(payload)
            elif content_type == _ALERT:
                self._on_alert(payload)
            else:
                self._on_ccs(payload)
            if self._read_closed:
                return
            record = reader.next_record()

    def _on_handshake(self, msg_type: int, body, raw) -> None:
        state = self._state
        if msg_type not in state.expects:
            if self._handshake_done and msg_type == self._renegotiation_trigger():
                self._refuse_renegotiation()
                return
            if msg_type == _HELLO_REQUEST and not self.is_server:
                # RFC 5246 §7.4.1.1: ignored while a handshake is in progress, never hashed.
                if len(body):
                    raise DecodeError("HelloRequest with a body")
                return
            raise UnexpectedMessage(
                f"unexpected {message_name(msg_type)} in {type(state).__name__}")
        suite = self._suite
        msg = self._decode(msg_type, body, suite.kx if suite is not None else None)
        if msg_type in _LIMITED:
            self._check_limits(msg_type, msg)
        if self._tracer is not None:
            self._trace("recv", message_name(msg_type), len(raw), summarize(msg))
        self._state = state.handle(self, msg, raw)

    def _check_limits(self, msg_type: int, msg) -> None:
        """Cap what a peer can make the states process (config max_extensions/max_chain_length).

        Raises:
            DecodeError: more extensions in a hello than max_extensions (a count out of
                the range we accept, RFC 5246 §7.2.2 decode_error; rustls and GnuTLS also
                answer oversized extension blocks with decode_error).
            CertificateError: more certificates than max_chain_length (RFC 5246 §7.2.2
                bad_certificate: the chain is refused before any parsing or path building).
        """
        if msg_type == _CERTIFICATE:
            if len(msg.certificates) > self._max_chain_length:
                raise CertificateError("certificate chain longer than max_chain_length")
        elif msg.extensions is not None and len(msg.extensions) > self._max_extensions:
            raise DecodeError("more hello extensions than max_extensions")

    def _renegotiation_trigger(self) -> int:
        return HandshakeType.client_hello if self.is_server else HandshakeType.hello_request

    def _refuse_renegotiation(self) -> None:
        # RFC 5246 §7.2.2 / RFC 5746 §4: no_renegotiation is a warning; the peer may
        # carry on. A peer that asks again is misbehaving: fatal no_renegotiation.
        self._renegotiations += 1
        if self._renegotiations > MAX_RENEGOTIATION_REQUESTS:
            raise NoRenegotiation("peer keeps asking for renegotiation")
        self._write(_ALERT, bytes((_WARNING, AlertDescription.no_renegotiation)))

    def _on_ccs(self, payload) -> None:
        # RFC 5246 §7.1: exactly one byte of value 1, only where the state expects it.
        if len(payload) != 1:
            raise DecodeError("ChangeCipherSpec must be one byte")
        if payload[0] != 1:
            raise IllegalParameter("ChangeCipherSpec value must be 1")
        self._empty_records = 0
        if self._tracer is not None:
            self._trace("recv", "change_cipher_spec", 1, "")
        self._state = self._state.handle_ccs(self)

    def _on_application_data(self, payload) -> None:
        if not self._handshake_done:
            raise UnexpectedMessage("application data before the handshake completed")
        if not len(payload):
            self._empty_records += 1
            if self._empty_records > self._max_empty_records:
                raise UnexpectedMessage("too many consecutive empty records")
            return
        self._empty_records = 0
        self._warnings = 0
        self._events.append(ApplicationData(bytes(payload)))

    def _on_alert(self, payload) -> None:
        if len(payload) == 0 or len(payload) % 2:
            raise DecodeError("malformed alert record")
        for pos in range(0, len(payload), 2):
            level, description = payload[pos], payload[pos + 1]
            if description == AlertDescription.close_notify:
                self._events.append(ConnectionClosed(clean=True))
                self.close()  # RFC 5246 §7.2.1: respond with our own close_notify
                self._read_closed = True
                self._on_closed()
                return
            if level == _WARNING:
                self._warnings += 1
                if self._warnings > self._max_warnings:
                    raise UnexpectedMessage("too many consecutive warning alerts")
                self._events.append(AlertReceived(level, description))
                continue
            if level != _FATAL:
                raise IllegalParameter("unknown alert level")
            self._read_closed = self._write_closed = True
            self._on_closed(failed=True)
            alert = AlertDescription(description)
            raise PeerAlertError(f"peer sent fatal alert {alert.name}", alert)

    def _on_eof(self) -> None:
        self._read_closed = self._write_closed = True
        self._events.append(ConnectionClosed(clean=False))
        self._on_closed()

    def _fail(self, exc: TLSError) -> None:
        """Queue the fatal alert for `exc` (if it has one) and close the connection."""
        if not self._write_closed and exc.alert is not None and not isinstance(exc, PeerAlertError):
            try:
                self._write(_ALERT, bytes((_FATAL, exc.alert)))
            except Exception:  # the writer itself failed: nothing more can be sent
                pass
        self._read_closed = self._write_closed = True
        self._on_closed(failed=True)

    def _on_closed(self, failed: bool = False) -> None:
        """Hook for subclasses (e.g. drop a session after a fatal alert, RFC 5246 §7.2)."""

    def _lazy_session(self):
        """Hook for subclasses: build a session not built at completion (else None)."""
        return None

    # ------------------------------------------------------------------ helpers for states

    def _trace(self, direction: str, name: str, length: int, summary: str) -> None:
        self._tracer(TraceEvent(direction, name, length, summary))

    def send_handshake(self, msg) -> bytes:
        """Encode, hash and queue one handshake message; returns its encoding."""
        raw = self._encode(msg)
        self.transcript.add(raw)
        self._write(_HANDSHAKE, raw)
        if self._tracer is not None:
            self._trace("send", message_name(msg.msg_type), len(raw), summarize(msg))
        return raw

    def send_encoded(self, raw: bytes) -> None:
        """Hash and queue one handshake message already encoded (header included)."""
        self.transcript.add(raw)
        self._write(_HANDSHAKE, raw)

    def send_finished(self, from_client: bool) -> None:
        """Compute, hash and queue our Finished (RFC 5246 §7.4.9)."""
        verify_data = self.verify_data(from_client)
        raw = _FINISHED_HEADER + verify_data
        self.transcript.add(raw)
        self._write(_HANDSHAKE, raw)
        if self._tracer is not None:
            self._trace("send", "finished", len(raw), summarize(Finished(verify_data)))

    def send_ccs(self) -> None:
        """Send ChangeCipherSpec and switch to the pending write keys."""
        self._records.change_write()
        if self._tracer is not None:
            self._trace("send", "change_cipher_spec", 1, "")

    def change_read_keys(self) -> None:
        """Switch to the pending read keys (the peer's ChangeCipherSpec arrived)."""
        self._records.change_read()

    def establish_master_secret(self, pre_master_secret: bytes) -> None:
        """Derive the master secret (RFC 5246 §8.1 or RFC 7627 §4), log it, install keys.

        With EMS the session hash is the transcript so far, which must end with the
        ClientKeyExchange (RFC 7627 §3).
        """
        suite = self._suite
        if self._ems:
            self._master_secret = keyschedule.extended_master_secret(
                self._prf, suite.prf_hash, pre_master_secret, self.transcript.current_hash())
        else:
            self._master_secret = keyschedule.master_secret(
                self._prf, suite.prf_hash, pre_master_secret, self._client_random,
                self._server_random)
        self.install_keys()

    def install_keys(self) -> None:
        """Key block from the master secret (RFC 5246 §6.3) -> pending protections."""
        keylog = getattr(self._config, "keylog", None)
        if keylog is not None:
            keylog.log("CLIENT_RANDOM", self._client_random, self._master_secret)
        suite = self._suite
        layout = self._records.key_block_layout(suite)
        # The master secret keys the PRF once for the key block and both Finished.
        self._master_prf = master_prf = self._keyed_prf(self._master_secret, suite.prf_hash)
        block = keyschedule.keyed_key_block(master_prf, self._client_random, self._server_random,
                                            layout[0])
        self._records.install_key_block(suite, block, layout, self._etm)

    def verify_data(self, from_client: bool) -> bytes:
        """Finished.verify_data over the transcript so far (RFC 5246 §7.4.9)."""
        return keyschedule.keyed_verify_data(self._master_prf, from_client,
                                             self.transcript.current_hash())

    def check_finished(self, msg, raw, from_client: bool) -> None:
        """Check the peer's Finished in constant time, then add it to the transcript.

        Raises:
            DecryptError: verify_data does not match (RFC 5246 §7.2.2).
        """
        expected = self.verify_data(from_client)
        if not hmac.compare_digest(expected, bytes(msg.verify_data)):
            raise DecryptError("Finished verify_data does not match")
        self.transcript.add(raw)

    def complete_handshake(self, resumption: str) -> None:
        """Mark the handshake done and emit HandshakeComplete."""
        self._handshake_done = True
        self._resumption = resumption
        self._master_prf = None  # no Finished left to compute: free the keyed HMAC state
        self.transcript.drop_buffer()
        self._events.append(_COMPLETE[resumption])



_NO_STATE = State()  # before the first state is set (never handles anything)
