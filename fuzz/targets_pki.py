# Fuzz targets that need a trust store or a resumable session: chain verification on the
# client, client certificates on the server, and both sides of resumption.
#
# How this works: a fixed test PKI (root CA P-256 -> intermediate P-256 -> "localhost"
# leaves RSA-2048 and P-256; client leaves issued by the root) is built once and cached as
# PEM under $TMPDIR/tls12fast-fuzz-pki-v1/. It is byte-for-byte deterministic: EC keys come
# from fixed scalars, the RSA key from primes searched with a seeded PRNG (a test
# fixture, not library crypto), certificates use fixed serials and dates around the
# targets' fixed clock, ECDSA signs deterministically (RFC 6979) and RSA signs with
# PKCS#1 v1.5. So the seed flights written to fuzz/seeds/ keep verifying in every process
# even after the cache directory is wiped. Where a replayed flight depends on the peer's
# randomness (server random, session ID, ticket nonce), os.urandom is pinned while that
# part runs; RSA key exchange keeps the server's transcript free of ephemeral keys, so a
# recorded client flight with Certificate + CertificateVerify + Finished stays valid.
#
# Targets (input layouts in each class docstring):
#   client_verify       ClientConnection(verify=True, check_hostname) fed server flights.
#   server_client_auth  ServerConnection(client_auth required/optional) fed client flights.
#   server_resume       ServerConnection with a session cache + TicketKeys fed ClientHellos
#                       with fuzzed session IDs and tickets; invariant (RFC 5077 §3.4,
#                       RFC 5246 §7.4.1.3): a resumed handshake happens only for a ticket
#                       or ID byte-equal to one the server issued, and never by ID when a
#                       ticket was presented.
#   client_resume       ClientConnection offering a stored session (ID or ticket) fed
#                       abbreviated server flights.
from __future__ import annotations

import datetime
import os
import random
import struct
import tempfile
from unittest import mock

import targets as base

PKI_DIR = os.path.join(tempfile.gettempdir(), "tls12fast-fuzz-pki-v1")
_NOT_BEFORE = datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc)
_NOT_AFTER = datetime.datetime(2033, 1, 1, tzinfo=datetime.timezone.utc)
_PKI: dict = {}
_RESUME_SUITE = 0xC02F  # TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
_CLIENT_AUTH_SUITE = "TLS_RSA_WITH_AES_128_GCM_SHA256"  # no server ephemeral key


def _pinned(fill: int):
    """Pin os.urandom (server random, session ID, ticket nonce) to one byte value."""
    return mock.patch.object(os, "urandom", lambda n: bytes((fill,)) * n)


def _prime(rng: random.Random, bits: int) -> int:
    while True:
        n = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if all(n % p for p in (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)) and _probable_prime(rng, n):
            return n


def _probable_prime(rng: random.Random, n: int, rounds: int = 32) -> bool:
    d, s = n - 1, 0
    while not d & 1:
        d, s = d >> 1, s + 1
    for _ in range(rounds):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _rsa_key(seed: str):
    """A deterministic RSA-2048 key for the test PKI."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    rng, e = random.Random(seed), 65537
    while True:
        p, q = _prime(rng, 1024), _prime(rng, 1024)
        if p != q and (p - 1) % e and (q - 1) % e:
            break
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                                    rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, p * q))
    return numbers.private_key()


def _write_pki(directory: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def cert(serial, cn, key, issuer, issuer_key, ca=False, dns=(), eku=None):
        b = (x509.CertificateBuilder().subject_name(name(cn))
             .issuer_name(issuer.subject if issuer is not None else name(cn))
             .public_key(key.public_key()).serial_number(serial)
             .not_valid_before(_NOT_BEFORE).not_valid_after(_NOT_AFTER)
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if ca:
            b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                              False, False), critical=True)
        else:
            b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
        if dns:
            b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in dns]), False)
        signer = issuer_key if issuer_key is not None else key
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        if issuer is not None:
            b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_key.public_key()), False)
        deterministic = {"ecdsa_deterministic": True} if isinstance(signer, ec.EllipticCurvePrivateKey) else {}
        return b.sign(signer, hashes.SHA256(), **deterministic)

    def pem(*objs):
        out = b""
        for o in objs:
            if isinstance(o, x509.Certificate):
                out += o.public_bytes(serialization.Encoding.PEM)
            else:
                out += o.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
        return out

    server, client = [ExtendedKeyUsageOID.SERVER_AUTH], [ExtendedKeyUsageOID.CLIENT_AUTH]
    root_key = ec.derive_private_key(0x1001, ec.SECP256R1())
    root = cert(1, "tls12fast fuzz root", root_key, None, None, ca=True)
    inter_key = ec.derive_private_key(0x1002, ec.SECP256R1())
    inter = cert(2, "tls12fast fuzz intermediate", inter_key, root, root_key, ca=True)
    rsa_key = _rsa_key("tls12fast-fuzz-rsa-v1")
    ec_key = ec.derive_private_key(0x1003, ec.SECP256R1())
    client_key = ec.derive_private_key(0x1004, ec.SECP256R1())
    files = {
        "ca.pem": pem(root),
        "rsa-chain.pem": pem(cert(3, "localhost", rsa_key, inter, inter_key, dns=("localhost",), eku=server), inter),
        "rsa-key.pem": pem(rsa_key),
        "ecdsa-chain.pem": pem(cert(4, "localhost", ec_key, inter, inter_key, dns=("localhost",), eku=server), inter),
        "ecdsa-leaf.pem": pem(cert(4, "localhost", ec_key, inter, inter_key, dns=("localhost",), eku=server)),
        "ecdsa-key.pem": pem(ec_key),
        "client-ecdsa.pem": pem(cert(5, "fuzz client ecdsa", client_key, root, root_key, eku=client)),
        "client-ecdsa-key.pem": pem(client_key),
        "client-rsa.pem": pem(cert(6, "fuzz client rsa", rsa_key, root, root_key, eku=client)),
    }
    os.makedirs(directory, exist_ok=True)
    for filename, data in files.items():  # atomic: parallel fuzz jobs may build at once
        tmp = os.path.join(directory, f".{filename}.{os.getpid()}")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(directory, filename))


def pki() -> dict:
    """Paths and CertifiedKeys of the cached fixed test PKI (built on first use)."""
    if _PKI:
        return _PKI
    from tls12fast.certs import CertifiedKey

    if not os.path.exists(os.path.join(PKI_DIR, "client-rsa.pem")):
        _write_pki(PKI_DIR)
    path = lambda n: os.path.join(PKI_DIR, n)  # noqa: E731
    _PKI.update(
        ca=path("ca.pem"),
        rsa=CertifiedKey.load(path("rsa-chain.pem"), path("rsa-key.pem")),
        ecdsa=CertifiedKey.load(path("ecdsa-chain.pem"), path("ecdsa-key.pem")),
        ecdsa_leaf_only=CertifiedKey.load(path("ecdsa-leaf.pem"), path("ecdsa-key.pem")),
        client_ecdsa=CertifiedKey.load(path("client-ecdsa.pem"), path("client-ecdsa-key.pem")),
        client_rsa=CertifiedKey.load(path("client-rsa.pem"), path("rsa-key.pem")),
    )
    return _PKI


def _server_config(twin, certificates, suites=None, **kw):
    import tls12fast as t

    kw.setdefault("session_cache", t.MemorySessionCache(clock=lambda: base._CLOCK))
    kw.setdefault("tickets", t.TicketKeys.from_secret(b"fuzz-pki-ticket-secret-0123456789",
                                                      clock=lambda: base._CLOCK))
    return t.ServerConfig(certificates, cipher_suites=suites, backend=twin.name,
                          clock=lambda: base._CLOCK, alpn_protocols=("h2", "http/1.1"), **kw)


def _client_config(twin, suites=None, **kw):
    import tls12fast as t

    kw.setdefault("session_store", t.ClientSessionStore(clock=lambda: base._CLOCK))
    return t.ClientConfig(cafile=pki()["ca"], verify=True, check_hostname=True,
                          cipher_suites=suites, backend=twin.name, clock=lambda: base._CLOCK,
                          alpn_protocols=("h2",), **kw)


def _serve_pinned(config, hello: bytes, fill: int = 0x3C):
    """base._serve with the server's randomness pinned (a replayable server flight)."""
    with _pinned(fill):
        return base._serve(config, hello)


class ClientVerifyTarget(base._Target):
    """ClientConnection(verify=True, check_hostname=True, fixed ClientHello) fed server flights.

    Input: [chunk selector | 0x80 EOF] bytes... Seeds: real flights whose chains
    (leaf + intermediate, RSA and ECDSA leaves, and a leaf without its intermediate)
    reach load_peer_chain / verify_server_chain.
    """

    name = "client_verify"
    SERVERS = (("rsa", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
               ("rsa", "TLS_RSA_WITH_AES_256_CBC_SHA256"),
               ("ecdsa", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
               ("ecdsa_leaf_only", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"))

    def __init__(self, twin):
        super().__init__(twin)
        self.config = _client_config(twin)
        self.hello = base._client(self.config).data_to_send()

    def run(self, data: bytes) -> None:
        if not data:
            return
        client = base._client(self.config)
        client.data_to_send()
        base._feed(client, data)

    def seeds(self) -> list[bytes]:
        return [b"\x09" + _serve_pinned(_server_config(self.twin, [pki()[key]], [suite]),
                                        self.hello).data_to_send()
                for key, suite in self.SERVERS]


class ServerClientAuthTarget(base._Target):
    """ServerConnection(client_auth=required|optional, RSA kx) fed client flights.

    Input: [bit 0: required/optional | bit 1: ClientHello] [chunk | 0x80 EOF] bytes...
    The server's randomness is pinned while it answers the ClientHello, so its flight
    is always the same and a recorded client flight (Certificate, ClientKeyExchange,
    CertificateVerify, CCS, Finished) completes the handshake.
    """

    name = "server_client_auth"
    CLIENTS = (None, "client_ecdsa", "client_rsa")

    def __init__(self, twin):
        super().__init__(twin)
        self.configs = [_server_config(twin, [pki()["rsa"]], [_CLIENT_AUTH_SUITE],
                                       client_auth=mode, client_ca=pki()["ca"])
                        for mode in ("required", "optional")]
        self.hellos = [base._client(self._client_config(None)).data_to_send(),
                       base._client(self._client_config(None, offer_ticket=False)).data_to_send()]

    def _client_config(self, cert, **kw):
        return _client_config(self.twin, [_CLIENT_AUTH_SUITE],
                              certificate=pki()[cert] if cert else None, **kw)

    def _server(self, selector: int):
        return _serve_pinned(self.configs[selector & 1], self.hellos[(selector >> 1) & 1])

    def run(self, data: bytes) -> None:
        base._feed_selected(self._server, data)

    def seeds(self) -> list[bytes]:
        out = []
        for selector in range(4):
            for cert in self.CLIENTS:
                kw = {"offer_ticket": False} if selector & 2 else {}
                client = base._client(self._client_config(cert, **kw))
                client.data_to_send()
                client.receive_data(self._server(selector).data_to_send())
                out.append(bytes((selector, 9)) + client.data_to_send())
        return out


def _split_hello(record: bytes):
    """A ClientHello record -> (bytes before session_id, suites+compression, [(type, data)])."""
    body = record[9:]
    sid_end = 35 + body[34]
    ext_start = sid_end + 2 + int.from_bytes(body[sid_end:sid_end + 2], "big")
    ext_start += 1 + body[ext_start]
    exts, pos = [], ext_start + 2
    while pos < len(body):
        etype, elen = struct.unpack_from("!HH", body, pos)
        exts.append((etype, body[pos + 4:pos + 4 + elen]))
        pos += 4 + elen
    return body[:34], body[sid_end:ext_start], exts


def _hello_record(head: bytes, sid_field: bytes, middle: bytes, exts) -> bytes:
    ext_bytes = b"".join(struct.pack("!HH", t, len(d)) + d for t, d in exts)
    body = head + sid_field + middle + struct.pack("!H", len(ext_bytes)) + ext_bytes
    msg = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack("!H", len(msg)) + msg


def _records(stream: bytes):
    pos = 0
    while pos + 5 <= len(stream):
        length = int.from_bytes(stream[pos + 3:pos + 5], "big")
        yield stream[pos], stream[pos + 5:pos + 5 + length]
        pos += 5 + length


class ServerResumeTarget(base._Target):
    """ServerConnection (session cache + TicketKeys) fed ClientHellos with fuzzed ID/ticket.

    Input: [mode] [sid_len] sid [ticket_len (2)] ticket [chunk | 0x80 EOF] bytes...
    mode bits 0-1: SessionTicket extension 0 absent, 1 empty, 2 = ticket, 3 = ticket
    forged under the server's key name with another key; bit 2 drops
    extended_master_secret. Invariant: see the module comment.
    """

    name = "server_resume"
    SESSION_ID = bytes(range(0xA0, 0xC0))

    def __init__(self, twin):
        super().__init__(twin)
        from tls12fast.sessions import SessionState
        from tls12fast.tickets import TicketKeys

        self.config = _server_config(twin, [pki()["rsa"], pki()["ecdsa"]])
        self.state = SessionState(_RESUME_SUITE, bytes(range(48)), True, "localhost", b"h2", (),
                                  base._CLOCK, 300)
        with _pinned(0x44):  # the server's own seal(), as in NewSessionTicket; fixed nonce
            self.ticket = self.config.tickets.seal(self.state.to_bytes())
        self.forger = TicketKeys.from_secret(b"an attacker's ticket secret 01234",
                                             clock=lambda: base._CLOCK)
        client = base._client(_client_config(twin))
        self.head, self.middle, self.exts = _split_hello(client.data_to_send())

    def run(self, data: bytes) -> None:
        import tls12fast as t
        from tls12fast.errors import TLSError
        from tls12fast.tickets import KEY_NAME_LEN

        if len(data) < 4:
            return
        mode, sid_len = data[0], data[1]
        sid = data[2:2 + sid_len]
        pos = 2 + sid_len
        ticket_len = int.from_bytes(data[pos:pos + 2], "big")
        ticket = data[pos + 2:pos + 2 + ticket_len]
        rest = data[pos + 2 + ticket_len:]
        if mode & 3 == 3 and ticket:
            ticket = self.ticket[:KEY_NAME_LEN] + self.forger.seal(ticket)[KEY_NAME_LEN:]
        exts = [(t, d) for t, d in self.exts
                if t != 35 and not (mode & 4 and t == 23)]
        if mode & 3:
            exts.append((35, ticket if mode & 2 else b""))
        presented = ticket if mode & 2 else b""
        hello = _hello_record(self.head, bytes((sid_len,)) + sid, self.middle, exts)
        self.config.session_cache.put(self.SESSION_ID, self.state)  # a failed resumption removes it
        server = t.ServerConnection(self.config)
        try:
            server.receive_data(hello)
        except TLSError as exc:
            if base.bug(exc):
                raise
            return
        out = server.data_to_send()
        if any(ctype == 20 for ctype, _ in _records(out)):  # CCS in the first flight: resumed
            self._check_resumed(presented, bytes(sid))
        if rest:
            base._feed(server, rest)

    def _check_resumed(self, presented: bytes, sid: bytes) -> None:
        if presented:
            if presented != self.ticket:
                raise base.RoundTripError(f"resumed from a ticket the server never issued: "
                                          f"{presented.hex()[:80]}")
        elif sid != self.SESSION_ID:
            raise base.RoundTripError(f"resumed from a session ID the server never issued: {sid.hex()}")

    def seeds(self) -> list[bytes]:
        sid, real = self.SESSION_ID, self.ticket
        other = bytes(range(32))

        def seed(mode, session_id, ticket):
            return (bytes((mode, len(session_id))) + session_id + struct.pack("!H", len(ticket))
                    + ticket + b"\x09\x14\x03\x03\x00\x01\x01")

        return [seed(2, other, real), seed(1, sid, b""), seed(0, sid, b""), seed(2, sid, real),
                seed(2, sid, real[:-1]), seed(3, other, self.state.to_bytes()), seed(6, sid, real),
                seed(5, sid, b"")]


class ClientResumeTarget(base._Target):
    """ClientConnection offering a stored session fed abbreviated server flights.

    Input: [session: bit 0 ticket / session ID] [chunk | 0x80 EOF] bytes...
    The offered sessions are fixed (fixed master secret, ID and a ticket sealed with a
    pinned nonce), so each ClientHello and the seeds' real resumed flights never change.
    """

    name = "client_resume"
    SESSION_ID = bytes(range(0x60, 0x80))

    def __init__(self, twin):
        super().__init__(twin)
        from tls12fast.sessions import SessionState

        self.server_config = _server_config(twin, [pki()["rsa"], pki()["ecdsa"]])
        state = SessionState(_RESUME_SUITE, bytes(range(100, 148)), True, "localhost", b"h2", (),
                             base._CLOCK, 300)
        self.server_config.session_cache.put(self.SESSION_ID, state)
        with _pinned(0x55):
            ticket = self.server_config.tickets.seal(state.to_bytes())
        self.sessions = [state.with_ticket(ticket, 300),
                         state.with_session_id(self.SESSION_ID)]
        self.config = _client_config(twin)

    def _client(self, selector: int):
        return base._client(self.config, session=self.sessions[selector & 1])

    def run(self, data: bytes) -> None:
        base._feed_selected(self._client, data)

    def seeds(self) -> list[bytes]:
        out = []
        for selector in range(2):
            flight = base._serve(self.server_config, self._client(selector).data_to_send()).data_to_send()
            out.append(bytes((selector, 9)) + flight)
        return out


CLASSES = {c.name: c for c in (ClientVerifyTarget, ServerClientAuthTarget, ServerResumeTarget,
                                ClientResumeTarget)}
