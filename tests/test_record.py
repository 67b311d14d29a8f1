"""Record layer (RFC 5246 §6.2) against both twins: format, framing, limits, tampering.

Expected AEAD fragments are computed here with `cryptography` directly, so the record
format (explicit nonce, AAD, nonce construction) is checked independently of our code;
CBC records are decrypted by hand.
"""
import hashlib
import hmac
import os
import struct
import threading

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from tls12fast import _speedups
from tls12fast.enums import AlertDescription
from tls12fast.errors import (
    BadRecordMac,
    ConfigurationError,
    InternalError,
    LocalProtocolError,
    ProtocolVersionError,
    RecordOverflow,
    TLSError,
    UnexpectedMessage,
)

HANDSHAKE, ALERT, CCS, APPDATA = 22, 21, 20, 23
MAC_LEN = {"sha1": 20, "sha256": 32, "sha384": 48}
# (cipher, key length, iv length, mac, encrypt_then_mac)
SUITES = [
    ("AES-128-GCM", 16, 4, None, False),
    ("AES-256-GCM", 32, 4, None, False),
    ("CHACHA20-POLY1305", 32, 12, None, False),
] + [
    (cipher, klen, 0, mac, etm)
    for cipher, klen in (("AES-128-CBC", 16), ("AES-256-CBC", 32))
    for mac in ("sha1", "sha256", "sha384")
    for etm in (False, True)
]
SUITE_IDS = [f"{c}-{m or 'aead'}-{'etm' if e else 'mte'}" for c, _, _, m, e in SUITES]


def keys(suite, seed=1):
    cipher, klen, ivlen, mac, etm = suite
    rnd = hashlib.sha512(bytes([seed]) + cipher.encode()).digest() * 2
    return dict(
        cipher=cipher, key=rnd[:klen], iv=rnd[40 : 40 + ivlen], mac=mac,
        mac_key=rnd[60 : 60 + MAC_LEN[mac]] if mac else b"", encrypt_then_mac=etm,
    )


def pair(rec, suite, **reader_kw):
    """A writer and a reader sharing one direction's keys."""
    w, r = rec.RecordWriter(), rec.RecordReader(**reader_kw)
    w.protection = rec.new_protection(**keys(suite))
    r.protection = rec.new_protection(**keys(suite))
    return w, r


def drain(reader):
    out = []
    while (rec := reader.next_record()) is not None:
        out.append(rec)
    return out


def header(ctype, length, version=0x0303):
    return struct.pack(">BHH", ctype, version, length)


def aad(seq, ctype, length):
    return struct.pack(">QBHH", seq, ctype, 0x0303, length)


@pytest.fixture
def rec(twin):
    return twin.record


@pytest.fixture
def both():
    """(compiled, pure) record twins, for interop tests."""
    if _speedups.NO_EXTENSIONS:
        pytest.skip("COMPILED TWIN DISABLED: TLS12FAST_NO_EXTENSIONS is set")
    from tls12fast import _record_c, _record_py  # ImportError here is a loud failure

    return _record_c, _record_py


# --- module surface -------------------------------------------------------------------


def test_public_names_and_constants(rec):
    assert rec.__all__ == [
        "MAX_PLAINTEXT", "MAX_CIPHERTEXT", "RECORD_HEADER_LEN",
        "RecordReader", "RecordWriter", "NullProtection", "new_protection",
    ]
    assert (rec.MAX_PLAINTEXT, rec.MAX_CIPHERTEXT, rec.RECORD_HEADER_LEN) == (16384, 18432, 5)


@pytest.mark.parametrize(
    "kw",
    [
        dict(cipher="AES-128-CCM", key=bytes(16), iv=bytes(4)),
        dict(cipher="AES-128-GCM", key=bytes(15), iv=bytes(4)),
        dict(cipher="AES-128-GCM", key=bytes(16), iv=bytes(12)),
        dict(cipher="CHACHA20-POLY1305", key=bytes(32), iv=bytes(4)),
        dict(cipher="AES-128-GCM", key=bytes(16), iv=bytes(4), mac="sha1", mac_key=bytes(20)),
        dict(cipher="AES-128-CBC", key=bytes(16), iv=b""),
        dict(cipher="AES-128-CBC", key=bytes(16), iv=b"", mac="md5", mac_key=bytes(16)),
        dict(cipher="AES-256-CBC", key=bytes(16), iv=b"", mac="sha1", mac_key=bytes(20)),
        dict(cipher="AES-128-CBC", key=bytes(16), iv=b"", mac="sha256", mac_key=bytes(20)),
    ],
)
def test_new_protection_rejects_bad_parameters(rec, kw):
    with pytest.raises(ConfigurationError):
        rec.new_protection(**kw)


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_repr_hides_keys(rec, suite):
    kw = keys(suite)
    text = repr(rec.new_protection(**kw))
    assert "seq=0" in text
    for secret in (kw["key"], kw["mac_key"], kw["iv"]):
        if secret:
            assert secret.hex() not in text and repr(secret) not in text


# --- wire format, checked independently ---------------------------------------------


@pytest.mark.parametrize("cipher", ["AES-128-GCM", "AES-256-GCM"])
def test_gcm_fragment_format(rec, cipher):
    kw = keys(next(s for s in SUITES if s[0] == cipher))
    prot = rec.new_protection(**kw)
    aead = AESGCM(kw["key"])
    for seq, (ctype, pt) in enumerate([(HANDSHAKE, b"hello"), (APPDATA, b""), (ALERT, b"\x01\x00")]):
        explicit = seq.to_bytes(8, "big")  # RFC 5288: explicit nonce = our sequence number
        want = explicit + aead.encrypt(kw["iv"] + explicit, pt, aad(seq, ctype, len(pt)))
        assert prot.seal(ctype, pt) == want
        assert prot.seq == seq + 1


def test_gcm_open_uses_received_explicit_nonce(rec):
    kw = keys(SUITES[0])
    prot = rec.new_protection(**kw)
    explicit = b"\x99" * 8  # any explicit nonce the peer chose
    frag = explicit + AESGCM(kw["key"]).encrypt(kw["iv"] + explicit, b"data", aad(0, APPDATA, 4))
    assert prot.open(APPDATA, frag) == b"data"


def test_chacha_fragment_format(rec):
    kw = keys(SUITES[2])
    prot = rec.new_protection(**kw)
    aead = ChaCha20Poly1305(kw["key"])
    for seq in range(3):
        pt = bytes(range(seq * 7))
        nonce = (int.from_bytes(kw["iv"], "big") ^ seq).to_bytes(12, "big")  # RFC 7905 §2
        want = aead.encrypt(nonce, pt, aad(seq, APPDATA, len(pt)))
        assert prot.seal(APPDATA, pt) == want


@pytest.mark.parametrize("suite", [s for s in SUITES if s[3]], ids=SUITE_IDS[3:])
def test_cbc_fragment_decrypts_by_hand(rec, suite):
    kw = keys(suite)
    prot = rec.new_protection(**kw)
    mac_len = MAC_LEN[kw["mac"]]
    for seq, pt in enumerate([b"", b"x" * 15, b"y" * 16, os.urandom(1000)]):
        frag = prot.seal(HANDSHAKE if pt else APPDATA, pt)
        ctype = HANDSHAKE if pt else APPDATA
        iv, rest = frag[:16], frag[16:]
        if kw["encrypt_then_mac"]:  # RFC 7366 §3: MAC over IV + ciphertext
            body, tag = frag[:-mac_len], frag[-mac_len:]
            want = hmac.new(kw["mac_key"], aad(seq, ctype, len(body)) + body, kw["mac"]).digest()
            assert tag == want
            rest = body[16:]
        dec = Cipher(algorithms.AES(kw["key"]), modes.CBC(iv)).decryptor()
        clear = dec.update(rest) + dec.finalize()
        pad = clear[-1]
        assert clear[-pad - 1 :] == bytes([pad]) * (pad + 1)
        clear = clear[: -pad - 1]
        if not kw["encrypt_then_mac"]:  # RFC 5246 §6.2.3.2: MAC over the plaintext
            clear, tag = clear[:-mac_len], clear[-mac_len:]
            want = hmac.new(kw["mac_key"], aad(seq, ctype, len(pt)) + pt, kw["mac"]).digest()
            assert tag == want
        assert clear == pt


def test_cbc_uses_a_fresh_iv_per_record(rec):
    prot = rec.new_protection(**keys(SUITES[3]))
    assert prot.seal(APPDATA, b"same")[:16] != prot.seal(APPDATA, b"same")[:16]


# --- round trips, framing -------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_round_trip_many_records_one_feed(rec, suite):
    w, r = pair(rec, suite)
    msgs = [(HANDSHAKE, b"h" * 40), (APPDATA, b""), (APPDATA, os.urandom(16384)), (ALERT, b"\x01\x00")]
    for ctype, data in msgs:
        w.write(ctype, data)
    r.feed(w.take())
    assert drain(r) == msgs
    assert r.buffered() == 0 and r.protection.seq == w.protection.seq == 4


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_round_trip_byte_by_byte(rec, suite):
    w, r = pair(rec, suite)
    w.write(HANDSHAKE, b"abc" * 30)
    w.write(APPDATA, b"tail")
    wire = w.take()
    first = 5 + int.from_bytes(wire[3:5], "big")
    got = []
    for i in range(len(wire)):
        r.feed(wire[i : i + 1])
        got += drain(r)
        assert len(got) == (i + 1 >= first) + (i + 1 == len(wire))
        done = i + 1
        assert r.buffered() == (done if done < first else 0 if done == len(wire) else done - first)
    assert got == [(HANDSHAKE, b"abc" * 30), (APPDATA, b"tail")]


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_sequence_numbers_stay_in_sync(rec, suite):
    w, r = pair(rec, suite)
    for i in range(300):
        w.write(APPDATA, i.to_bytes(2, "big") * (i % 7))
        r.feed(w.take())
        assert drain(r) == [(APPDATA, i.to_bytes(2, "big") * (i % 7))]
    assert w.protection.seq == r.protection.seq == 300


def test_feeds_of_bytearray_and_memoryview(rec):
    w, r = pair(rec, SUITES[0])
    w.write(APPDATA, bytearray(b"ba"))
    w.write(APPDATA, memoryview(b"xmvx")[1:3])
    wire = w.take()
    r.feed(bytearray(wire[:10]))
    r.feed(memoryview(wire)[10:])
    assert drain(r) == [(APPDATA, b"ba"), (APPDATA, b"mv")]


def test_null_protection_is_identity(rec):
    p = rec.NullProtection()
    assert p.seal(HANDSHAKE, b"abc") == b"abc" and p.open(HANDSHAKE, b"xyz") == b"xyz"
    w = rec.RecordWriter()
    w.write(HANDSHAKE, b"\x01\x00\x00\x00")
    assert w.take() == header(HANDSHAKE, 4) + b"\x01\x00\x00\x00"


# --- writer ---------------------------------------------------------------------------


def test_writer_fragments_at_2_14(rec):
    w = rec.RecordWriter()
    w.write(APPDATA, bytes(16384 * 2 + 1))
    assert w.pending() == 3 * 5 + 16384 * 2 + 1
    r = rec.RecordReader()
    r.feed(w.take())
    assert [len(p) for _, p in drain(r)] == [16384, 16384, 1]
    assert w.pending() == 0 and w.take() == b""


@pytest.mark.parametrize("suite", [SUITES[0], SUITES[3]], ids=[SUITE_IDS[0], SUITE_IDS[3]])
def test_writer_small_max_fragment(rec, suite):
    w, r = pair(rec, suite)
    w.max_fragment = 100
    data = os.urandom(1050)
    w.write(HANDSHAKE, data)
    r.feed(w.take())
    got = drain(r)
    assert [len(p) for _, p in got] == [100] * 10 + [50]
    assert b"".join(p for _, p in got) == data


@pytest.mark.parametrize("value", [0, -1, 16385])
def test_writer_max_fragment_bounds(rec, value):
    with pytest.raises(ConfigurationError):
        rec.RecordWriter(max_fragment=value)
    w = rec.RecordWriter(max_fragment=1)
    with pytest.raises(ConfigurationError):
        w.max_fragment = value
    assert w.max_fragment == 1


def test_writer_empty_writes(rec):
    w = rec.RecordWriter()
    for ctype in (HANDSHAKE, ALERT, CCS):
        w.write(ctype, b"")
    assert w.pending() == 0
    w.write(APPDATA, b"")
    assert w.take() == header(APPDATA, 0)


@pytest.mark.parametrize("ctype", [0, 19, 24, 255])
def test_writer_rejects_unknown_content_type(rec, ctype):
    with pytest.raises(LocalProtocolError):
        rec.RecordWriter().write(ctype, b"x")


# --- header checks (RFC 5246 §6.2.1) ----------------------------------------------------


def expect(exc_type, alert, reader, data):
    reader.feed(data)
    with pytest.raises(exc_type) as info:
        reader.next_record()
    assert info.value.alert is alert
    return info.value


@pytest.mark.parametrize("ctype", [0, 19, 24, 0x47, 255])
def test_bad_content_type(rec, ctype):
    expect(UnexpectedMessage, AlertDescription.unexpected_message, rec.RecordReader(), header(ctype, 1))


@pytest.mark.parametrize("version", [0x0300, 0x0301, 0x0302, 0x0304, 0x0203, 0x0000, 0xFEFD])
def test_bad_version(rec, version):
    expect(ProtocolVersionError, AlertDescription.protocol_version, rec.RecordReader(),
           header(HANDSHAKE, 1, version))


@pytest.mark.parametrize("version", [0x0300, 0x0301, 0x0302, 0x0303])
def test_legacy_versions_accepted_for_first_record(rec, version):
    r = rec.RecordReader()
    r.legacy_version_ok = True
    r.feed(header(HANDSHAKE, 2, version) + b"\x01\x02")
    assert r.next_record() == (HANDSHAKE, b"\x01\x02")
    r.legacy_version_ok = False
    if version == 0x0303:
        return
    expect(ProtocolVersionError, AlertDescription.protocol_version, r, header(HANDSHAKE, 1, version))


@pytest.mark.parametrize("version", [0x0304, 0x0200, 0x0403])
def test_legacy_mode_still_rejects_other_versions(rec, version):
    r = rec.RecordReader()
    r.legacy_version_ok = True
    expect(ProtocolVersionError, AlertDescription.protocol_version, r, header(HANDSHAKE, 1, version))


def test_plaintext_length_limit(rec):
    r = rec.RecordReader()
    r.feed(header(APPDATA, 16384) + bytes(16384))
    assert r.next_record() == (APPDATA, bytes(16384))
    # Raised from the header alone, before any of the body arrived.
    expect(RecordOverflow, AlertDescription.record_overflow, r, header(APPDATA, 16385))


def test_ciphertext_length_limit(rec):
    r = rec.RecordReader()
    r.protection = rec.new_protection(**keys(SUITES[0]))
    r.feed(header(APPDATA, 18432))
    assert r.next_record() is None  # a valid header waits for its body
    r2 = rec.RecordReader()
    r2.protection = rec.new_protection(**keys(SUITES[0]))
    expect(RecordOverflow, AlertDescription.record_overflow, r2, header(APPDATA, 18433))


def test_decrypted_length_limit(rec):
    kw = keys(SUITES[0])
    r = rec.RecordReader()
    r.protection = rec.new_protection(**kw)
    pt = bytes(16385)  # authentic, but one byte over 2^14 (RFC 5246 §6.2.3)
    frag = bytes(8) + AESGCM(kw["key"]).encrypt(kw["iv"] + bytes(8), pt, aad(0, APPDATA, len(pt)))
    expect(RecordOverflow, AlertDescription.record_overflow, r, header(APPDATA, len(frag)) + frag)


@pytest.mark.parametrize("ctype", [HANDSHAKE, ALERT, CCS])
def test_empty_non_application_record(rec, ctype):
    expect(UnexpectedMessage, AlertDescription.unexpected_message, rec.RecordReader(), header(ctype, 0))


@pytest.mark.parametrize("suite", [SUITES[0], SUITES[2], SUITES[4]], ids=[SUITE_IDS[0], SUITE_IDS[2], SUITE_IDS[4]])
def test_empty_encrypted_records(rec, suite):
    w, r = pair(rec, suite)
    w.write(APPDATA, b"")
    r.feed(w.take())
    assert r.next_record() == (APPDATA, b"")
    for ctype in (HANDSHAKE, ALERT, CCS):
        frag = w.protection.seal(ctype, b"")  # sealed by hand: the writer never emits these
        expect(UnexpectedMessage, AlertDescription.unexpected_message, r, header(ctype, len(frag)) + frag)


# --- tampering --------------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_any_flipped_bit_is_bad_record_mac(rec, suite):
    w = rec.RecordWriter()
    w.protection = rec.new_protection(**keys(suite))
    w.write(APPDATA, b"attack at dawn" * 3)
    wire = w.take()
    for pos in range(5, len(wire)):  # explicit nonce, IV, ciphertext, tag / MAC, padding
        bad = bytearray(wire)
        bad[pos] ^= 0x01
        r = rec.RecordReader()
        r.protection = rec.new_protection(**keys(suite))
        expect(BadRecordMac, AlertDescription.bad_record_mac, r, bytes(bad))
        assert r.protection.seq == 0  # a failed record does not advance the sequence


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_wrong_header_fields_fail_authentication(rec, suite):
    w = rec.RecordWriter()
    w.protection = rec.new_protection(**keys(suite))
    w.write(APPDATA, b"payload")
    wire = w.take()
    r = rec.RecordReader()
    r.protection = rec.new_protection(**keys(suite))
    r.protection.seq = 1  # replayed / reordered record
    expect(BadRecordMac, AlertDescription.bad_record_mac, r, wire)
    r = rec.RecordReader()
    r.protection = rec.new_protection(**keys(suite))
    expect(BadRecordMac, AlertDescription.bad_record_mac, r, bytes([HANDSHAKE]) + wire[1:])


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
@pytest.mark.parametrize("length", [0, 1, 15, 16, 17, 23, 24, 31, 32, 33, 47, 48, 63, 64])
def test_short_or_misaligned_fragments(rec, suite, length):
    p = rec.new_protection(**keys(suite))
    with pytest.raises(BadRecordMac):
        p.open(APPDATA, bytes(length))
    assert p.seq == 0


def cbc_record(kw, seq, ctype, pt, pad_bytes, mac=None):
    """A MAC-then-encrypt record with caller-chosen padding bytes and MAC."""
    if mac is None:
        mac = hmac.new(kw["mac_key"], aad(seq, ctype, len(pt)) + pt, kw["mac"]).digest()
    iv = os.urandom(16)
    enc = Cipher(algorithms.AES(kw["key"]), modes.CBC(iv)).encryptor()
    return iv + enc.update(pt + mac + pad_bytes) + enc.finalize()


@pytest.mark.parametrize("mac", ["sha1", "sha256", "sha384"])
def test_cbc_mte_padding_and_mac_checks(rec, mac):
    suite = next(s for s in SUITES if s[3] == mac and not s[4])
    kw = keys(suite)
    mac_len = MAC_LEN[mac]
    base = 64 - mac_len  # plaintext + MAC = 64 bytes, so padding fills whole blocks
    pt = b"p" * base
    good = [bytes([n]) * (n + 1) for n in (15, 31, 255)]
    for pad in good:  # any valid padding length up to 255 is accepted (§6.2.3.2)
        p = rec.new_protection(**kw)
        assert p.open(APPDATA, cbc_record(kw, 0, APPDATA, pt, pad)) == pt
    bad = [
        b"\x0e" * 15 + b"\x0f",              # one wrong padding byte
        b"\x0f" * 15 + b"\x0e",              # wrong length byte
        bytes([0xFF]) * 16,                  # length larger than the record
        b"\x00" * 15 + b"\x0f",
    ]
    for pad in bad:
        p = rec.new_protection(**kw)
        with pytest.raises(BadRecordMac):
            p.open(APPDATA, cbc_record(kw, 0, APPDATA, pt, pad))
    p = rec.new_protection(**kw)
    with pytest.raises(BadRecordMac):  # good padding, wrong MAC
        p.open(APPDATA, cbc_record(kw, 0, APPDATA, pt, b"\x0f" * 16, mac=bytes(mac_len)))


@pytest.mark.parametrize("suite", [s for s in SUITES if s[4]], ids=[i for i in SUITE_IDS if "etm" in i])
def test_cbc_etm_bad_padding_under_valid_mac(rec, suite):
    kw = keys(suite)
    iv = os.urandom(16)
    enc = Cipher(algorithms.AES(kw["key"]), modes.CBC(iv)).encryptor()
    body = iv + enc.update(b"q" * 16 + b"\x05" * 15 + b"\x0f") + enc.finalize()
    tag = hmac.new(kw["mac_key"], aad(0, APPDATA, len(body)) + body, kw["mac"]).digest()
    p = rec.new_protection(**kw)
    with pytest.raises(BadRecordMac):
        p.open(APPDATA, body + tag)


# --- sequence numbers ----------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES[:4], ids=SUITE_IDS[:4])
def test_sequence_number_never_wraps(rec, suite):
    p = rec.new_protection(**keys(suite))
    p.seq = 2**64 - 2
    frag = p.seal(APPDATA, b"last")
    with pytest.raises(InternalError) as info:
        p.seal(APPDATA, b"wraps")
    assert info.value.alert is AlertDescription.internal_error
    q = rec.new_protection(**keys(suite))
    q.seq = 2**64 - 2
    assert q.open(APPDATA, frag) == b"last"
    with pytest.raises(InternalError):
        q.open(APPDATA, frag)
    assert p.seq == q.seq == 2**64 - 1


@pytest.mark.parametrize("value", [-1, 2**64])
def test_sequence_number_setter_range(rec, value):
    p = rec.NullProtection()
    with pytest.raises(ConfigurationError):
        p.seq = value


def test_seal_rejects_oversized_plaintext(rec):
    p = rec.new_protection(**keys(SUITES[0]))
    with pytest.raises(LocalProtocolError):
        p.seal(APPDATA, bytes(16385))
    with pytest.raises(RecordOverflow):
        p.open(APPDATA, bytes(18433))
    assert p.seq == 0


# --- buffer cap ----------------------------------------------------------------------------


def test_input_buffer_cap(rec):
    r = rec.RecordReader(max_buffer=20000)
    r.feed(bytes(19000))
    with pytest.raises(LocalProtocolError):
        r.feed(bytes(1001))
    assert r.buffered() == 19000
    r2 = rec.RecordReader(max_buffer=20000)
    w = rec.RecordWriter()
    for _ in range(3):  # drain between feeds and the cap never trips
        w.write(APPDATA, bytes(16384))
        r2.feed(w.take())
        assert drain(r2) == [(APPDATA, bytes(16384))]


def test_max_buffer_must_hold_a_record(rec):
    with pytest.raises(ConfigurationError):
        rec.RecordReader(max_buffer=1000)


def test_only_tls_errors_escape_on_garbage(rec):
    for data in (b"GET / HTTP/1.1\r\n\r\n", b"\x17\x03\x03\x00\x40" + bytes(64), b"\x16\x03\x03\xff\xff"):
        r = rec.RecordReader()
        r.protection = rec.new_protection(**keys(SUITES[5]))
        with pytest.raises(TLSError):
            r.feed(data)
            r.next_record()


# --- both twins at once ----------------------------------------------------------------------


@pytest.mark.c_extension
@pytest.mark.parametrize("suite", SUITES, ids=SUITE_IDS)
def test_compiled_and_pure_interoperate(both, suite):
    for sealer, opener in (both, both[::-1]):
        w, r = sealer.RecordWriter(), opener.RecordReader()
        w.protection = sealer.new_protection(**keys(suite))
        r.protection = opener.new_protection(**keys(suite))
        msgs = [(HANDSHAKE, os.urandom(n + 1)) for n in range(0, 300, 37)] + [(APPDATA, os.urandom(20000))]
        for ctype, data in msgs:
            w.write(ctype, data)
        r.feed(w.take())
        got = drain(r)
        assert got[:-2] == msgs[:-1]
        assert b"".join(p for _, p in got[-2:]) == msgs[-1][1]


@pytest.mark.c_extension
def test_foreign_protection_objects(both):
    """A reader/writer accepts any object with seal/open (here: the other twin's)."""
    suite = SUITES[1]
    for a, b in (both, both[::-1]):
        w, r = a.RecordWriter(), a.RecordReader()
        w.protection = b.new_protection(**keys(suite))
        r.protection = b.new_protection(**keys(suite))
        w.write(APPDATA, b"x" * 40000)
        r.feed(w.take())
        assert b"".join(p for _, p in drain(r)) == b"x" * 40000


def test_threads_each_with_their_own_objects(rec):
    errors = []

    def work(seed):
        try:
            w, r = pair(rec, SUITES[seed % len(SUITES)])
            for _ in range(20):
                w.write(APPDATA, bytes([seed]) * 40000)
                r.feed(w.take())
                assert b"".join(p for _, p in drain(r)) == bytes([seed]) * 40000
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
