"""Handshake codec (both twins): round-trips, hand-computed encodings, the joiner,
malformed input -> the right exception and alert, and real captured ClientHellos."""
import dataclasses
import pathlib
import ssl
import struct

import pytest

from tls12fast.enums import AlertDescription as AD
from tls12fast.errors import DecodeError, IllegalParameter, LocalProtocolError, TLSError, UnexpectedMessage
from tls12fast.messages import (
    ALPNExt,
    Certificate,
    CertificateRequest,
    CertificateVerify,
    ClientHello,
    ClientKeyExchange,
    ECPointFormatsExt,
    EncryptThenMacExt,
    ExtendedMasterSecretExt,
    Finished,
    HelloRequest,
    NewSessionTicket,
    RenegotiationInfoExt,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchangeDHE,
    ServerKeyExchangeECDHE,
    ServerNameExt,
    SessionTicketExt,
    SignatureAlgorithmsExt,
    StatusRequestExt,
    SupportedGroupsExt,
    SupportedVersionsExt,
    UnknownExtension,
)

DATA = pathlib.Path(__file__).parent / "data"
RANDOM = bytes(range(32))


# --------------------------------------------------------------------------- wire helpers


def v8(b: bytes) -> bytes:
    return bytes([len(b)]) + b


def v16(b: bytes) -> bytes:
    return struct.pack(">H", len(b)) + b


def v24(b: bytes) -> bytes:
    return len(b).to_bytes(3, "big") + b


def ext(t: int, data: bytes) -> bytes:
    return struct.pack(">H", t) + v16(data)


def ch_body(exts: bytes | None = None, *, suites=b"\xc0\x2f", comp=b"\x00", sid=b"") -> bytes:
    body = b"\x03\x03" + RANDOM + v8(sid) + v16(suites) + v8(comp)
    return body if exts is None else body + v16(exts)


def sh_body(exts: bytes | None = None, *, sid=b"") -> bytes:
    body = b"\x03\x03" + RANDOM + v8(sid) + b"\xc0\x2f\x00"
    return body if exts is None else body + v16(exts)


# --------------------------------------------------------------------------- samples

ALL_CH_EXTENSIONS = [
    ServerNameExt([(0, b"example.com")]),
    StatusRequestExt(b"\x01\x00\x00\x00\x00"),
    SupportedGroupsExt([29, 23, 24, 256, 257, 0x1234]),  # 0x1234: unknown value kept
    ECPointFormatsExt([0, 1, 2]),
    SignatureAlgorithmsExt([0x0804, 0x0403, 0x0401, 0xFEFE]),
    ALPNExt([b"h2", b"http/1.1"]),
    EncryptThenMacExt(),
    ExtendedMasterSecretExt(),
    SessionTicketExt(b"opaque-ticket"),
    SupportedVersionsExt([0x0304, 0x0303]),
    RenegotiationInfoExt(b""),
    UnknownExtension(0x4469, b"\x00\x01"),
    UnknownExtension(21, bytes(7)),  # padding
]
ALL_SH_EXTENSIONS = [
    RenegotiationInfoExt(bytes(24)),
    ServerNameExt([]),
    SessionTicketExt(b""),
    ExtendedMasterSecretExt(),
    EncryptThenMacExt(),
    StatusRequestExt(b""),
    ECPointFormatsExt([0]),
    ALPNExt([b"h2"]),
    SupportedVersionsExt([0x0303]),
    UnknownExtension(0xABCD, b"xyz"),
]

SAMPLES = [
    (HelloRequest(), None),
    (ClientHello(0x0303, RANDOM, bytes(32), [0xC02F, 0x00FF, 0x1301], b"\x00", ALL_CH_EXTENSIONS), None),
    (ClientHello(0x0303, RANDOM, b"", [0x002F], b"\x01\x00", None), None),
    (ClientHello(0x0301, RANDOM, b"\x07", [0xC02F], b"\x00", []), None),
    (ServerHello(0x0303, RANDOM, b"\x11" * 32, 0xC030, 0, ALL_SH_EXTENSIONS), None),
    (ServerHello(0x0303, RANDOM, b"", 0x009E, 0, None), None),
    (ServerHello(0x0303, RANDOM, b"", 0x009E, 0, []), None),
    (Certificate([b"\x30\x82leaf-der", b"\x30\x82intermediate"]), None),
    (Certificate([]), None),
    (ServerKeyExchangeECDHE(29, bytes(range(32)), 0x0804, b"S" * 256), "ECDHE"),
    (ServerKeyExchangeDHE(b"\x00\xff" * 64, b"\x02", b"\x00\x01\x02", 0x0401, b"sig"), "DHE"),
    (CertificateRequest([1, 64], [0x0804, 0x0403], [b"\x30\x03dn1", b"\x30\x03dn2"]), None),
    (CertificateRequest([1], [0x0401], []), None),
    (ServerHelloDone(), None),
    (CertificateVerify(0x0403, b"\x30\x45" + bytes(69)), None),
    (ClientKeyExchange("RSA", bytes(256)), "RSA"),
    (ClientKeyExchange("RSA", b""), "RSA"),
    (ClientKeyExchange("DHE", b"\x01" * 256), "DHE"),
    (ClientKeyExchange("ECDHE", b"\x04" + bytes(64)), "ECDHE"),
    (Finished(b"\x5a" * 12), None),
    (NewSessionTicket(0xFFFFFFFF, b"T" * 100), None),
    (NewSessionTicket(0, b""), None),
]


@pytest.mark.parametrize("msg,kx", SAMPLES, ids=[f"{type(m).__name__}-{i}" for i, (m, _) in enumerate(SAMPLES)])
def test_round_trip(twin, msg, kx):
    codec = twin.codec
    raw = codec.encode_handshake(msg)
    assert raw[0] == msg.msg_type
    assert int.from_bytes(raw[1:4], "big") == len(raw) - 4
    decoded = codec.decode_handshake(raw[0], raw[4:], kx)
    assert decoded == msg
    assert type(decoded) is type(msg)
    assert codec.encode_handshake(decoded) == raw


def test_twins_encode_identically(twin):
    from tls12fast import _codec_py

    for msg, _ in SAMPLES:
        assert twin.codec.encode_handshake(msg) == _codec_py.encode_handshake(msg)


# --------------------------------------------------------------------------- exact bytes


def test_exact_simple_messages(twin):
    enc = twin.codec.encode_handshake
    assert enc(ServerHelloDone()) == b"\x0e\x00\x00\x00"
    assert enc(HelloRequest()) == b"\x00\x00\x00\x00"
    assert enc(Finished(b"\x01" * 12)) == b"\x14\x00\x00\x0c" + b"\x01" * 12
    assert enc(NewSessionTicket(7200, b"abc")) == bytes.fromhex("04000009 00001c20 0003 616263")
    assert enc(ClientKeyExchange("ECDHE", b"\x04\x05")) == bytes.fromhex("10000003 02 0405")
    assert enc(ClientKeyExchange("DHE", b"\x04\x05")) == bytes.fromhex("10000004 0002 0405")
    assert enc(ClientKeyExchange("RSA", b"\x04\x05")) == bytes.fromhex("10000004 0002 0405")
    assert enc(CertificateVerify(0x0804, b"sig")) == bytes.fromhex("0f000007 0804 0003") + b"sig"
    assert enc(Certificate([b"AB", b"C"])) == bytes.fromhex("0b00000c 000009 000002 4142 000001 43")


def test_exact_server_hello(twin):
    msg = ServerHello(0x0303, RANDOM, b"", 0xC02F, 0,
                      [RenegotiationInfoExt(b""), ExtendedMasterSecretExt(), SessionTicketExt(b"")])
    exts = bytes.fromhex("ff01 0001 00  0017 0000  0023 0000")
    body = b"\x03\x03" + RANDOM + b"\x00" + b"\xc0\x2f" + b"\x00" + b"\x00\x0d" + exts
    assert len(body) == 0x35
    assert twin.codec.encode_handshake(msg) == b"\x02\x00\x00\x35" + body


def test_exact_client_hello(twin):
    exts = (bytes.fromhex("0000 0010 000e 00 000b") + b"example.com"
            + bytes.fromhex("000a 0006 0004 001d 0017")
            + bytes.fromhex("000b 0002 01 00")
            + bytes.fromhex("000d 0004 0002 0804")
            + bytes.fromhex("0010 0005 0003 02") + b"h2"
            + bytes.fromhex("002b 0003 02 0303"))
    body = b"\x03\x03" + RANDOM + b"\x00" + bytes.fromhex("0002 c02f 01 00") + struct.pack(">H", len(exts)) + exts
    msg = ClientHello(0x0303, RANDOM, b"", [0xC02F], b"\x00", [
        ServerNameExt([(0, b"example.com")]), SupportedGroupsExt([29, 23]), ECPointFormatsExt([0]),
        SignatureAlgorithmsExt([0x0804]), ALPNExt([b"h2"]), SupportedVersionsExt([0x0303]),
    ])
    assert twin.codec.encode_handshake(msg) == b"\x01" + len(body).to_bytes(3, "big") + body
    assert twin.codec.decode_handshake(1, body) == msg
    assert msg.find(0).host_name == "example.com"


def test_exact_server_key_exchange_and_params(twin):
    ecdhe = ServerKeyExchangeECDHE(29, b"\x09" * 32, 0x0804, b"xyz")
    raw = twin.codec.encode_handshake(ecdhe)
    params = bytes.fromhex("03 001d 20") + b"\x09" * 32
    assert raw == b"\x0c" + (len(params) + 7).to_bytes(3, "big") + params + bytes.fromhex("0804 0003") + b"xyz"
    assert ecdhe.params == params
    dhe = ServerKeyExchangeDHE(b"\x00\xfb", b"\x02", b"\x00\x05", 0x0401, b"s")
    raw = twin.codec.encode_handshake(dhe)
    assert raw[4:4 + len(dhe.params)] == dhe.params == bytes.fromhex("0002 00fb 0001 02 0002 0005")
    assert twin.codec.decode_handshake(12, raw[4:], "DHE").p == b"\x00\xfb"  # no normalisation


def test_extensions_none_vs_empty_and_order(twin):
    dec = twin.codec.decode_handshake
    assert dec(1, ch_body()).extensions is None
    assert dec(1, ch_body(b"")).extensions == []
    assert dec(2, sh_body()).extensions is None
    assert dec(2, sh_body(b"")).extensions == []
    order = dec(1, ch_body(ext(23, b"") + ext(0xFF01, b"\x00") + ext(22, b""))).extensions
    assert [e.type for e in order] == [23, 0xFF01, 22]


def test_server_hello_context(twin):
    dec = twin.codec.decode_handshake
    exts = dec(2, sh_body(ext(0, b"") + ext(35, b"") + ext(5, b"") + ext(43, b"\x03\x03")
                          + ext(16, v16(v8(b"h2") + v8(b"h3"))))).extensions
    assert exts == [ServerNameExt([]), SessionTicketExt(b""), StatusRequestExt(b""),
                    SupportedVersionsExt([0x0303]), ALPNExt([b"h2", b"h3"])]
    for t, data in [(0, v16(v8(b"x"))), (35, b"t"), (5, b"\x01"), (43, b"\x02\x03\x03"), (43, b"\x03")]:
        with pytest.raises(DecodeError):
            dec(2, sh_body(ext(t, data)))


def test_encode_rejects_unrepresentable(twin):
    enc = twin.codec.encode_handshake
    bad = [
        object(),
        ClientHello(0x0303, b"short", b"", [1], b"\x00"),
        ClientHello(0x0303, RANDOM, bytes(33), [1], b"\x00"),
        ClientHello(0x10000, RANDOM, b"", [1], b"\x00"),
        ClientHello(0x0303, RANDOM, b"", [-1], b"\x00"),
        ClientHello(0x0303, RANDOM, b"", [1], "\x00"),
        ServerHello(0x0303, RANDOM, b"", 1, 0, [ServerNameExt([(0, b"x")])]),
        ServerHello(0x0303, RANDOM, b"", 1, 0, [SessionTicketExt(b"x")]),
        ServerHello(0x0303, RANDOM, b"", 1, 0, [SupportedVersionsExt([0x0303, 0x0304])]),
        ServerHello(0x0303, RANDOM, b"", 1, 0, [object()]),
        ClientKeyExchange("PSK", b"x"),
        ClientKeyExchange("ECDHE", bytes(256)),
        NewSessionTicket(1 << 32, b""),
        Finished(None),
    ]
    for msg in bad:
        with pytest.raises(LocalProtocolError):
            enc(msg)


# --------------------------------------------------------------------------- joiner


def _stream(codec):
    return [codec.encode_handshake(m) for m, _ in SAMPLES]


def test_joiner_byte_by_byte(twin):
    raws = _stream(twin.codec)
    joiner = twin.codec.HandshakeJoiner()
    out = []
    for b in b"".join(raws):
        joiner.feed(bytes([b]))
        while (item := joiner.pop()) is not None:
            out.append(item)
    assert [r for _, _, r in out] == raws
    assert [(t, body) for t, body, _ in out] == [(r[0], r[4:]) for r in raws]
    assert not joiner.pending()


def test_joiner_several_per_fragment_and_pending(twin):
    raws = _stream(twin.codec)
    joiner = twin.codec.HandshakeJoiner()
    assert joiner.pop() is None and not joiner.pending()
    joiner.feed(b"".join(raws) + raws[1][:7])
    got = []
    while (item := joiner.pop()) is not None:
        got.append(item[2])
    assert got == raws
    assert joiner.pending()  # 7 bytes of a ClientHello
    joiner.feed(bytearray(raws[1][7:]))
    assert joiner.pending()
    assert joiner.pop() == (1, raws[1][4:], raws[1])
    assert not joiner.pending() and joiner.pop() is None


def test_joiner_empty_body_and_memoryview(twin):
    joiner = twin.codec.HandshakeJoiner()
    joiner.feed(memoryview(b"\x0e\x00\x00\x00\x00\x00"))
    assert joiner.pop() == (14, b"", b"\x0e\x00\x00\x00")
    assert joiner.pending() and joiner.pop() is None
    joiner.feed(b"\x00\x00")
    assert joiner.pop() == (0, b"", b"\x00\x00\x00\x00")


def test_joiner_cap(twin):
    codec = twin.codec
    assert codec.MAX_HANDSHAKE_SIZE == 65536
    joiner = codec.HandshakeJoiner(max_message_size=100)
    joiner.feed(b"\x0b\x00\x00\x64" + bytes(100))  # exactly the cap is fine
    assert joiner.pop()[1] == bytes(100)
    joiner = codec.HandshakeJoiner(max_message_size=100)
    with pytest.raises(DecodeError) as exc:
        joiner.feed(b"\x0b\x00\x00\x65")  # only the header: refused before the body
    assert exc.value.alert == AD.decode_error
    joiner = codec.HandshakeJoiner()
    joiner.feed(b"\x0b\x01")
    with pytest.raises(DecodeError):
        joiner.feed(b"\x00\x01")  # 65537 > default cap, header split across fragments
    joiner = codec.HandshakeJoiner(max_message_size=10)
    with pytest.raises(DecodeError):  # second message in the same fragment is too big
        joiner.feed(b"\x0e\x00\x00\x00" + b"\x0b\x00\x00\x0b")
    with pytest.raises(TLSError):
        codec.HandshakeJoiner(max_message_size=-1)


def test_joiner_long_stream_compacts(twin):
    joiner = twin.codec.HandshakeJoiner()
    msg = b"\x14\x00\x03\xe8" + bytes(1000)
    for _ in range(200):
        joiner.feed(msg[:500])
        assert joiner.pop() is None
        joiner.feed(msg[500:])
        assert joiner.pop() == (20, bytes(1000), msg)
    assert not joiner.pending()


# --------------------------------------------------------------------------- malformed input

GOOD_CH_EXTS = ext(0, v16(b"\x00" + v16(b"a.example"))) + ext(10, v16(b"\x00\x1d")) + ext(23, b"")

MALFORMED = [
    # (msg_type, body, kx, exception)
    (1, ch_body(suites=b""), None, DecodeError),
    (1, ch_body(suites=b"\xc0"), None, DecodeError),
    (1, ch_body(comp=b""), None, DecodeError),
    (1, ch_body(sid=bytes(33)), None, DecodeError),
    (1, ch_body()[:20], None, DecodeError),  # random cut short
    (1, ch_body() + b"\x00", None, DecodeError),  # 1 byte where an extensions length goes
    (1, ch_body(GOOD_CH_EXTS) + b"\x00", None, DecodeError),  # trailing
    (1, ch_body(b"")[:-1] + b"\x05", None, DecodeError),  # extensions length past end
    (1, ch_body(ext(0, v16(b""))), None, DecodeError),  # empty server_name list
    (1, ch_body(ext(0, v16(b"\x00" + v16(b"")))), None, DecodeError),  # empty host name
    (1, ch_body(ext(0, v16(b"\x00\x00\x05ab"))), None, DecodeError),  # name past its list
    (1, ch_body(ext(0, b"")), None, DecodeError),
    (1, ch_body(ext(16, v16(b""))), None, DecodeError),  # empty ALPN list
    (1, ch_body(ext(16, v16(v8(b"")))), None, DecodeError),  # empty protocol name
    (1, ch_body(ext(10, v16(b""))), None, DecodeError),
    (1, ch_body(ext(10, v16(b"\x00\x1d\x00"))), None, DecodeError),  # odd length
    (1, ch_body(ext(10, v16(b"\x00\x1d") + b"\x00")), None, DecodeError),  # trailing in ext
    (1, ch_body(ext(13, v16(b""))), None, DecodeError),
    (1, ch_body(ext(11, v8(b""))), None, DecodeError),
    (1, ch_body(ext(43, v8(b""))), None, DecodeError),
    (1, ch_body(ext(23, b"\x00")), None, DecodeError),
    (1, ch_body(ext(22, b"\x00")), None, DecodeError),
    (1, ch_body(ext(0xFF01, b"")), None, DecodeError),
    (1, ch_body(ext(0xFF01, b"\x02\x00")), None, DecodeError),
    (1, ch_body(ext(23, b"") + ext(23, b"")), None, DecodeError),  # duplicate
    (1, ch_body(ext(0x7777, b"") + ext(0x7777, b"")), None, DecodeError),  # duplicate unknown
    (1, ch_body(b"\x00\x17\x00"), None, DecodeError),  # extension header cut short
    (1, ch_body(b"\x00\x17\x00\x01"), None, DecodeError),  # extension body past the block
    (2, sh_body(sid=bytes(33)), None, DecodeError),
    (2, sh_body(ext(23, b"") + ext(23, b"")), None, DecodeError),
    (2, sh_body(ext(16, v16(b""))), None, DecodeError),
    (2, sh_body()[:-1], None, DecodeError),
    (11, v24(v24(b"")), None, DecodeError),  # empty certificate
    (11, v24(v24(b"x")) + b"\x00", None, DecodeError),
    (11, b"\x00\x00\x05\x00\x00\x01x", None, DecodeError),
    (12, b"", "ECDHE", DecodeError),
    (12, b"\x01\x00\x1d" + v8(b"x"), "ECDHE", IllegalParameter),  # explicit_prime curve
    (12, b"\x02", "ECDHE", IllegalParameter),
    (12, b"\x03\x00\x1d" + v8(b"") + b"\x08\x04" + v16(b""), "ECDHE", DecodeError),
    (12, b"\x03\x00\x1d" + v8(b"x") + b"\x08\x04" + v16(b"s") + b"!", "ECDHE", DecodeError),
    (12, b"\x03\x00\x1d" + v8(b"x") + b"\x08", "ECDHE", DecodeError),
    (12, v16(b"p") + v16(b"") + v16(b"y") + b"\x04\x01" + v16(b"s"), "DHE", DecodeError),
    (12, v16(b"p") + v16(b"g") + v16(b"y"), "DHE", DecodeError),
    (12, b"", "RSA", UnexpectedMessage),
    (13, v8(b"") + v16(b"\x04\x01") + v16(b""), None, DecodeError),
    (13, v8(b"\x01") + v16(b"") + v16(b""), None, DecodeError),
    (13, v8(b"\x01") + v16(b"\x04\x01") + v16(v16(b"")), None, DecodeError),
    (13, v8(b"\x01") + v16(b"\x04\x01"), None, DecodeError),
    (14, b"\x00", None, DecodeError),
    (0, b"\x00", None, DecodeError),
    (15, b"\x04\x01" + v16(b"s") + b"\x00", None, DecodeError),
    (15, b"\x04", None, DecodeError),
    (16, v16(b"x") + b"\x00", "RSA", DecodeError),
    (16, v8(b"x"), "RSA", DecodeError),
    (16, v16(b""), "DHE", DecodeError),
    (16, v8(b""), "ECDHE", DecodeError),
    (16, v8(b"x") + b"\x00", "ECDHE", DecodeError),
    (4, b"\x00\x00\x00", None, DecodeError),
    (4, b"\x00\x00\x00\x01" + v16(b"t") + b"\x00", None, DecodeError),
    (3, b"", None, UnexpectedMessage),  # hello_verify_request: DTLS only
    (22, b"", None, UnexpectedMessage),
    (255, b"", None, UnexpectedMessage),
    (256, b"", None, UnexpectedMessage),
    (-1, b"", None, UnexpectedMessage),
    (12, b"", None, LocalProtocolError),
    (16, b"", "PSK", LocalProtocolError),
]

ALERTS = {
    DecodeError: AD.decode_error,
    IllegalParameter: AD.illegal_parameter,
    UnexpectedMessage: AD.unexpected_message,
    LocalProtocolError: None,
}


@pytest.mark.parametrize("msg_type,body,kx,exc", MALFORMED,
                         ids=[f"{i}-type{t}-{e.__name__}" for i, (t, _, _, e) in enumerate(MALFORMED)])
def test_malformed(twin, msg_type, body, kx, exc):
    with pytest.raises(TLSError) as info:
        twin.codec.decode_handshake(msg_type, body, kx)
    assert type(info.value) is exc
    assert info.value.alert == ALERTS[exc]


@pytest.mark.parametrize("msg,kx", [s for s in SAMPLES if not isinstance(s[0], Finished)],
                         ids=[f"{type(m).__name__}-{i}" for i, (m, _) in enumerate(SAMPLES)
                              if not isinstance(m, Finished)])
def test_every_truncation_and_extension_fails(twin, msg, kx):
    """Every proper prefix and every one-byte extension of a valid body is DecodeError,
    except a hello cut exactly where its (optional) extensions block starts."""
    codec = twin.codec
    body = codec.encode_handshake(msg)[4:]
    valid_cuts = set()
    if isinstance(msg, (ClientHello, ServerHello)) and msg.extensions is not None:
        valid_cuts.add(len(codec.encode_handshake(dataclasses.replace(msg, extensions=None))) - 4)
    for cut in range(len(body)):
        if cut in valid_cuts:
            assert codec.decode_handshake(msg.msg_type, body[:cut], kx).extensions is None
            continue
        with pytest.raises(DecodeError):
            codec.decode_handshake(msg.msg_type, body[:cut], kx)
    with pytest.raises(DecodeError):
        codec.decode_handshake(msg.msg_type, body + b"\x00", kx)


# --------------------------------------------------------------------------- real ClientHellos

CAPTURED = sorted(DATA.glob("client_hello_*.bin"))


def test_captures_present():
    assert {p.stem for p in CAPTURED} >= {
        "client_hello_openssl_tls12", "client_hello_openssl_default", "client_hello_stdlib_ssl", "client_hello_tlslite",
    }


@pytest.mark.parametrize("path", CAPTURED, ids=[p.stem for p in CAPTURED])
def test_captured_client_hello_round_trips(twin, path):
    raw = path.read_bytes()
    joiner = twin.codec.HandshakeJoiner()
    joiner.feed(raw)
    msg_type, body, again = joiner.pop()
    assert (msg_type, again) == (1, raw)
    msg = twin.codec.decode_handshake(msg_type, body)
    assert isinstance(msg, ClientHello) and msg.version == 0x0303 and len(msg.random) == 32
    assert twin.codec.encode_handshake(msg) == raw
    assert msg.find(0).host_name == "example.com"
    assert 0x00FF in msg.cipher_suites or msg.find(0xFF01) is not None  # RFC 5746
    assert msg.find(10).groups and msg.find(13).schemes


def _load(twin, name):
    raw = (DATA / f"client_hello_{name}.bin").read_bytes()
    return twin.codec.decode_handshake(raw[0], raw[4:])


def test_captured_key_fields(twin):
    openssl = _load(twin, "openssl_tls12")
    assert 29 in openssl.find(10).groups  # x25519
    assert isinstance(openssl.find(23), ExtendedMasterSecretExt)
    assert isinstance(openssl.find(22), EncryptThenMacExt)
    assert openssl.find(43) is None  # -tls1_2: no supported_versions
    assert 0xC02F in openssl.cipher_suites
    default = _load(twin, "openssl_default")
    assert default.find(43).versions[:2] == [0x0304, 0x0303]
    assert isinstance(default.find(51), UnknownExtension)  # key_share kept verbatim
    stdlib = _load(twin, "stdlib_ssl")
    assert stdlib.find(16).protocols == [b"h2", b"http/1.1"]
    tlslite = _load(twin, "tlslite")
    assert {256, 257} <= set(tlslite.find(10).groups)  # ffdhe2048/3072
    assert tlslite.find(16).protocols == [b"h2", b"http/1.1"]
    assert 0x0304 in tlslite.find(43).versions


def _stdlib_client_hello() -> bytes:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_alpn_protocols(["http/1.1"])
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="live.example")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return outgoing.read()


def test_live_stdlib_client_hello(twin):
    records = _stdlib_client_hello()
    assert records[0] == 22
    joiner = twin.codec.HandshakeJoiner()
    pos = 0
    while pos < len(records):  # strip record headers (RFC 5246 §6.2.1)
        length = int.from_bytes(records[pos + 3:pos + 5], "big")
        joiner.feed(records[pos + 5:pos + 5 + length])
        pos += 5 + length
    msg_type, body, raw = joiner.pop()
    msg = twin.codec.decode_handshake(msg_type, body)
    assert twin.codec.encode_handshake(msg) == raw
    assert msg.find(0).host_name == "live.example"
    assert msg.find(16).protocols == [b"http/1.1"]
    assert not joiner.pending()
