# The ssl-compatible drop-in: tls12fast.SSLContext, a subclass of ssl.SSLContext whose
# every method and property is implemented by tls12fast (so `isinstance(ctx,
# ssl.SSLContext)` checks in asyncio, http.client and urllib pass).
#
# How this works: the context only records settings (certificates, trust anchors,
# cipher list, ALPN, verify mode, options...). On first use it turns them into one
# tls12fast ServerConfig or ClientConfig — rebuilt only after a setter changes something
# — and wrap_bio()/wrap_socket() hand each new sans-IO connection to an SSLObject /
# SSLSocket (compat_socket.py) that speaks the ssl module's calling conventions. The
# underlying OpenSSL context that ssl.SSLContext.__new__ allocates is never consulted:
# every public name of ssl.SSLContext is overridden here, and features tls12fast lacks
# (NPN, custom DH parameters, TLS 1.3 knobs...) raise NotImplementedError.
#
# Cipher strings (set_ciphers) follow OpenSSL's ciphers(1) rules for the TLS 1.2 suites
# we implement: ':'/','/' '-separated words, "A+B" intersections, '!' (remove for good),
# '-' (remove), '+' (move to the end), @STRENGTH, aliases such as ALL, DEFAULT, HIGH,
# ECDHE/kEECDH, DHE/kEDH, kRSA, aRSA, aECDSA, AESGCM, CHACHA20, SHA256, and each suite's
# OpenSSL name (e.g. ECDHE-RSA-AES128-GCM-SHA256) or IANA name. Unknown words match
# nothing, as in OpenSSL; a string selecting nothing raises ssl.SSLError.
from __future__ import annotations

import os
import ssl
import threading

from .client.connection import ClientConnection
from .compat_errors import map_error
from .compat_object import SSLObject
from .compat_session import SSLSession, decode_cert, openssl_name
from .config import LIMIT_RANGES, check_limits
from .compat_socket import SSLSocket
from .errors import ConfigurationError
from .server.connection import ServerConnection
from .suites import ALL_SUITES

__all__ = ["SSLContext", "SSLObject", "SSLSocket", "SSLSession", "PROTOCOL_TLS_SERVER",
           "PROTOCOL_TLS_CLIENT", "OP_NO_TICKET", "create_default_context", "openssl_name",
           "map_error"]

PROTOCOL_TLS_SERVER = ssl.PROTOCOL_TLS_SERVER
PROTOCOL_TLS_CLIENT = ssl.PROTOCOL_TLS_CLIENT
OP_NO_TICKET = ssl.OP_NO_TICKET

# Options reported by a fresh context: only TLS 1.2 is spoken, no compression, no
# renegotiation (RFC 5746 is honoured but renegotiation is always refused).
_FIXED_OPTIONS = (ssl.OP_ALL | ssl.OP_NO_SSLv2 | ssl.OP_NO_SSLv3 | ssl.OP_NO_TLSv1 | ssl.OP_NO_TLSv1_1
                  | ssl.OP_NO_TLSv1_3 | ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
                  | ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_SINGLE_DH_USE | ssl.OP_SINGLE_ECDH_USE)
_ALLOWED_VERIFY_FLAGS = (ssl.VERIFY_DEFAULT | ssl.VERIFY_X509_TRUSTED_FIRST | ssl.VERIFY_X509_STRICT
                         | ssl.VERIFY_X509_PARTIAL_CHAIN)
_CURVES = {"prime256v1": "secp256r1", "secp256r1": "secp256r1", "secp384r1": "secp384r1",
           "x25519": "x25519", "X25519": "x25519"}
_STATS = ("number", "connect", "connect_good", "connect_renegotiate", "accept", "accept_good",
          "accept_renegotiate", "hits", "misses", "timeouts", "cache_full")


# ---------------------------------------------------------------------------- cipher strings

def _aliases() -> dict[str, frozenset[str]]:
    suites = ALL_SUITES

    def where(pred) -> frozenset[str]:
        return frozenset(s.name for s in suites if pred(s))

    table = {
        "ALL": where(lambda s: True), "DEFAULT": where(lambda s: True), "HIGH": where(lambda s: True),
        "COMPLEMENTOFALL": frozenset(), "COMPLEMENTOFDEFAULT": frozenset(),
        "kRSA": where(lambda s: s.kx == "RSA"), "RSA": where(lambda s: s.kx == "RSA"),
        "aRSA": where(lambda s: s.auth == "RSA"),
        "aECDSA": where(lambda s: s.auth == "ECDSA"), "ECDSA": where(lambda s: s.auth == "ECDSA"),
        "AES": where(lambda s: s.cipher.startswith("AES")),
        "AES128": where(lambda s: s.cipher.startswith("AES-128")),
        "AES256": where(lambda s: s.cipher.startswith("AES-256")),
        "AESGCM": where(lambda s: s.cipher.endswith("GCM")),
        "CHACHA20": where(lambda s: s.cipher.startswith("CHACHA20")),
        "SHA1": where(lambda s: s.mac == "sha1"), "SHA": where(lambda s: s.mac == "sha1"),
        "SHA256": where(lambda s: s.mac == "sha256"), "SHA384": where(lambda s: s.mac == "sha384"),
        "AEAD": where(lambda s: s.is_aead),
        "TLSv1.2": where(lambda s: s.mac != "sha1"),
        "TLSv1.0": where(lambda s: s.mac == "sha1"), "TLSv1": where(lambda s: s.mac == "sha1"),
        "SSLv3": where(lambda s: s.mac == "sha1"),
    }
    for alias in ("kECDHE", "kEECDH", "ECDHE", "EECDH", "ECDH", "kECDH"):
        table[alias] = where(lambda s: s.kx == "ECDHE")
    for alias in ("kDHE", "kEDH", "DHE", "EDH", "DH", "kDH"):
        table[alias] = where(lambda s: s.kx == "DHE")
    for s in suites:
        table[openssl_name(s.name)] = frozenset([s.name])
        table[s.name] = frozenset([s.name])
    return table


def parse_cipher_string(spec: str) -> list[str]:
    """IANA names selected by an OpenSSL cipher string, in order (see the module comment).

    Raises:
        ssl.SSLError: nothing we implement is selected.
    """
    aliases = _ALIASES
    active: list[str] = []
    killed: set[str] = set()
    for word in spec.replace(",", ":").replace(" ", ":").split(":"):
        if not word:
            continue
        if word.startswith("@"):
            if word == "@STRENGTH":
                by_name = {s.name: s for s in ALL_SUITES}
                active.sort(key=lambda n: -by_name[n].key_len)
            continue  # @SECLEVEL=n and friends: our suites all meet level 2
        op, word = (word[0], word[1:]) if word[0] in "!-+" else ("", word)
        parts = [aliases.get(w) for w in word.split("+")]
        if any(p is None for p in parts):
            continue  # OpenSSL ignores words it does not know
        chosen = frozenset.intersection(*parts)
        order = [s.name for s in ALL_SUITES if s.name in chosen]
        if op == "!":
            killed |= chosen
            active = [n for n in active if n not in chosen]
        elif op == "-":
            active = [n for n in active if n not in chosen]
        elif op == "+":
            active = [n for n in active if n not in chosen] + [n for n in active if n in chosen]
        else:
            active += [n for n in order if n not in killed and n not in active]
    if not active:
        raise ssl.SSLError(ssl.SSL_ERROR_SSL, "No cipher can be selected.")
    return active


_ALIASES = _aliases()

# ---------------------------------------------------------------------------- SSLContext

def _unsupported(what: str):
    raise NotImplementedError(f"tls12fast.SSLContext does not support {what}")


class SSLContext(ssl.SSLContext):
    """An ssl.SSLContext whose connections are run by tls12fast (TLS 1.2 only).

    Args:
        protocol: PROTOCOL_TLS_SERVER or PROTOCOL_TLS_CLIENT.
    """

    def __new__(cls, protocol=None, *args, **kwargs):
        if protocol not in (PROTOCOL_TLS_SERVER, PROTOCOL_TLS_CLIENT):
            raise NotImplementedError(
                "tls12fast.SSLContext takes PROTOCOL_TLS_SERVER or PROTOCOL_TLS_CLIENT "
                f"(got {protocol!r}); it only speaks TLS 1.2")
        return super().__new__(cls, protocol)

    def __init__(self, protocol=None):
        server = protocol == PROTOCOL_TLS_SERVER
        self._protocol = protocol
        self._lock = threading.Lock()
        self._certs: dict[str, object] = {}
        self._ca: list = []
        self._verify = ssl.CERT_NONE if server else ssl.CERT_REQUIRED
        self._check = not server
        self._verify_flags = ssl.VERIFY_X509_TRUSTED_FIRST
        self._suite_names: list[str] | None = None
        self._groups: tuple[str, ...] | None = None
        self._alpn: tuple[bytes, ...] = ()
        self._options = _FIXED_OPTIONS
        self._keylog: str | None = None
        self._sni = None
        self._counts = dict.fromkeys(_STATS, 0)
        self._session_cache = None
        self._tickets = None
        self._limits: dict[str, int] = {}
        self._configs: dict[bool, object] = {}

    # -- settings --------------------------------------------------------------------

    def _changed(self) -> None:
        self._configs = {}

    def set_limits(self, **limits) -> None:
        """tls12fast's per-connection limits for connections made from now on (ssl has
        no such settings): max_buffered_input, max_handshake_size, max_fragment_size,
        max_extensions, max_chain_length, max_warning_alerts, max_empty_records, with the
        meanings and ranges of ServerConfig/ClientConfig. Names not given keep their value.

        Raises:
            TypeError: an unknown name.
            ValueError: a value out of range (tls12fast.ConfigurationError).
        """
        unknown = set(limits) - set(LIMIT_RANGES)
        if unknown:
            raise TypeError(f"unknown limit {sorted(unknown)[0]!r}; known: {', '.join(LIMIT_RANGES)}")
        checked = check_limits(limits)
        with self._lock:
            self._limits = {**self._limits, **checked}
            self._changed()

    @property
    def limits(self) -> dict[str, int]:
        """The limits set with set_limits() (others have the config defaults)."""
        return dict(self._limits)

    def load_cert_chain(self, certfile, keyfile=None, password=None):
        """Load a PEM chain (leaf first) and its private key (RSA or ECDSA)."""
        from .crypto import CertifiedKey

        if callable(password):
            password = password()
        if isinstance(password, str):
            password = password.encode()
        try:
            key = CertifiedKey.load(certfile, keyfile, password=password)
        except ConfigurationError as exc:
            raise ssl.SSLError(ssl.SSL_ERROR_SSL, f"[SSL] {exc}") from None
        self._certs[key.key_type] = key
        self._changed()

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        """Add trust anchors from a PEM file, a directory of PEM files, or PEM/DER data."""
        if cafile is None and capath is None and cadata is None:
            raise TypeError("cafile, capath and cadata cannot be all omitted")
        if cafile is not None:
            with open(cafile, "rb") as f:
                self._ca.append(f.read())
        if capath is not None:
            for name in sorted(os.listdir(capath)):
                path = os.path.join(capath, name)
                if os.path.isfile(path):
                    with open(path, "rb") as f:
                        data = f.read()
                    if b"-----BEGIN CERTIFICATE-----" in data:
                        self._ca.append(data)
        if cadata is not None:
            if isinstance(cadata, str):
                cadata = cadata.encode("ascii")
            self._ca.append(_der_to_pem(bytes(cadata)) if b"-----BEGIN" not in cadata else bytes(cadata))
        self._changed()

    def load_default_certs(self, purpose=ssl.Purpose.SERVER_AUTH):
        """Add the system trust store (the same files OpenSSL would use)."""
        paths = ssl.get_default_verify_paths()
        if paths.cafile and os.path.isfile(paths.cafile):
            self.load_verify_locations(cafile=paths.cafile)
        elif paths.capath and os.path.isdir(paths.capath):
            self.load_verify_locations(capath=paths.capath)

    set_default_verify_paths = load_default_certs

    def cert_store_stats(self) -> dict:
        n = len(self._trust_certs())
        return {"x509": n, "crl": 0, "x509_ca": n}

    def get_ca_certs(self, binary_form=False) -> list:
        from cryptography.hazmat.primitives.serialization import Encoding

        certs = self._trust_certs()
        if binary_form:
            return [c.public_bytes(Encoding.DER) for c in certs]
        return [decode_cert(c.public_bytes(Encoding.DER)) for c in certs]

    def _trust_certs(self) -> list:
        from cryptography import x509

        out = []
        for pem in self._ca:
            out += x509.load_pem_x509_certificates(pem)
        return out

    def set_ciphers(self, cipherlist: str) -> None:
        """Choose TLS 1.2 suites with an OpenSSL cipher string (see the module comment)."""
        self._suite_names = parse_cipher_string(cipherlist)
        self._changed()

    def get_ciphers(self) -> list[dict]:
        out = []
        for s in self._suites():
            kea = {"ECDHE": "kx-ecdhe", "DHE": "kx-dhe", "RSA": "kx-rsa"}[s.kx]
            out.append({"id": 0x03000000 | s.code, "name": openssl_name(s.name), "protocol": "TLSv1.2",
                        "description": f"{openssl_name(s.name)} TLSv1.2 Kx={s.kx} Au={s.auth} "
                                       f"Enc={s.cipher}({s.key_len * 8}) Mac={(s.mac or 'AEAD').upper()}",
                        "strength_bits": s.key_len * 8, "alg_bits": s.key_len * 8, "aead": s.is_aead,
                        "symmetric": s.cipher.lower(), "digest": None if s.is_aead else f"hmac-{s.mac}",
                        "kea": kea, "auth": f"auth-{s.auth.lower()}"})
        return out

    def _suites(self):
        from .suites import resolve_suites

        return resolve_suites(self._suite_names)

    def set_alpn_protocols(self, alpn_protocols) -> None:
        protos = []
        for proto in alpn_protocols:
            raw = proto.encode("ascii") if isinstance(proto, str) else bytes(proto)
            if not 1 <= len(raw) <= 255:
                raise ValueError("NPN/ALPN protocols must be 1 to 255 in length")
            protos.append(raw)
        self._alpn = tuple(protos)
        self._changed()

    def set_npn_protocols(self, npn_protocols):
        _unsupported("NPN (obsolete; use set_alpn_protocols)")

    def load_dh_params(self, path):
        _unsupported("custom DH parameters (DHE uses the RFC 7919 ffdhe2048/ffdhe3072 groups)")

    def set_ecdh_curve(self, name) -> None:
        try:
            curve = _CURVES[name]
        except KeyError:
            raise ValueError(f"unknown or unsupported elliptic curve name {name!r}") from None
        self._groups = (curve, "ffdhe2048", "ffdhe3072")
        self._changed()

    def set_servername_callback(self, server_name_callback) -> None:
        self.sni_callback = server_name_callback

    @property
    def sni_callback(self):
        """Called as callback(sslobject, server_name, context) when a ClientHello arrives."""
        return self._sni

    @sni_callback.setter
    def sni_callback(self, callback):
        if callback is not None and not callable(callback):
            raise TypeError("not a callable object")
        self._sni = callback

    @property
    def verify_mode(self) -> ssl.VerifyMode:
        return ssl.VerifyMode(self._verify)

    @verify_mode.setter
    def verify_mode(self, value):
        value = ssl.VerifyMode(value)
        if value == ssl.CERT_NONE and self._check:
            raise ValueError("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.")
        self._verify = value
        self._changed()

    @property
    def check_hostname(self) -> bool:
        return self._check

    @check_hostname.setter
    def check_hostname(self, value):
        value = bool(value)
        if value and self._verify == ssl.CERT_NONE:
            self._verify = ssl.CERT_REQUIRED
        self._check = value
        self._changed()

    @property
    def verify_flags(self) -> ssl.VerifyFlags:
        return ssl.VerifyFlags(self._verify_flags)

    @verify_flags.setter
    def verify_flags(self, value):
        if value & ~_ALLOWED_VERIFY_FLAGS:
            _unsupported(f"verify_flags {ssl.VerifyFlags(value & ~_ALLOWED_VERIFY_FLAGS)!r} (no CRL checking)")
        self._verify_flags = value

    @property
    def options(self) -> ssl.Options:
        return ssl.Options(self._options)

    @options.setter
    def options(self, value):
        if value & ssl.OP_NO_TLSv1_2:
            _unsupported("OP_NO_TLSv1_2: TLS 1.2 is the only version it speaks")
        self._options = int(value) | (_FIXED_OPTIONS & ~ssl.OP_CIPHER_SERVER_PREFERENCE)
        self._changed()

    @property
    def minimum_version(self) -> ssl.TLSVersion:
        return ssl.TLSVersion.TLSv1_2

    @minimum_version.setter
    def minimum_version(self, value):
        _check_version(value)

    @property
    def maximum_version(self) -> ssl.TLSVersion:
        return ssl.TLSVersion.TLSv1_2

    @maximum_version.setter
    def maximum_version(self, value):
        _check_version(value)

    @property
    def keylog_filename(self):
        """NSS key log file (SSLKEYLOGFILE format) for Wireshark, or None."""
        return self._keylog

    @keylog_filename.setter
    def keylog_filename(self, path):
        if path is not None:
            path = os.fspath(path)
            with open(path, "a"):  # fail now, like ssl, if it cannot be written
                pass
        self._keylog = path
        self._changed()

    @property
    def protocol(self):
        return ssl._SSLMethod(self._protocol)

    @property
    def post_handshake_auth(self):
        return None  # a TLS 1.3 feature

    @post_handshake_auth.setter
    def post_handshake_auth(self, value):
        if value:
            _unsupported("post_handshake_auth (TLS 1.3 only)")

    @property
    def num_tickets(self) -> int:
        return 0 if self._options & OP_NO_TICKET else 1

    @num_tickets.setter
    def num_tickets(self, value):
        if value not in (0, 1):
            _unsupported("more than one ticket per handshake (TLS 1.3 only)")
        self.options = (self._options | OP_NO_TICKET) if value == 0 else (self._options & ~OP_NO_TICKET)

    @property
    def security_level(self) -> int:
        return 2  # every suite and group we implement gives at least 112-bit security

    @property
    def hostname_checks_common_name(self) -> bool:
        return False

    @hostname_checks_common_name.setter
    def hostname_checks_common_name(self, value):
        if value:
            _unsupported("matching host names against the subject CN (RFC 6125 §6.4.4)")

    @property
    def _host_flags(self) -> int:
        return 0

    @property
    def _msg_callback(self):
        return None

    @_msg_callback.setter
    def _msg_callback(self, callback):
        if callback is not None:
            _unsupported("_msg_callback; use ServerConfig/ClientConfig(tracer=...)")

    def _load_windows_store_certs(self, storename, purpose):
        _unsupported("the Windows certificate store")

    sslsocket_class = SSLSocket
    sslobject_class = SSLObject

    # -- statistics -------------------------------------------------------------------

    def _count(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def session_stats(self) -> dict[str, int]:
        """Handshake and session-cache counters, with ssl.SSLContext.session_stats() keys."""
        stats = dict(self._counts)
        cache = self._session_cache
        if cache is not None:
            cstats = cache.stats()
            stats["number"] = cstats.get("entries", cstats.get("size", 0))
            stats["misses"] = cstats.get("misses", 0)
            stats["timeouts"] = cstats.get("expired", 0)
            stats["cache_full"] = cstats.get("evictions", 0)
        return stats

    # -- connections ------------------------------------------------------------------

    def _config(self, server_side: bool):
        config = self._configs.get(server_side)
        if config is not None:
            return config
        from .config import ClientConfig, ServerConfig

        with self._lock:
            try:
                if server_side:
                    if not self._certs:
                        raise ssl.SSLError(ssl.SSL_ERROR_SSL, "[SSL: NO_CERTIFICATE_ASSIGNED] no certificate "
                                           "loaded: call load_cert_chain() first")
                    if self._session_cache is None:
                        from .sessions import MemorySessionCache
                        from .tickets import TicketKeys

                        self._session_cache, self._tickets = MemorySessionCache(), TicketKeys()
                    config = ServerConfig(
                        certificates=list(self._certs.values()), cipher_suites=self._suite_names,
                        groups=self._groups, session_cache=self._session_cache,
                        tickets=None if self._options & OP_NO_TICKET else self._tickets,
                        client_auth={ssl.CERT_NONE: "none", ssl.CERT_OPTIONAL: "optional",
                                     ssl.CERT_REQUIRED: "required"}[self._verify],
                        client_ca=list(self._ca) if self._verify != ssl.CERT_NONE else None,
                        alpn_protocols=self._alpn, keylog=self._keylog, **self._limits)
                else:
                    cert = next(iter(self._certs.values()), None)
                    config = ClientConfig(
                        cafile=list(self._ca) if self._verify != ssl.CERT_NONE else None,
                        verify=self._verify != ssl.CERT_NONE, check_hostname=self._check,
                        session_store=None, cipher_suites=self._suite_names, groups=self._groups,
                        alpn_protocols=self._alpn, certificate=cert,
                        offer_ticket=not self._options & OP_NO_TICKET, keylog=self._keylog,
                        **self._limits)
            except ConfigurationError as exc:
                raise ssl.SSLError(ssl.SSL_ERROR_SSL, f"[SSL] {exc}") from None
            self._configs[server_side] = config
        return config

    def _new_connection(self, server_side: bool, server_hostname, session):
        config = self._config(server_side)
        if server_side:
            return ServerConnection(config)
        return ClientConnection(config, server_name=server_hostname,
                                session=session._state if session is not None else None)

    def _prepare(self, server_side, server_hostname, session):
        if session is not None and not isinstance(session, SSLSession):
            raise TypeError("Value is not a SSLSession.")
        if server_side:
            if server_hostname:
                raise ValueError("server_hostname can only be specified in client mode")
            if session is not None:
                raise ValueError("session can only be specified in client mode")
            return None
        if self._check and not server_hostname:
            raise ValueError("check_hostname requires server_hostname")
        return self._encode_hostname(server_hostname) if server_hostname else None

    def _encode_hostname(self, hostname):
        if hostname is None:
            return None
        if isinstance(hostname, bytes):
            hostname = hostname.decode("ascii")
        return hostname if hostname.isascii() else hostname.encode("idna").decode("ascii")

    def wrap_bio(self, incoming, outgoing, server_side=False, server_hostname=None, session=None):
        """An SSLObject running tls12fast over the two memory BIOs."""
        server_hostname = self._prepare(server_side, server_hostname, session)
        return SSLObject._create(self, incoming, outgoing, server_side, server_hostname, session)

    def wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True,
                    suppress_ragged_eofs=True, server_hostname=None, session=None):
        """An SSLSocket running tls12fast over `sock` (which it takes over, like ssl)."""
        server_hostname = self._prepare(server_side, server_hostname, session)
        return SSLSocket._create(sock, self, server_side, server_hostname, session,
                                 do_handshake_on_connect, suppress_ragged_eofs)


def _check_version(value) -> None:
    if value not in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.MINIMUM_SUPPORTED,
                     ssl.TLSVersion.MAXIMUM_SUPPORTED):
        _unsupported(f"{ssl.TLSVersion(value).name}: TLS 1.2 is the only version it speaks")


def _der_to_pem(der: bytes) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    out, pos = b"", 0
    while pos < len(der):  # concatenated DER certificates: SEQUENCE with a 2-byte length
        length = int.from_bytes(der[pos + 2:pos + 4], "big") + 4 if der[pos + 1] == 0x82 else len(der) - pos
        out += x509.load_der_x509_certificate(der[pos:pos + length]).public_bytes(Encoding.PEM)
        pos += length
    return out


def create_default_context(purpose=ssl.Purpose.SERVER_AUTH, *, cafile=None, capath=None, cadata=None):
    """Like ssl.create_default_context(), returning a tls12fast.SSLContext."""
    server = purpose == ssl.Purpose.CLIENT_AUTH
    ctx = SSLContext(PROTOCOL_TLS_SERVER if server else PROTOCOL_TLS_CLIENT)
    if cafile or capath or cadata:
        ctx.load_verify_locations(cafile, capath, cadata)
    elif not server:
        ctx.load_default_certs(purpose)
    return ctx
