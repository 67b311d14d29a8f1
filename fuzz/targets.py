# Fuzz targets for tls12fast: one class per target, each running against one twin.
#
# How this works: a target is built once per process (`make(name, twin)`: keys, certs,
# configs, canned handshake flights) and then `run(data)` is called once per input. The
# first one or two input bytes pick the variant (protection, message type, ClientHello
# prefix, chunk size for feeding) and the rest is the attacker's byte stream, so plain
# byte mutation (atheris/libFuzzer, or fuzz/run.py's fallback mutator) reaches every
# variant. `seeds()` returns small valid inputs built from real messages.
#
# The contract checked (DESIGN.md §4): only tls12fast.TLSError subclasses may escape.
# `bug(exc)` decides whether an exception is a finding: anything that is not a TLSError;
# a TLSError chained from a non-TLSError (Connection.receive_data turns stray exceptions
# into DecodeError/InternalError; that hides a bug, so the fuzzer reports it) except its
# documented net of ValueError/UnicodeError/struct.error -> DecodeError (a malformed
# value, e.g. from a `cryptography` parser); an InternalError caused by peer input (the
# peer gets internal_error for its own malformed data); and RoundTripError, raised
# here when parse -> encode -> parse is not stable or an output invariant breaks.
# TicketKeys.unseal is documented never to raise, so any exception from it is a finding.
#
# Targets: record (RecordReader.feed in random chunks + next_record, with NullProtection
# and fixed-key AES-GCM / ChaCha20-Poly1305 / CBC MAC-then-encrypt / CBC encrypt-then-MAC
# protections), codec (decode_handshake for every msg_type and kx, round trip, and
# HandshakeJoiner with random fragmentation), session (SessionState.from_bytes through the
# twin's decode_session_state, round trip), ticket (TicketKeys.unseal with fixed keys on mutated real tickets), server (a
# ServerConnection fed a valid ClientHello, then arbitrary bytes) and client (a
# ClientConnection with a fixed client random fed arbitrary server flights; canned
# flights from a real server answer that exact ClientHello, so signatures verify).
# fuzz/targets_pki.py holds the targets that need a trust store or a resumable session
# (client_verify, server_client_auth, server_resume, client_resume); make() finds them.
from __future__ import annotations

import datetime
import logging
import os
import struct
import warnings
from unittest import mock

TARGETS = ("record", "codec", "session", "ticket", "server", "client", "client_verify",
           "server_client_auth", "server_resume", "client_resume")  # last four: targets_pki.py
#: Targets that never touch the twins (tickets.py is pure Python).
TWIN_INDEPENDENT = ("ticket",)

_PARSE_ERRORS = (ValueError, UnicodeError, struct.error)
_CHUNKS = (1, 2, 3, 5, 7, 13, 64, 300, 4096, 1 << 20)
_CLOCK = 1_700_000_000.0  # fixed time: tickets and sessions behave the same every run


class RoundTripError(AssertionError):
    """A parsed value does not survive encode -> parse, or an output invariant broke."""


def bug(exc: BaseException, *, never_raises: bool = False) -> str | None:
    """Why `exc` is a finding, or None if it is an allowed TLSError."""
    from tls12fast.errors import DecodeError, InternalError, TLSError

    if isinstance(exc, RoundTripError):
        return "invariant broken"
    if never_raises:
        return "raised although documented never to raise"
    if not isinstance(exc, TLSError):
        return "non-TLSError escaped"
    if isinstance(exc, DecodeError) and isinstance(exc.__cause__, _PARSE_ERRORS):
        return None  # receive_data's documented net: a malformed value -> decode_error
    seen = exc.__cause__
    while seen is not None:  # walk the chain: any other non-TLSError link is a masked bug
        if not isinstance(seen, TLSError):
            return f"TLSError masking {type(seen).__name__}"
        seen = seen.__cause__
    if isinstance(exc, InternalError):
        return "internal_error on peer input"
    return None


def _chunks(stream: bytes, selector: int):
    step = _CHUNKS[selector % len(_CHUNKS)]
    for pos in range(0, len(stream), step):
        yield stream[pos:pos + step]


def _key(n: int, fill: int) -> bytes:
    return bytes((fill + i) & 0xFF for i in range(n))


class _Target:
    name = ""

    def __init__(self, twin):
        self.twin = twin  # a tls12fast._speedups.Backend

    def run(self, data: bytes) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def seeds(self) -> list[bytes]:  # pragma: no cover - overridden
        raise NotImplementedError


class RecordTarget(_Target):
    """RecordReader.feed (chunked) + next_record under each record protection.

    Input: [protection selector] [chunk selector | 0x80 legacy_version_ok] stream...
    """

    name = "record"
    # (cipher, key, iv, mac, mac_key, encrypt_then_mac); None = NullProtection
    PROTECTIONS = (
        None,
        ("AES-128-GCM", _key(16, 1), _key(4, 2), None, b"", False),
        ("CHACHA20-POLY1305", _key(32, 3), _key(12, 4), None, b"", False),
        ("AES-128-CBC", _key(16, 5), b"", "sha1", _key(20, 6), False),
        ("AES-256-CBC", _key(32, 7), b"", "sha256", _key(32, 8), True),
        ("AES-256-CBC", _key(32, 9), b"", "sha384", _key(48, 10), False),
    )

    def _protection(self, index: int):
        spec = self.PROTECTIONS[index]
        rec = self.twin.record
        if spec is None:
            return rec.NullProtection()
        cipher, key, iv, mac, mac_key, etm = spec
        return rec.new_protection(cipher, key, iv, mac=mac, mac_key=mac_key, encrypt_then_mac=etm)

    def run(self, data: bytes) -> None:
        if len(data) < 2:
            return
        rec = self.twin.record
        reader = rec.RecordReader()
        reader.protection = self._protection(data[0] % len(self.PROTECTIONS))
        reader.legacy_version_ok = bool(data[1] & 0x80)
        for chunk in _chunks(data[2:], data[1]):
            reader.feed(chunk)
            while (record := reader.next_record()) is not None:
                content_type, plaintext = record
                if content_type not in (20, 21, 22, 23) or type(plaintext) is not bytes \
                        or len(plaintext) > rec.MAX_PLAINTEXT:
                    raise RoundTripError(f"bad record out: type {content_type}, "
                                         f"{type(plaintext).__name__} of {len(plaintext)}")
            if reader.buffered() > 5 + rec.MAX_CIPHERTEXT:
                raise RoundTripError("reader buffers more than one record")

    def seeds(self) -> list[bytes]:
        out = []
        for index in range(len(self.PROTECTIONS)):
            writer = self.twin.record.RecordWriter()
            writer.protection = self._protection(index)
            writer.write(22, b"\x14\x00\x00\x0c" + bytes(12))
            writer.write(23, b"GET /")
            writer.write(21, b"\x01\x00")
            out.append(bytes((index, 9)) + writer.take())
        return out


class CodecTarget(_Target):
    """decode_handshake (every msg_type and kx) with a round trip, and HandshakeJoiner.

    Input: [msg_type selector] [kx (2 bits) | joiner cap (2 bits) | chunk (4 bits)] body...
    """

    name = "codec"
    MSG_TYPES = (0, 1, 2, 4, 11, 12, 13, 14, 15, 16, 20)
    KX = (None, "ECDHE", "DHE", "RSA")
    CAPS = (0, 16, 300, 65536)

    def run(self, data: bytes) -> None:
        if len(data) < 2:
            return
        from tls12fast.errors import TLSError

        codec = self.twin.codec
        sel = data[0]
        msg_type = self.MSG_TYPES[sel] if sel < len(self.MSG_TYPES) else sel
        kx = self.KX[data[1] & 3]
        body = data[2:]
        try:
            msg = codec.decode_handshake(msg_type, body, kx)
        except TLSError:
            msg = None
        if msg is not None:
            self._round_trip(codec, msg_type, kx, msg)
        self._join(codec, body, self.CAPS[(data[1] >> 2) & 3], data[1] >> 4)

    @staticmethod
    def _round_trip(codec, msg_type, kx, msg) -> None:
        from tls12fast.errors import TLSError

        try:
            raw = codec.encode_handshake(msg)
            again = codec.decode_handshake(raw[0], raw[4:], kx)
            raw2 = codec.encode_handshake(again)
        except TLSError as exc:
            raise RoundTripError(f"parsed {type(msg).__name__} does not re-encode/re-parse: "
                                 f"{type(exc).__name__}: {exc}") from exc
        if raw[0] != msg_type or int.from_bytes(raw[1:4], "big") != len(raw) - 4:
            raise RoundTripError("encode_handshake wrote a wrong header")
        if again != msg or raw2 != raw:
            raise RoundTripError(f"{type(msg).__name__} changes across parse -> encode -> parse")

    @staticmethod
    def _join(codec, stream: bytes, cap: int, selector: int) -> None:
        from tls12fast.errors import TLSError

        joiner = codec.HandshakeJoiner(cap)
        popped = bytearray()
        try:
            for chunk in _chunks(stream, selector):
                joiner.feed(chunk)
                while (item := joiner.pop()) is not None:
                    msg_type, body, raw = item
                    if len(body) > cap or raw[0] != msg_type or raw[4:] != body \
                            or int.from_bytes(raw[1:4], "big") != len(body):
                        raise RoundTripError("HandshakeJoiner returned an inconsistent message")
                    popped += raw
        except TLSError:
            pass
        if bytes(popped) != stream[:len(popped)]:
            raise RoundTripError("HandshakeJoiner output is not a prefix of its input")

    def seeds(self) -> list[bytes]:
        index = {t: i for i, t in enumerate(self.MSG_TYPES)}
        kx = {None: 0, "ECDHE": 1, "DHE": 2, "RSA": 3}
        out = []
        for raw, k in _canned_messages(self.twin):
            out.append(bytes((index[raw[0]], kx[k] | (3 << 2) | (8 << 4)))
                       + raw[4:])
            out.append(bytes((len(self.MSG_TYPES), kx[k] | (3 << 2) | (2 << 4))) + raw)
        return out


class SessionTarget(_Target):
    """SessionState.from_bytes with the twin's decoder; what parses must round-trip."""

    name = "session"

    def run(self, data: bytes) -> None:
        from tls12fast.errors import TLSError
        from tls12fast.sessions import SessionState

        codec = self.twin.codec
        state = SessionState.from_bytes(data, codec=codec)
        try:
            raw = state.to_bytes()
            again = SessionState.from_bytes(raw, codec=codec)
        except TLSError as exc:
            raise RoundTripError(f"parsed SessionState does not round-trip: {exc!r}") from exc
        if again != state or again.to_bytes() != raw:
            raise RoundTripError("SessionState changes across from_bytes -> to_bytes")

    def seeds(self) -> list[bytes]:
        return [s.to_bytes() for s in _states()]


class TicketTarget(_Target):
    """TicketKeys.unseal on mutated real tickets (fixed keys, fixed clock).

    Input: [mode] payload. Mode even: payload is a ticket for unseal(). Mode odd: payload
    is state bytes, sealed then unsealed (must come back unchanged) then parsed.
    """

    name = "ticket"

    def __init__(self, twin):
        super().__init__(twin)
        from tls12fast.tickets import TicketKeys

        self.keys = TicketKeys.from_secret(b"fuzz-ticket-secret-0123456789abcdef",
                                           period=3600, clock=lambda: _CLOCK)

    def run(self, data: bytes) -> None:
        if not data:
            return
        from tls12fast.errors import TLSError
        from tls12fast.sessions import SessionState

        payload = data[1:]
        if data[0] & 1 and payload:
            ticket = self.keys.seal(payload)
            if self._unseal(ticket) != (payload, False):
                raise RoundTripError("a freshly sealed ticket does not unseal to its state")
        result = self._unseal(payload)
        if result is not None:
            try:
                SessionState.from_bytes(result[0])
            except TLSError:
                pass

    def _unseal(self, ticket):
        try:
            return self.keys.unseal(ticket)
        except Exception as exc:
            reason = bug(exc, never_raises=True)
            raise RoundTripError(f"TicketKeys.unseal {reason}: {exc!r}") from exc

    def seeds(self) -> list[bytes]:
        out = []
        for state in _states():
            raw = state.to_bytes()
            out += [b"\x00" + self.keys.seal(raw), b"\x01" + raw]
        return out


# ---------------------------------------------------------------- connection targets

_CERTS: list = []


def _certified_keys():
    """An RSA-2048 and an ECDSA P-256 self-signed "localhost" CertifiedKey (once/process)."""
    if _CERTS:
        return _CERTS
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    from tls12fast.certs import CertifiedKey

    now = datetime.datetime(2023, 11, 1, tzinfo=datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    for key in (rsa.generate_private_key(65537, 2048), ec.generate_private_key(ec.SECP256R1())):
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(1).not_valid_before(now)
                .not_valid_after(now + datetime.timedelta(days=3650))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
                .sign(key, hashes.SHA256()))
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        _CERTS.append(CertifiedKey.from_pem(cert.public_bytes(serialization.Encoding.PEM), key_pem))
    return _CERTS


# Server suite choices for the canned flights: every kx, auth and record cipher family.
_SERVER_SUITES = (
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_256_CBC_SHA256",
)


def _server_config(twin, suites=None):
    import tls12fast as t

    return t.ServerConfig(
        _certified_keys(), cipher_suites=suites, backend=twin.name, clock=lambda: _CLOCK,
        session_cache=t.MemorySessionCache(clock=lambda: _CLOCK),
        tickets=t.TicketKeys.from_secret(b"fuzz-server-ticket-secret-0123456", clock=lambda: _CLOCK),
        alpn_protocols=("h2", "http/1.1"))


def _client_config(twin, suites=None, store=None):
    import tls12fast as t

    log = logging.getLogger("tls12fast")  # quiet the verify=False warning, then restore
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", t.InsecureWarning)
            return t.ClientConfig(verify=False, check_hostname=False, cipher_suites=suites,
                                  backend=twin.name, clock=lambda: _CLOCK, alpn_protocols=("h2",),
                                  session_store=store if store is not None else t.ClientSessionStore())
    finally:
        log.setLevel(level)


def _serve(config, hello: bytes):
    """A ServerConnection that has processed `hello`."""
    import tls12fast as t

    server = t.ServerConnection(config)
    server.receive_data(hello)
    return server


def _client(config, session=None):
    """A ClientConnection whose client random is fixed, so its ClientHello is too."""
    import tls12fast as t

    with mock.patch.object(os, "urandom", lambda n: b"\x5a" * n):
        return t.ClientConnection(config, server_name="localhost", session=session)


def _feed(conn, data: bytes) -> None:
    """Deliver [chunk selector | 0x80 EOF] stream... to `conn`; stop at the first TLSError."""
    from tls12fast.errors import TLSError

    try:
        for chunk in _chunks(data[1:], data[0]):
            conn.receive_data(chunk)
            conn.data_to_send()
        if data[0] & 0x80:
            conn.receive_data(b"")
    except TLSError as exc:
        if bug(exc):
            raise
        conn.data_to_send()  # the queued fatal alert must still be writable


def _feed_selected(make, data: bytes) -> None:
    """Input [selector] [as for _feed]: make(selector) builds the connection under test, whose
    own first flight is discarded; the rest of the input goes to _feed."""
    if len(data) < 2:
        return
    conn = make(data[0])
    conn.data_to_send()
    _feed(conn, data[1:])


class ServerTarget(_Target):
    """A ServerConnection fed a valid ClientHello (one of several), then arbitrary bytes.

    Input: [ClientHello selector] [chunk selector | 0x80 EOF] bytes...
    """

    name = "server"

    def __init__(self, twin):
        super().__init__(twin)
        self.config = _server_config(twin)
        self.hellos: list[bytes] = []
        self.second_flights: list[bytes] = []
        for suite in _SERVER_SUITES:  # one ClientHello per suite family + a real reply
            client = _client(_client_config(twin, [suite]))
            hello = client.data_to_send()
            server = self._server(hello)
            client.receive_data(server.data_to_send())
            self.hellos.append(hello)
            self.second_flights.append(client.data_to_send())
        # A ClientHello offering a ticket (and a session ID) from a completed handshake.
        from tls12fast.loopback import pump

        store = _client_session_store()
        client = _client(_client_config(twin, store=store))
        pump(client, self._server(client.data_to_send()))
        client = _client(_client_config(twin, store=store), session=store.get("localhost"))
        self.hellos.append(client.data_to_send())
        self.second_flights.append(b"\x14\x03\x03\x00\x01\x01")

    def _server(self, hello: bytes):
        return _serve(self.config, hello)

    def run(self, data: bytes) -> None:
        _feed_selected(lambda selector: self._server(self.hellos[selector % len(self.hellos)]), data)

    def seeds(self) -> list[bytes]:
        return [bytes((i, 9)) + flight for i, flight in enumerate(self.second_flights)]


class ClientTarget(_Target):
    """A ClientConnection (fixed ClientHello) fed arbitrary server flights.

    Input: [chunk selector | 0x80 EOF] bytes...
    """

    name = "client"

    def __init__(self, twin):
        super().__init__(twin)
        self.config = _client_config(twin)
        self.hello = _client(self.config).data_to_send()

    def run(self, data: bytes) -> None:
        if not data:
            return
        client = _client(self.config)
        client.data_to_send()
        _feed(client, data)

    def seeds(self) -> list[bytes]:
        out = []
        for suite in _SERVER_SUITES:
            server = _serve(_server_config(self.twin, [suite]), self.hello)
            out.append(b"\x09" + server.data_to_send())
        return out


def _client_session_store():
    import tls12fast as t

    return t.ClientSessionStore(clock=lambda: _CLOCK)


def _states():
    from tls12fast.sessions import SessionState

    return [
        SessionState(0xC02F, bytes(range(48)), True, "localhost", b"h2", (b"\x30\x03\x02\x01\x01",),
                     _CLOCK, 300, session_id=b"\x11" * 32, ticket=b"\x22" * 40,
                     ticket_lifetime_hint=7200),
        SessionState(0x009C, b"\x07" * 48, False, None, None, (), _CLOCK, 0),
    ]


def _canned_messages(twin):
    """(raw handshake message, kx) pairs taken from real handshakes, for codec seeds."""
    from tls12fast.suites import BY_NAME

    out = []
    for suite in _SERVER_SUITES:
        config = _client_config(twin, [suite])
        hello = _client(config).data_to_send()
        server = _serve(_server_config(twin, [suite]), hello)
        kx = BY_NAME[suite].kx
        for flight in (hello, server.data_to_send()):
            reader = twin.record.RecordReader()
            reader.legacy_version_ok = True
            reader.feed(flight)
            joiner = twin.codec.HandshakeJoiner()
            while (record := reader.next_record()) is not None:
                if record[0] == 22:
                    joiner.feed(record[1])
            while (item := joiner.pop()) is not None:
                if item[0] != 11:  # certificates are large; keep seeds tiny
                    out.append((item[2], kx if item[0] in (12, 16) else None))
    return out


_CLASSES = {c.name: c for c in (RecordTarget, CodecTarget, SessionTarget, TicketTarget,
                                 ServerTarget, ClientTarget)}


def target_class(name: str):
    """The class of fuzz target `name` (here or in targets_pki.py)."""
    if name in _CLASSES:
        return _CLASSES[name]
    import targets_pki  # imports this module back by the name "targets"

    return targets_pki.CLASSES[name]


def make(name: str, twin_name: str):
    """Build target `name` against twin "cython" or "python"."""
    from tls12fast import _speedups

    return target_class(name)(_speedups.backend(twin_name))


def mutate(rng, data: bytes, max_len: int = 4096) -> bytes:
    """One random byte-level mutation (used when atheris is absent, and by the CI smoke)."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:  # flip bits in one byte
            buf[pos % len(buf)] ^= 1 << rng.randrange(8)
        elif op == 1 and buf:  # interesting value
            buf[pos % len(buf)] = rng.choice((0, 1, 0x7F, 0x80, 0xFF, 0x03, 0x16, 0x17))
        elif op == 2:  # insert random bytes
            buf[pos:pos] = rng.randbytes(rng.randint(1, 8))
        elif op == 3 and buf:  # delete a run
            del buf[pos:pos + rng.randint(1, 16)]
        elif op == 4 and buf:  # duplicate a slice somewhere else
            start = rng.randrange(len(buf))
            piece = buf[start:start + rng.randint(1, 32)]
            buf[pos:pos] = piece
        else:  # truncate
            del buf[pos:]
    return bytes(buf[:max_len])
