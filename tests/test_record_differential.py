"""Differential Hypothesis tests: compiled record twin == pure record twin.

Identical inputs (random or mutated record streams, split at random points) go to a
reader of each twin; the sequence of outcomes must match exactly: the same records, or
the same exception type and alert at the same step. Only TLSError subclasses may escape,
and the readers never hold more than max_buffer bytes.
"""
import hashlib

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tls12fast import _speedups
from tls12fast.errors import TLSError

pytestmark = [pytest.mark.c_extension]

CIPHERS = [
    ("AES-128-GCM", 16, 4, None, False),
    ("AES-256-GCM", 32, 4, None, False),
    ("CHACHA20-POLY1305", 32, 12, None, False),
    ("AES-128-CBC", 16, 0, "sha1", False),
    ("AES-128-CBC", 16, 0, "sha256", True),
    ("AES-256-CBC", 32, 0, "sha384", False),
    ("AES-256-CBC", 32, 0, "sha384", True),
    None,  # NullProtection
]
MAC_LEN = {"sha1": 20, "sha256": 32, "sha384": 48}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def twins():
    if _speedups.NO_EXTENSIONS:
        pytest.skip("COMPILED TWIN DISABLED: TLS12FAST_NO_EXTENSIONS is set")
    from tls12fast import _record_c, _record_py  # ImportError here is a loud failure

    return _record_c, _record_py


def protection(mod, suite):
    if suite is None:
        return mod.NullProtection()
    cipher, klen, ivlen, mac, etm = suite
    material = hashlib.sha512(cipher.encode()).digest()
    return mod.new_protection(
        cipher, material[:klen], material[32 : 32 + ivlen], mac,
        material[:MAC_LEN[mac]] if mac else b"", etm,
    )


def outcome(fn, *args):
    """Call fn; return ("ok", result) or ("err", type, alert). Only TLSError may escape."""
    try:
        return ("ok", fn(*args))
    except TLSError as exc:
        return ("err", type(exc).__name__, exc.alert)


def run_reader(mod, suite, legacy, max_buffer, chunks):
    reader = mod.RecordReader(max_buffer=max_buffer)
    reader.protection = protection(mod, suite)
    reader.legacy_version_ok = legacy
    log = []
    for chunk in chunks:
        res = outcome(reader.feed, chunk)
        log.append(res)
        if res[0] == "err":
            continue  # a refused feed changes nothing; the caller may drain and retry
        while True:
            res = outcome(reader.next_record)
            log.append(res)
            assert reader.buffered() <= max_buffer
            if res != ("ok", None) and res[0] == "ok":
                continue
            break
        if res[0] == "err":
            break  # a fatal record error ends the connection
    log.append(("seq", reader.protection.seq, reader.buffered()))
    return log


def split(data, cuts):
    points = sorted({c % (len(data) + 1) for c in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


messages = st.lists(
    st.tuples(st.sampled_from([20, 21, 22, 23]), st.binary(max_size=300)), min_size=1, max_size=6
)
mutation = st.lists(
    st.tuples(st.sampled_from(["flip", "insert", "delete", "set"]), st.integers(0, 10**6),
              st.integers(0, 255)),
    max_size=4,
)


def mutate(data, ops):
    data = bytearray(data)
    for op, pos, value in ops:
        if not data and op != "insert":
            continue
        i = pos % (len(data) + (op == "insert"))
        if op == "flip":
            data[i] ^= 1 << (value % 8)
        elif op == "insert":
            data[i:i] = bytes([value])
        elif op == "delete":
            del data[i]
        else:
            data[i] = value
    return bytes(data)


@SETTINGS
@given(
    suite=st.sampled_from(CIPHERS), msgs=messages, ops=mutation,
    cuts=st.lists(st.integers(0, 10**6), max_size=8), legacy=st.booleans(),
    max_buffer=st.sampled_from([18437, 65536]),
)
def test_mutated_streams(twins, suite, msgs, ops, cuts, legacy, max_buffer):
    c, py = twins
    writer = py.RecordWriter(max_fragment=128)  # one stream (CBC IVs are random), fed to both
    writer.protection = protection(py, suite)
    for ctype, data in msgs:
        writer.write(ctype, data)
    chunks = split(mutate(writer.take(), ops), cuts)
    log = run_reader(c, suite, legacy, max_buffer, chunks)
    assert log == run_reader(py, suite, legacy, max_buffer, chunks)
    event(f"last outcome: {log[-2][1] if log[-2][0] == 'err' else 'ok'}")


@SETTINGS
@given(
    suite=st.sampled_from(CIPHERS), data=st.binary(max_size=2000),
    cuts=st.lists(st.integers(0, 10**6), max_size=5), legacy=st.booleans(),
)
def test_random_bytes(twins, suite, data, cuts, legacy):
    c, py = twins
    chunks = split(data, cuts)
    assert run_reader(c, suite, legacy, 18437, chunks) == run_reader(py, suite, legacy, 18437, chunks)


@SETTINGS
@given(
    suite=st.sampled_from(CIPHERS),
    header=st.tuples(
        st.one_of(st.integers(19, 24), st.integers(0, 255)),
        st.one_of(st.sampled_from([0x0303, 0x0301, 0x0300, 0x0304, 0x0203]), st.integers(0, 0xFFFF)),
        st.one_of(st.integers(0, 700), st.sampled_from([16384, 16385, 18432, 18433]),
                  st.integers(0, 0xFFFF)),
    ),
    body=st.binary(max_size=600), legacy=st.booleans(),
)
def test_random_headers(twins, suite, header, body, legacy):
    c, py = twins
    ctype, version, length = header
    data = bytes([ctype]) + version.to_bytes(2, "big") + length.to_bytes(2, "big") + body
    log = run_reader(c, suite, legacy, 65536, [data])
    assert log == run_reader(py, suite, legacy, 65536, [data])
    event(f"last outcome: {log[-2][1] if log[-2][0] == 'err' else 'ok'}")


@SETTINGS
@given(
    suite=st.sampled_from([s for s in CIPHERS if s is None or "CBC" not in s[0]]),
    msgs=messages, max_fragment=st.integers(1, 16384), seq=st.integers(0, 2**64 - 1),
)
def test_deterministic_writers_agree(twins, suite, msgs, max_fragment, seq):
    """AEAD and null records are deterministic, so both writers emit the same bytes."""
    c, py = twins
    outs = []
    for mod in (c, py):
        writer = mod.RecordWriter(max_fragment=max_fragment)
        writer.protection = protection(mod, suite)
        writer.protection.seq = seq
        log = [outcome(writer.write, ctype, data) for ctype, data in msgs]
        outs.append((log, writer.take(), writer.protection.seq))
    assert outs[0] == outs[1]


@SETTINGS
@given(
    suite=st.sampled_from([s for s in CIPHERS if s is not None]),
    ctype=st.integers(0, 255), fragment=st.binary(max_size=400), seq=st.integers(0, 2**64 - 1),
)
def test_open_of_arbitrary_fragments(twins, suite, ctype, fragment, seq):
    c, py = twins
    results = []
    for mod in (c, py):
        prot = protection(mod, suite)
        prot.seq = seq
        results.append((outcome(prot.open, ctype, fragment), prot.seq))
    assert results[0] == results[1]


@SETTINGS
@given(
    suite=st.sampled_from([s for s in CIPHERS if s is not None and "CBC" in s[0]]),
    ctype=st.sampled_from([20, 21, 22, 23]), plaintext=st.binary(max_size=300), ops=mutation,
)
def test_cbc_cross_open(twins, suite, ctype, plaintext, ops):
    """A (possibly mutated) CBC record sealed by either twin opens the same way in both."""
    c, py = twins
    for sealer in (c, py):
        fragment = mutate(protection(sealer, suite).seal(ctype, plaintext), ops)
        results = [outcome(protection(mod, suite).open, ctype, fragment) for mod in (c, py)]
        assert results[0] == results[1]
        if not ops:
            assert results[0] == ("ok", plaintext)
