# ServerConfig and ClientConfig: everything a connection needs that does not change per
# connection, validated once at construction so mistakes surface as ConfigurationError
# with a readable message (not as a failed handshake later).
#
# Each config keeps every constructor argument under its own name and adds the resolved
# values the handshake states read: `.suites` (suites.CipherSuite rows, preference order),
# `.groups` (NamedGroup), `.signature_schemes` (ints), `.alpn_protocols` (bytes), `.keylog`
# (a KeyLogWriter or None), `.backend` (the twins from _speedups) and the trust anchors.
# Names are IANA names throughout (RFC 8447 registries).
#
# Precomputed for the connections (never set by users): `_twins` (connection_twins():
# backend, prf function, codec module, record module, KeyedPrf; what a connection would
# otherwise look up through the backend on every construction), `_limits` (the max_*
# values in connection.py's order; configs are not changed after construction) and
# `suite_codes` (the wire codes of `.suites`, set together with it by the `suites`
# property).
#
# DoS limits (the `max_*` keyword-only options, checked by connection.py/record_layer.py;
# each violation is a fatal alert, docs/side-channels.md and the class docstrings list
# which): input buffer, handshake message size, extensions per hello, certificate chain
# length, and the rustls-style "temper counters" for warning alerts and empty records.
from __future__ import annotations

import logging
import time
import warnings

from . import _speedups
from .connection import connection_twins
from .enums import NamedGroup, SignatureScheme
from .errors import ConfigurationError
from .suites import DEFAULT_SIGNATURE_SCHEMES, resolve_groups, resolve_suites

__all__ = ["ServerConfig", "ClientConfig", "InsecureWarning", "LIMIT_RANGES", "check_limits"]

logger = logging.getLogger("tls12fast")

class _DefaultStore:
    """Sentinel: "build the default store" (None means "turned off")."""

    def __repr__(self) -> str:
        return "<a new default store>"


_DEFAULT = _DefaultStore()
CLIENT_AUTH_MODES = ("none", "optional", "required")
_FFDHE_GROUPS = (NamedGroup.ffdhe2048, NamedGroup.ffdhe3072)


class InsecureWarning(UserWarning):
    """Certificate verification is turned off (ClientConfig(verify=False))."""


def _schemes(value) -> tuple[int, ...]:
    if value is None:
        return tuple(int(s) for s in DEFAULT_SIGNATURE_SCHEMES)
    if isinstance(value, (str, int)):
        value = [value]
    out = []
    for item in value:
        try:
            out.append(int(SignatureScheme[item] if isinstance(item, str) else SignatureScheme(item)))
        except (KeyError, ValueError):
            raise ConfigurationError(f"unknown or unsupported signature scheme {item!r}") from None
    if not out:
        raise ConfigurationError("signature_schemes must not be empty")
    return tuple(out)


def _alpn(protocols) -> tuple[bytes, ...]:
    # RFC 7301 §3.1: each ProtocolName is 1..255 bytes.
    if isinstance(protocols, (str, bytes)):
        protocols = [protocols]
    out = []
    for proto in protocols:
        raw = proto.encode("utf-8") if isinstance(proto, str) else bytes(proto)
        if not 1 <= len(raw) <= 255:
            raise ConfigurationError(f"ALPN protocol {proto!r} must be 1 to 255 bytes long")
        out.append(raw)
    return tuple(out)


def _size(name: str, value, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigurationError(f"{name} must be an integer between {low} and {high}, not {value!r}")
    return value


def _callable_or_none(name: str, value):
    if value is not None and not callable(value):
        raise ConfigurationError(f"{name} must be callable or None, not {type(value).__name__}")
    return value


def _keylog(target):
    if target is None:
        return None
    from .keylog import make_keylog

    return make_keylog(target)


# The per-connection limits (the order of Connection's `_limits` tuple), with their ranges.
LIMIT_RANGES = {
    # RFC 5246 §6.2.1: plaintext fragments are at most 2^14 bytes.
    "max_fragment_size": (512, 16384),
    # Handshake messages have a 24-bit length (RFC 5246 §7.4); the cap bounds memory.
    "max_handshake_size": (4096, 2**24 - 1),
    # The record reader must hold one maximal record (5 + 2^14 + 2048, RFC 5246 §6.2.3)
    # plus room to feed the next slice; 32 KiB keeps slices >= 14 KiB.
    "max_buffered_input": (32768, 2**24),
    "max_extensions": (1, 65535),
    "max_chain_length": (1, 255),
    "max_warning_alerts": (0, 65535),
    "max_empty_records": (0, 65535),
}


def check_limits(limits: dict) -> dict:
    """`limits` (names of LIMIT_RANGES) checked: ConfigurationError if one is out of range."""
    return {name: _size(name, value, *LIMIT_RANGES[name]) for name, value in limits.items()}


def _limit_arguments(scope: dict) -> dict:
    """A config constructor's limit keywords (named as in LIMIT_RANGES), from its locals()."""
    return {name: scope[name] for name in LIMIT_RANGES}


class _Common:
    """Settings shared by both sides (resolved in `_init_common`)."""

    def _init_common(self, cipher_suites, groups, signature_schemes, alpn_protocols, keylog,
                     encrypt_then_mac, tracer, backend, clock, limits: dict):
        # `limits`: every name of LIMIT_RANGES with its value.
        self.cipher_suites = cipher_suites
        self.suites = resolve_suites(cipher_suites)
        self.groups = resolve_groups(groups)
        self.signature_schemes = _schemes(signature_schemes)
        self.alpn_protocols = _alpn(alpn_protocols)
        self.encrypt_then_mac = bool(encrypt_then_mac)
        checked = check_limits(limits)
        for name, value in checked.items():
            setattr(self, name, value)
        self._limits = tuple(checked[name] for name in LIMIT_RANGES)  # for Connection
        self.tracer = _callable_or_none("tracer", tracer)
        self.clock = _callable_or_none("clock", clock) or time.time
        self.backend = _speedups.backend(backend)
        self._twins = connection_twins(self)
        self.keylog = _keylog(keylog)

    @property
    def suites(self) -> tuple:
        """The suites.CipherSuite rows in preference order."""
        return self._suites

    @suites.setter
    def suites(self, value) -> None:
        self._suites = tuple(value)
        self.suite_codes = frozenset(s.code for s in self._suites)


class ServerConfig(_Common):
    """Server settings shared by many ServerConnections.

    Args:
        certificates: one CertifiedKey or a non-empty list (picked per suite and SNI).
        cipher_suites: IANA suite names in preference order (None: all, default order).
        groups: IANA group names for ECDHE/DHE (None: x25519, secp256r1, secp384r1,
            ffdhe2048, ffdhe3072).
        session_cache: server session-ID cache (default: a new MemorySessionCache);
            None turns session-ID resumption off.
        tickets: session ticket keys (default: a new TicketKeys); None turns tickets off.
        client_auth: "none", "optional" or "required" (client certificates).
        client_ca: trust anchors for client certificates (PEM path, list or PEM bytes);
            required unless client_auth is "none".
        alpn_protocols: protocols we accept, in preference order (str or bytes).
        require_extended_master_secret: refuse clients without RFC 7627.
        keylog: a path or callable for NSS key log lines, or None.
        signature_schemes: IANA scheme names we sign with / accept (None: defaults).
        dhe_group: the FFDHE group for DHE when the client names none (RFC 7919 §4).
        encrypt_then_mac: accept RFC 7366 for CBC suites.
        max_fragment_size: largest plaintext fragment we send.
        max_handshake_size: largest handshake message body we accept (4096..2^24-1,
            default 65536); a larger length in a message header is decode_error as soon
            as the 4-byte header arrives.
        max_buffered_input: capacity in bytes of the received-record buffer
            (32768..2^24, default 65536). receive_data() feeds any amount of input
            through it in slices and turns every complete record into events at once, so
            between calls it holds at most one partial record (< 5 + 2^14 + 2048 bytes)
            and one partial handshake message (< max_handshake_size); a record header
            announcing more than RFC 5246 §6.2 allows is record_overflow at once.
            Decrypted application data is never held back: it is returned as
            ApplicationData events.
        max_extensions: most extensions accepted in a ClientHello or ServerHello
            (default 64); more is decode_error.
        max_chain_length: most certificates accepted in a Certificate message (default
            10); more is bad_certificate.
        max_warning_alerts: warning alerts tolerated in a row without progress (default
            4); one more is unexpected_message.
        max_empty_records: empty application-data records tolerated in a row (default
            32, as OpenSSL); one more is unexpected_message.
        tracer: callable receiving a trace event per handshake message, or None.
        backend: "cython", "python" or None (default twins).
        clock: returns the current time in seconds; the default session cache and
            ticket keys are built with it.
    """

    def __init__(self, certificates, cipher_suites=None, groups=None, session_cache=_DEFAULT,
                 tickets=_DEFAULT, client_auth="none", client_ca=None, alpn_protocols=(),
                 require_extended_master_secret=False, keylog=None, *, signature_schemes=None,
                 dhe_group="ffdhe2048", encrypt_then_mac=True, max_fragment_size=16384,
                 max_handshake_size=65536, max_buffered_input=65536, max_extensions=64,
                 max_chain_length=10, max_warning_alerts=4, max_empty_records=32, tracer=None,
                 backend=None, clock=time.time):
        from .certs import CertifiedKey, load_trust_store

        if certificates is None or isinstance(certificates, CertifiedKey):
            certificates = [certificates] if certificates is not None else []
        certificates = tuple(certificates)
        if not certificates:
            raise ConfigurationError("a server needs at least one CertifiedKey in certificates=")
        for cert in certificates:
            if not isinstance(cert, CertifiedKey):
                raise ConfigurationError(
                    f"certificates= takes CertifiedKey objects (see CertifiedKey.load), not {type(cert).__name__}"
                )
        self.certificates = certificates
        self._init_common(cipher_suites, groups, signature_schemes, alpn_protocols, keylog,
                          encrypt_then_mac, tracer, backend, clock, _limit_arguments(locals()))

        # Keep only suites some certificate can authenticate (RFC 5246 §7.4.2).
        key_types = {c.key_type for c in certificates}
        servable = tuple(s for s in self.suites if s.auth in key_types)
        if not servable:
            raise ConfigurationError(
                f"no certificate can serve any configured cipher suite (certificates: "
                f"{', '.join(sorted(key_types))}; suites: {', '.join(s.name for s in self.suites)})"
            )
        self.suites = servable

        try:
            self.dhe_group = NamedGroup[dhe_group] if isinstance(dhe_group, str) else NamedGroup(dhe_group)
        except (KeyError, ValueError):
            self.dhe_group = None
        if self.dhe_group not in _FFDHE_GROUPS:
            raise ConfigurationError(f"dhe_group must be 'ffdhe2048' or 'ffdhe3072', not {dhe_group!r}")

        if client_auth not in CLIENT_AUTH_MODES:
            raise ConfigurationError(f"client_auth must be one of {CLIENT_AUTH_MODES}, not {client_auth!r}")
        if client_auth != "none" and client_ca is None:
            raise ConfigurationError(
                f"client_auth={client_auth!r} needs client_ca= (the CA certificates that issue client certificates)"
            )
        self.client_auth = client_auth
        self.client_ca = client_ca
        self.client_trust = load_trust_store(client_ca) if client_ca is not None else None
        self.require_extended_master_secret = bool(require_extended_master_secret)

        if session_cache is _DEFAULT:
            from .sessions import MemorySessionCache

            session_cache = MemorySessionCache(clock=self.clock)
        if tickets is _DEFAULT:
            from .tickets import TicketKeys

            tickets = TicketKeys(clock=self.clock)
        self.session_cache = session_cache
        self.tickets = tickets

    def __repr__(self) -> str:
        return (
            f"<ServerConfig {len(self.certificates)} certificate(s), {len(self.suites)} suites, "
            f"client_auth={self.client_auth!r}, session_cache={'on' if self.session_cache is not None else 'off'}, "
            f"tickets={'on' if self.tickets is not None else 'off'}>"
        )


class ClientConfig(_Common):
    """Client settings shared by many ClientConnections.

    Args:
        cafile: trust anchors: PEM path, list of paths or PEM bytes.
        cadata: trust anchors as PEM text or DER bytes. With neither cafile nor cadata,
            the system store (parsed once per process, at the first ClientConfig).
        verify: verify the server's certificate chain; False warns (InsecureWarning).
        check_hostname: match the certificate against the server name (needs verify).
        session_store: client session store (default: a new ClientSessionStore);
            None turns resumption off.
        cipher_suites, groups, alpn_protocols, keylog, signature_schemes,
            encrypt_then_mac, max_fragment_size, max_handshake_size, max_buffered_input,
            max_extensions, max_chain_length, max_warning_alerts, max_empty_records,
            tracer, backend, clock: as for ServerConfig, seen from the client.
        certificate: a CertifiedKey presented when the server asks, or None.
        offer_ticket: send the SessionTicket extension (RFC 5077 §3.2).
        extended_master_secret: offer RFC 7627.
        require_extended_master_secret: abort if the server does not use RFC 7627.
    """

    def __init__(self, cafile=None, cadata=None, verify=True, check_hostname=True,
                 session_store=_DEFAULT, cipher_suites=None, groups=None, alpn_protocols=(),
                 certificate=None, offer_ticket=True, keylog=None, *, signature_schemes=None,
                 encrypt_then_mac=True, extended_master_secret=True,
                 require_extended_master_secret=False, max_fragment_size=16384,
                 max_handshake_size=65536, max_buffered_input=65536, max_extensions=64,
                 max_chain_length=10, max_warning_alerts=4, max_empty_records=32, tracer=None,
                 backend=None, clock=time.time):
        from .certs import CertifiedKey, load_trust_store

        self._init_common(cipher_suites, groups, signature_schemes, alpn_protocols, keylog,
                          encrypt_then_mac, tracer, backend, clock, _limit_arguments(locals()))
        self.verify = bool(verify)
        self.check_hostname = bool(check_hostname)
        if self.check_hostname and not self.verify:
            raise ConfigurationError("check_hostname=True needs verify=True; pass check_hostname=False too")
        self.cafile = cafile
        self.cadata = cadata
        if self.verify:
            self.trust = load_trust_store(cafile, cadata)
        else:
            self.trust = None
            message = "certificate verification is disabled (verify=False): connections are not authenticated"
            warnings.warn(message, InsecureWarning, stacklevel=2)
            logger.warning(message)

        if certificate is not None and not isinstance(certificate, CertifiedKey):
            raise ConfigurationError(
                f"certificate= takes a CertifiedKey (see CertifiedKey.load), not {type(certificate).__name__}"
            )
        self.certificate = certificate
        self.offer_ticket = bool(offer_ticket)
        self.extended_master_secret = bool(extended_master_secret)
        self.require_extended_master_secret = bool(require_extended_master_secret)
        if self.require_extended_master_secret and not self.extended_master_secret:
            raise ConfigurationError("require_extended_master_secret=True needs extended_master_secret=True")
        if session_store is _DEFAULT:
            from .sessions import ClientSessionStore

            session_store = ClientSessionStore(clock=self.clock)
        self.session_store = session_store

    def __repr__(self) -> str:
        return (
            f"<ClientConfig verify={self.verify} check_hostname={self.check_hostname}, "
            f"{len(self.suites)} suites, session_store={'on' if self.session_store is not None else 'off'}>"
        )
