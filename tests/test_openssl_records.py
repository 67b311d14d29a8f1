"""Proof against OpenSSL: our codec, PRF, key schedule and record layer read a real
OpenSSL TLS 1.2 connection byte for byte.

How this works: a stdlib `ssl` client and server (OpenSSL) talk through MemoryBIOs, TLS 1.2
only, with the client's keylog_filename set. Every byte moved between them is captured in
order with its direction. The capture is then replayed through each twin: our
RecordReader deframes it, our HandshakeJoiner / decode_handshake parse every handshake
message (both hellos included, and each must re-encode byte-exactly), our key schedule
derives the key block from the master secret in the NSS key log (RFC 5246 §6.3), our
record protections open every encrypted record OpenSSL sent (Finished, application data,
close_notify) which checks each tag or MAC, and the Finished verify_data our key
schedule computes from the transcript (RFC 5246 §7.4.9) must equal what OpenSSL sent.
With extended master secret (RFC 7627, negotiated by OpenSSL by default) the key-logged
master secret already is the extended one; a case with EMS switched off covers the
classic one. ChaCha20-Poly1305 nonces are deterministic (RFC 7905 §2), so there our
seal() must also reproduce OpenSSL's records exactly.
"""
from __future__ import annotations

import hashlib
import ssl
import struct
from dataclasses import dataclass, field

import pytest

from tls12fast import keyschedule as ks
from tls12fast.enums import ExtensionType
from tls12fast.errors import BadRecordMac
from tls12fast.suites import BY_NAME

pytestmark = pytest.mark.interop

# OpenSSL 3.0 option bits that Python's ssl module does not name.
OP_NO_EXTENDED_MASTER_SECRET = 0x00000001
OP_NO_ENCRYPT_THEN_MAC = 0x00080000

CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA = 20, 21, 22, 23
FINISHED = 20
CLIENT_TO_SERVER, SERVER_TO_CLIENT = "c2s", "s2c"

# 40000 bytes: OpenSSL splits it into 16384 + 16384 + 7232 byte records.
REQUEST = bytes(range(256)) * 156 + bytes(64)
RESPONSE = b"pong " * 300


@dataclass
class Capture:
    """One OpenSSL connection as seen on the wire."""

    chunks: list = field(default_factory=list)  # [(direction, bytes)] in send order
    keylog: str = ""
    openssl_cipher: str = ""


def _pump(client_out, server_in, server_out, client_in, capture) -> bool:
    moved = False
    for src, dst, direction in ((client_out, server_in, CLIENT_TO_SERVER),
                                (server_out, client_in, SERVER_TO_CLIENT)):
        data = src.read()
        if data:
            capture.chunks.append((direction, data))
            dst.write(data)
            moved = True
    return moved


def _read_all(obj, n, pump):
    out = b""
    while len(out) < n:
        try:
            out += obj.read(n - len(out))
        except ssl.SSLWantReadError:
            assert pump(), "connection stalled"
    return out


def run_openssl(pki, tmp_path, cipher: str, cert: str, *, ems: bool = True, etm: bool = True) -> Capture:
    """Run one TLS 1.2 connection between two stdlib ssl objects and capture it."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(getattr(pki, f"{cert}_cert"), getattr(pki, f"{cert}_key"))
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.load_verify_locations(pki.ca_file)
    keylog = tmp_path / "keys.log"
    client_ctx.keylog_filename = str(keylog)
    for ctx in (server_ctx, client_ctx):
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(cipher)
        if not ems:
            ctx.options |= OP_NO_EXTENDED_MASTER_SECRET
        if not etm:
            ctx.options |= OP_NO_ENCRYPT_THEN_MAC
    client_in, client_out, server_in, server_out = (ssl.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(client_in, client_out, server_hostname="localhost")
    server = server_ctx.wrap_bio(server_in, server_out, server_side=True)
    capture = Capture()

    def pump():
        return _pump(client_out, server_in, server_out, client_in, capture)

    done = {client: False, server: False}
    for _ in range(20):
        for obj in done:
            if not done[obj]:
                try:
                    obj.do_handshake()
                    done[obj] = True
                except ssl.SSLWantReadError:
                    pass
        if not pump() and all(done.values()):
            break
    assert all(done.values()), "OpenSSL handshake did not complete"
    assert client.version() == "TLSv1.2"
    capture.openssl_cipher = client.cipher()[0]

    client.write(REQUEST)
    pump()
    assert _read_all(server, len(REQUEST), pump) == REQUEST
    server.write(RESPONSE)
    pump()
    assert _read_all(client, len(RESPONSE), pump) == RESPONSE
    # close_notify both ways (RFC 5246 §7.2.1).
    for obj in (client, server):
        try:
            obj.unwrap()
        except ssl.SSLWantReadError:
            pass
        pump()
    capture.keylog = keylog.read_text()
    return capture


def _raw_records(capture, direction):
    """Split one direction's bytes into (type, fragment) with a plain header parser."""
    stream = b"".join(data for d, data in capture.chunks if d == direction)
    records, pos = [], 0
    while pos < len(stream):
        content_type, version, length = struct.unpack_from(">BHH", stream, pos)
        assert version == 0x0303 or (pos == 0 and version == 0x0301)
        records.append((content_type, stream[pos + 5:pos + 5 + length]))
        pos += 5 + length
    return records


def _master_secret(keylog: str, client_random: bytes) -> bytes:
    for line in keylog.splitlines():
        label, _, rest = line.partition(" ")
        if label == "CLIENT_RANDOM":
            random_hex, secret_hex = rest.split()
            if random_hex == client_random.hex():
                return bytes.fromhex(secret_hex)
    raise AssertionError("no CLIENT_RANDOM line for this connection in the key log")


def replay(twin, capture, *, expect_ems: bool, expect_etm: bool | None):
    """Read the capture with our codec, PRF and record layer; return what was checked."""
    rec, codec, prf = twin.record, twin.codec, twin.prf.prf
    readers = {d: rec.RecordReader() for d in (CLIENT_TO_SERVER, SERVER_TO_CLIENT)}
    readers[CLIENT_TO_SERVER].legacy_version_ok = True  # first ClientHello record (§E.1)
    joiners = {d: codec.HandshakeJoiner() for d in readers}
    transcript = []  # raw handshake messages in protocol order
    state = {"suite": None, "ms": None, "km": None, "etm": False, "ch": None, "sh": None}
    finished_checked = []
    app_data = {d: b"" for d in readers}
    alerts = {d: [] for d in readers}
    opened = {d: [] for d in readers}  # (type, plaintext) of every protected record

    def protection(direction):
        suite, km = state["suite"], state["km"]
        client = direction == CLIENT_TO_SERVER
        key = km.client_key if client else km.server_key
        iv = km.client_iv if client else km.server_iv
        if suite.is_aead:
            return rec.new_protection(suite.cipher, key, iv)
        mac_key = km.client_mac_key if client else km.server_mac_key
        return rec.new_protection(suite.cipher, key, iv, mac=suite.mac, mac_key=mac_key,
                                  encrypt_then_mac=state["etm"])

    def on_handshake(direction, msg_type, body, raw):
        kx = state["suite"].kx if state["suite"] else None
        msg = codec.decode_handshake(msg_type, body, kx)
        assert codec.encode_handshake(msg) == raw, f"re-encoding message type {msg_type}"
        if msg_type == 1:
            state["ch"] = msg
        elif msg_type == 2:
            state["sh"] = msg
            suite = next(s for s in BY_NAME.values() if s.code == msg.cipher_suite)
            state["suite"] = suite
            assert (msg.find(ExtensionType.extended_master_secret) is not None) == expect_ems
            state["etm"] = msg.find(ExtensionType.encrypt_then_mac) is not None
            if expect_etm is not None:
                assert state["etm"] == expect_etm
            client_random, server_random = state["ch"].random, msg.random
            ms = _master_secret(capture.keylog, client_random)
            state["ms"] = ms
            block = ks.key_block(prf, suite.prf_hash, ms, client_random, server_random,
                                 suite.key_block_len)
            state["km"] = ks.split_key_block(block, suite.mac_len, suite.key_len, suite.iv_len)
        elif msg_type == FINISHED:
            suite = state["suite"]
            handshake_hash = hashlib.new(suite.prf_hash, b"".join(transcript)).digest()
            expected = ks.verify_data(prf, suite.prf_hash, state["ms"],
                                      direction == CLIENT_TO_SERVER, handshake_hash)
            assert msg.verify_data == expected, f"{direction} Finished"
            finished_checked.append(direction)
        transcript.append(raw)

    for direction, data in capture.chunks:
        reader = readers[direction]
        reader.feed(data)
        while (record := reader.next_record()) is not None:
            content_type, plaintext = record
            plaintext = bytes(plaintext)
            if type(reader.protection) is not rec.NullProtection:
                opened[direction].append((content_type, plaintext))
            if content_type == HANDSHAKE:
                joiners[direction].feed(plaintext)
                while (message := joiners[direction].pop()) is not None:
                    on_handshake(direction, *message)
            elif content_type == CHANGE_CIPHER_SPEC:
                assert plaintext == b"\x01"
                assert not joiners[direction].pending()  # §7.1: CCS on a message boundary
                reader.protection = protection(direction)
            elif content_type == APPLICATION_DATA:
                app_data[direction] += plaintext
            else:
                alerts[direction].append(plaintext)
        assert reader.buffered() == 0

    assert finished_checked == [CLIENT_TO_SERVER, SERVER_TO_CLIENT]
    assert app_data == {CLIENT_TO_SERVER: REQUEST, SERVER_TO_CLIENT: RESPONSE}
    assert alerts == {CLIENT_TO_SERVER: [b"\x01\x00"], SERVER_TO_CLIENT: [b"\x01\x00"]}
    return state["suite"], opened, protection


CASES = [
    # (OpenSSL cipher string, certificate, our IANA name, EMS, encrypt-then-MAC or None for AEAD)
    pytest.param("ECDHE-ECDSA-AES128-GCM-SHA256", "ecdsa",
                 "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", True, None, id="aes128gcm"),
    pytest.param("ECDHE-RSA-AES256-GCM-SHA384", "rsa",
                 "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", True, None, id="aes256gcm-sha384"),
    pytest.param("ECDHE-ECDSA-CHACHA20-POLY1305", "ecdsa",
                 "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", True, None, id="chacha20"),
    pytest.param("ECDHE-RSA-CHACHA20-POLY1305", "rsa",
                 "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", False, None, id="chacha20-no-ems"),
    pytest.param("ECDHE-RSA-AES128-SHA", "rsa",
                 "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", True, True, id="cbc-sha1-etm"),
    pytest.param("ECDHE-RSA-AES128-SHA", "rsa",
                 "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", True, False, id="cbc-sha1-mte"),
    pytest.param("ECDHE-ECDSA-AES256-SHA384", "ecdsa",
                 "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", False, False, id="cbc-sha384-mte-no-ems"),
    pytest.param("AES128-SHA256", "rsa",
                 "TLS_RSA_WITH_AES_128_CBC_SHA256", True, True, id="rsa-kx-cbc-sha256-etm"),
]


@pytest.mark.parametrize("openssl_cipher,cert,iana,ems,etm", CASES)
def test_openssl_connection_replays_through_our_stack(twin, pki, tmp_path, openssl_cipher, cert,
                                                      iana, ems, etm):
    capture = run_openssl(pki, tmp_path, openssl_cipher, cert, ems=ems,
                          etm=True if etm is None else etm)
    assert capture.openssl_cipher == openssl_cipher
    suite, opened, protection = replay(twin, capture, expect_ems=ems, expect_etm=etm)
    assert suite.name == iana

    # Every protected record OpenSSL sent was opened by us (and so authenticated): the
    # Finished, at least three application-data records and the close_notify.
    for direction in (CLIENT_TO_SERVER, SERVER_TO_CLIENT):
        raw = _raw_records(capture, direction)
        ccs = next(i for i, (t, _) in enumerate(raw) if t == CHANGE_CIPHER_SPEC)
        assert [t for t, _ in opened[direction]] == [t for t, _ in raw[ccs + 1:]]
        assert opened[direction][0][0] == HANDSHAKE  # the Finished
    assert [t for t, _ in opened[CLIENT_TO_SERVER]].count(APPLICATION_DATA) >= 3

    if suite.cipher == "CHACHA20-POLY1305":
        # Deterministic nonces: sealing OpenSSL's plaintexts with our keys must give back
        # OpenSSL's exact records.
        for direction in (CLIENT_TO_SERVER, SERVER_TO_CLIENT):
            raw = _raw_records(capture, direction)
            ccs = next(i for i, (t, _) in enumerate(raw) if t == CHANGE_CIPHER_SPEC)
            sealer = protection(direction)
            for (content_type, fragment), (_, plaintext) in zip(raw[ccs + 1:], opened[direction]):
                assert sealer.seal(content_type, plaintext) == fragment


def test_tampered_openssl_record_is_rejected(twin, pki, tmp_path):
    """A flipped bit in OpenSSL's first application-data record fails our MAC check."""
    capture = run_openssl(pki, tmp_path, "ECDHE-RSA-AES128-SHA", "rsa", etm=False)
    # Locate the first application-data record of the client and flip its last byte.
    chunks = list(capture.chunks)
    for i, (direction, data) in enumerate(chunks):
        if direction != CLIENT_TO_SERVER:
            continue
        pos = 0
        while pos < len(data):
            content_type, _, length = struct.unpack_from(">BHH", data, pos)
            if content_type == APPLICATION_DATA:
                bad = bytearray(data)
                bad[pos + 5 + length - 1] ^= 0x01
                chunks[i] = (direction, bytes(bad))
                break
            pos += 5 + length
        else:
            continue
        break
    else:
        raise AssertionError("no application data record captured")
    capture.chunks = chunks
    with pytest.raises(BadRecordMac):
        replay(twin, capture, expect_ems=True, expect_etm=False)
