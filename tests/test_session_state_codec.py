# decode_session_state in both codec twins: SessionState.to_bytes records round-trip to
# the 11 field values, and every malformed, truncated, oversized, out-of-range or
# non-bytes input is DecodeError (and nothing else).
import array
import dataclasses
import math
import struct

import pytest

from tls12fast._state_format import MAX_STATE_SIZE
from tls12fast.errors import DecodeError, LocalProtocolError
from tls12fast.sessions import SessionState

from test_sessions import MS, make_state

NAMES = [f.name for f in dataclasses.fields(SessionState)]


def state(**kw):
    # test_sessions.make_state, with a created_at whose fraction must survive the f64.
    return make_state(**{"created_at": 1000.5, **kw})


def values(s):
    return tuple(getattr(s, name) for name in NAMES)


def record(*, version=1, suite=0xC02F, flags=None, created=1.0, lifetime=60, hint=0,
           n_certs=None, ms=MS, sid=b"", ticket=b"", name=None, alpn=None, certs=()):
    """A raw version-1 record, built by hand so it can break rules to_bytes enforces."""
    if flags is None:
        flags = (2 if name is not None else 0) | (4 if alpn is not None else 0)
    out = struct.pack(">BHBd3I", version, suite, flags, created, lifetime, hint,
                      len(certs) if n_certs is None else n_certs)
    out += bytes((len(ms),)) + ms + bytes((len(sid),)) + sid + struct.pack(">H", len(ticket)) + ticket
    if name is not None:
        out += struct.pack(">H", len(name)) + name
    if alpn is not None:
        out += bytes((len(alpn),)) + alpn
    for cert in certs:
        out += len(cert).to_bytes(3, "big") + cert
    return out


def rejects(twin, data):
    with pytest.raises(DecodeError) as info:
        twin.codec.decode_session_state(data)
    assert type(info.value) is DecodeError
    assert info.value.__cause__ is None
    return info.value.args[0]


VALID = [
    state(),
    state(extended_master_secret=False, server_name=None, alpn_protocol=None, peer_chain=(),
          session_id=b"", ticket=b"", ticket_lifetime_hint=0),
    state(server_name="bücher.example", alpn_protocol=b"x" * 255, peer_chain=(b"\x00",) * 5),
    state(cipher_suite=0, created_at=-0.0, lifetime=0xFFFFFFFF, ticket_lifetime_hint=0xFFFFFFFF,
          ticket=b"t" * 0xFFFF, session_id=b"\xff"),
    state(server_name="a" * 0xFFFF, peer_chain=(b"c" * 70000,), created_at=1e300),
    state(cipher_suite=0xFFFF, server_name="x", alpn_protocol=b"\x00", created_at=-5.25),
]


@pytest.mark.parametrize("s", VALID, ids=range(len(VALID)))
def test_round_trip(twin, s):
    got = twin.codec.decode_session_state(s.to_bytes())
    assert type(got) is tuple and len(got) == 11
    assert got == values(s)
    assert [type(v) for v in got] == [type(v) for v in values(s)]
    assert all(type(c) is bytes for c in got[5])
    assert math.copysign(1, got[6]) == math.copysign(1, s.created_at)
    assert SessionState.from_bytes(s.to_bytes(), codec=twin.codec) == s


@pytest.mark.parametrize("wrap", [bytearray, memoryview, lambda b: array.array("B", b),
                                  lambda b: memoryview(bytearray(b)), type("B", (bytes,), {})])
def test_bytes_like_accepted(twin, wrap):
    s = VALID[0]
    assert twin.codec.decode_session_state(wrap(s.to_bytes())) == values(s)


@pytest.mark.parametrize("bad", [None, 5, 1.5, "text", [1, 2], object(), memoryview(b"ab" * 40)[::2]])
def test_non_bytes_rejected(twin, bad):
    rejects(twin, bad)


@pytest.mark.parametrize("s", VALID[:3], ids=range(3))
def test_every_truncation_rejected(twin, s):
    data = s.to_bytes()
    for n in range(len(data)):
        assert rejects(twin, data[:n]) == "session state truncated"


def test_trailing_bytes_rejected(twin):
    for s in VALID[:2]:
        assert rejects(twin, s.to_bytes() + b"\x00") == "trailing bytes after session state"


@pytest.mark.parametrize("version", [0, 2, 255])
def test_unknown_version_rejected(twin, version):
    data = bytearray(VALID[0].to_bytes())
    data[0] = version
    assert rejects(twin, bytes(data)) == "unknown session state version"


@pytest.mark.parametrize("bit", [8, 16, 32, 64, 128])
def test_unknown_flag_rejected(twin, bit):
    data = bytearray(VALID[1].to_bytes())
    data[3] |= bit
    assert rejects(twin, bytes(data)) == "unknown session state flags"


def test_flags_must_match_the_fields(twin):
    # A flag announcing a field that is not there, or a field without its flag, is a
    # length mismatch.
    rejects(twin, record(flags=2))
    rejects(twin, record(flags=4))
    rejects(twin, record(flags=0, name=b"host"))
    rejects(twin, record(flags=2, alpn=b"h2"))


@pytest.mark.parametrize("name", [b"\xff", b"ab\xfe", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf"])
def test_non_utf8_server_name_rejected(twin, name):
    assert rejects(twin, record(name=name)) == "session state server_name is not UTF-8"


def test_oversized_rejected(twin):
    big = record(ticket=b"") + b"\x00" * (MAX_STATE_SIZE + 1)
    for data in (big, bytearray(big), memoryview(big)):
        assert rejects(twin, data) == "session state too large"


def test_huge_certificate_count_rejected(twin):
    for n in (1, 2, 0xFFFF, 0xFFFFFFFF):
        rejects(twin, record(n_certs=n))
    rejects(twin, record(n_certs=3, certs=(b"a", b"b")))


@pytest.mark.parametrize("kw", [
    dict(ms=MS[:47]), dict(ms=MS + b"x"), dict(ms=b""),
    dict(sid=b"s" * 33), dict(sid=b"s" * 255),
    dict(created=math.nan), dict(created=math.inf), dict(created=-math.inf),
    dict(name=b""), dict(alpn=b""), dict(certs=(b"abcdef", b"")), dict(certs=(b"", b"abcdef")),
    dict(certs=(b"c",) * 0x10000),
], ids=lambda kw: next(iter(kw)))
def test_fields_out_of_range_rejected(twin, kw):
    # Well-formed records whose values SessionState.__post_init__ would refuse. (An empty
    # certificate needs a longer neighbour here: every certificate is budgeted 4 bytes
    # before the chain is read, so a chain of only empty ones is already "truncated".)
    assert rejects(twin, record(**kw)) == "session state field out of range"


def test_limits_themselves_accepted(twin):
    got = twin.codec.decode_session_state(record(sid=b"s" * 32, certs=(b"c",) * 0xFFFF))
    assert got[8] == b"s" * 32 and len(got[5]) == 0xFFFF


def test_from_bytes_default_codec_and_errors(twin):
    s = VALID[2]
    assert SessionState.from_bytes(s.to_bytes()) == s
    for bad in (None, b"", record(ms=b""), s.to_bytes()[:-1]):
        with pytest.raises(DecodeError):
            SessionState.from_bytes(bad, codec=twin.codec)


def test_from_bytes_subclass(twin):
    class Strict(SessionState):
        __slots__ = ()

        def __post_init__(self):
            super().__post_init__()
            if self.alpn_protocol is None:
                raise LocalProtocolError("ALPN required")

    s = VALID[0]
    got = Strict.from_bytes(s.to_bytes(), codec=twin.codec)
    assert type(got) is Strict and values(got) == values(s)
    with pytest.raises(DecodeError):
        Strict.from_bytes(VALID[1].to_bytes(), codec=twin.codec)
