"""Differential Hypothesis tests: the compiled codec twin equals the pure one.

On random and mutated input both twins return equal objects or raise the same
TLSError subclass with the same alert (nothing else may escape), anything that parses
re-encodes byte-exactly, and the joiners agree on any fragmentation.
"""
import pathlib
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tls12fast.errors import TLSError

pytestmark = pytest.mark.c_extension

DATA = pathlib.Path(__file__).parent / "data"
MSG_TYPES = [0, 1, 2, 3, 4, 11, 12, 13, 14, 15, 16, 20, 21, 255]
KX = [None, "ECDHE", "DHE", "RSA", "PSK"]


@pytest.fixture(scope="module")
def twins(compiled_and_pure):
    compiled, pure = compiled_and_pure
    return compiled.codec, pure.codec


def _outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except TLSError as exc:
        return ("raised", type(exc), exc.alert)


def _check(twins, msg_type, body, kx):
    compiled, pure = twins
    got = _outcome(compiled.decode_handshake, msg_type, body, kx)
    want = _outcome(pure.decode_handshake, msg_type, body, kx)
    assert got == want
    if got[0] == "ok":  # parse -> encode is byte-exact, in both twins
        raw = bytes([msg_type]) + len(body).to_bytes(3, "big") + body
        assert compiled.encode_handshake(got[1]) == raw
        assert pure.encode_handshake(got[1]) == raw


def _seed_bodies():
    from test_codec import SAMPLES

    from tls12fast import _codec_py

    seeds = [(m.msg_type, _codec_py.encode_handshake(m)[4:], kx) for m, kx in SAMPLES]
    for path in sorted(DATA.glob("client_hello_*.bin")):
        raw = path.read_bytes()
        seeds.append((1, raw[4:], None))
    return seeds


SEEDS = _seed_bodies()


@st.composite
def mutated(draw):
    msg_type, body, kx = draw(st.sampled_from(SEEDS))
    body = bytearray(body)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "truncate", "extend", "insert", "delete", "set"]))
        pos = draw(st.integers(0, max(len(body) - 1, 0)))
        if op == "flip" and body:
            body[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and body:
            body[pos] = draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF]))
        elif op == "truncate":
            del body[pos:]
        elif op == "extend":
            body += draw(st.binary(min_size=1, max_size=8))
        elif op == "insert":
            body[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete" and body:
            del body[pos : pos + draw(st.integers(1, 4))]
    if draw(st.booleans()):
        kx = draw(st.sampled_from(KX))
    return msg_type, bytes(body), kx


EXT_TYPES = [0, 5, 10, 11, 13, 16, 21, 22, 23, 35, 43, 45, 51, 0xFF01, 0x1234]


@st.composite
def structured_hello(draw):
    """A hello whose extension block is made of known types with random small bodies."""
    exts = b""
    for _ in range(draw(st.integers(0, 6))):
        t = draw(st.sampled_from(EXT_TYPES))
        data = draw(st.one_of(
            st.binary(max_size=12),
            st.lists(st.binary(min_size=0, max_size=5), max_size=3).map(
                lambda items: b"".join(bytes([len(i)]) + i for i in items)),
        ))
        if draw(st.booleans()):  # give it a plausible u16 or u8 list prefix
            data = (struct.pack(">H", len(data)) if draw(st.booleans()) else bytes([len(data) & 0xFF])) + data
        exts += struct.pack(">HH", t, len(data)) + data
    msg_type = draw(st.sampled_from([1, 2]))
    head = b"\x03\x03" + bytes(32) + bytes([0])
    head += b"\x00\x02\xc0\x2f\x01\x00" if msg_type == 1 else b"\xc0\x2f\x00"
    return msg_type, head + struct.pack(">H", len(exts)) + exts, None


SETTINGS = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(msg_type=st.sampled_from(MSG_TYPES), body=st.binary(max_size=200), kx=st.sampled_from(KX))
def test_random_bytes(twins, msg_type, body, kx):
    _check(twins, msg_type, body, kx)


@SETTINGS
@given(case=mutated())
def test_mutated_valid_messages(twins, case):
    _check(twins, *case)


@SETTINGS
@given(case=structured_hello())
def test_structured_hellos(twins, case):
    _check(twins, *case)


def _join(codec, fragments, cap):
    out = []
    try:
        joiner = codec.HandshakeJoiner(cap)
        for fragment in fragments:
            joiner.feed(fragment)
            while (item := joiner.pop()) is not None:
                out.append(item)
            out.append(joiner.pending())
    except TLSError as exc:
        out.append((type(exc), exc.alert))
    return out


@SETTINGS
@given(
    stream=st.lists(st.sampled_from(SEEDS), max_size=6).map(
        lambda seeds: b"".join(bytes([t]) + len(b).to_bytes(3, "big") + b for t, b, _ in seeds)),
    junk=st.binary(max_size=12),
    cuts=st.lists(st.integers(0, 5000), max_size=12),
    cap=st.sampled_from([0, 4, 100, 600, 65536]),
)
def test_joiner_fragmentation(twins, stream, junk, cuts, cap):
    compiled, pure = twins
    data = stream + junk
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    fragments = [data[a:b] for a, b in zip(bounds, bounds[1:])]
    assert _join(compiled, fragments, cap) == _join(pure, fragments, cap)
