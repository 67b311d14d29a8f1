"""TLS 1.2 PRF (RFC 5246 §5): known answers and an independent P_hash, on both twins."""
import hashlib
import hmac
import random
from pathlib import Path

import pytest

from tls12fast.errors import ConfigurationError

VECTORS = Path(__file__).parent / "vectors" / "tls12-prf.txt"


def _load_vectors():
    # fields: hash, secret (hex), seed (hex), label (ascii, may contain spaces), length, output (hex)
    cases = []
    for number, line in enumerate(VECTORS.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split()
        hash_name, secret, seed = fields[0], fields[1], fields[2]
        label, length, output = " ".join(fields[3:-2]), int(fields[-2]), fields[-1]
        assert len(output) == 2 * length, f"line {number}: output length mismatch"
        cases.append(pytest.param(
            hash_name, bytes.fromhex(secret), label, bytes.fromhex(seed), length,
            bytes.fromhex(output), id=f"{hash_name}-line{number}",
        ))
    return cases


VECTOR_CASES = _load_vectors()


def test_vector_file_covers_both_hashes():
    assert {case.values[0] for case in VECTOR_CASES} == {"sha256", "sha384"}


@pytest.mark.parametrize("hash_name,secret,label,seed,length,expected", VECTOR_CASES)
def test_known_answer(twin, hash_name, secret, label, seed, length, expected):
    assert twin.prf.prf(secret, label, seed, length, hash_name) == expected
    # A prefix of the output is the output of a shorter request.
    assert twin.prf.prf(secret, label, seed, 13, hash=hash_name) == expected[:13]


@pytest.mark.parametrize("hash_name,secret,label,seed,length,expected", VECTOR_CASES)
def test_known_answer_via_p_hash(twin, hash_name, secret, label, seed, length, expected):
    assert twin.prf.p_hash(hash_name, secret, label.encode() + seed, length) == expected


def _reference_p_hash(hash_name, secret, seed, length):
    # Straight from RFC 5246 §5, one HMAC per step with no key-state reuse.
    digest = getattr(hashlib, hash_name)
    out = b""
    a = seed
    while len(out) < length:
        a = hmac.new(secret, a, digest).digest()
        out += hmac.new(secret, a + seed, digest).digest()
    return out[:length]


@pytest.mark.parametrize("hash_name", ["sha256", "sha384"])
def test_p_hash_matches_reference_for_all_short_lengths(twin, hash_name):
    rng = random.Random(5246)
    for length in range(0, 301):
        secret = rng.randbytes(rng.randrange(0, 200))  # includes keys longer than a block
        seed = rng.randbytes(rng.randrange(0, 150))
        expected = _reference_p_hash(hash_name, secret, seed, length)
        assert twin.prf.p_hash(hash_name, secret, seed, length) == expected, length
        assert twin.prf.prf(secret, b"lbl", seed, length, hash_name) == _reference_p_hash(
            hash_name, secret, b"lbl" + seed, length
        ), length


def test_long_output_matches_reference(twin):
    # Crosses the compiled twin's GIL-release threshold; 65536 is the maximum.
    expected = _reference_p_hash("sha384", b"k" * 48, b"seed", 65536)
    assert twin.prf.p_hash("sha384", b"k" * 48, b"seed", 65536) == expected


def test_default_hash_is_sha256(twin):
    assert twin.prf.prf(b"s", b"l", b"x", 40) == _reference_p_hash("sha256", b"s", b"lx", 40)


def test_label_str_equals_bytes(twin):
    secret, seed = b"\x0b" * 48, b"\x01" * 64
    assert twin.prf.prf(secret, "key expansion", seed, 104) == twin.prf.prf(
        secret, b"key expansion", seed, 104
    )


@pytest.mark.parametrize("kind", [bytearray, memoryview])
def test_accepts_bytes_like(twin, kind):
    secret, seed = b"secret" * 9, b"seed" * 16
    expected = twin.prf.prf(secret, b"label", seed, 48)
    assert twin.prf.prf(kind(secret), kind(b"label"), kind(seed), 48) == expected
    assert twin.prf.p_hash("sha256", kind(secret), kind(b"label" + seed), 48) == expected


def test_zero_length(twin):
    assert twin.prf.prf(b"s", b"l", b"x", 0) == b""
    assert twin.prf.p_hash("sha384", b"s", b"x", 0) == b""


@pytest.mark.parametrize("bad_hash", ["sha1", "md5", "SHA256", "sha512", "", None, 256])
def test_bad_hash_rejected(twin, bad_hash):
    with pytest.raises(ConfigurationError):
        twin.prf.prf(b"s", b"l", b"x", 12, bad_hash)
    with pytest.raises(ConfigurationError):
        twin.prf.p_hash(bad_hash, b"s", b"x", 12)


@pytest.mark.parametrize("bad_length", [-1, 65537, 2**64, -(2**70)])
def test_bad_length_rejected(twin, bad_length):
    with pytest.raises(ConfigurationError):
        twin.prf.prf(b"s", b"l", b"x", bad_length)
    with pytest.raises(ConfigurationError):
        twin.prf.p_hash("sha256", b"s", b"x", bad_length)


def test_non_ascii_label_rejected(twin):
    with pytest.raises(ConfigurationError):
        twin.prf.prf(b"s", "clé", b"x", 12)


@pytest.mark.parametrize("args", [
    ("secret-as-str", b"l", b"x", 12),
    (b"s", b"l", None, 12),
    (b"s", 7, b"x", 12),
    (b"s", b"l", b"x", 12.0),
    (b"s", b"l", b"x", "12"),
])
def test_wrong_types_raise_type_error(twin, args):
    with pytest.raises(TypeError):
        twin.prf.prf(*args)


def test_public_names(twin):
    assert sorted(twin.prf.__all__) == ["KeyedPrf", "p_hash", "prf"]


@pytest.mark.parametrize("hash_name", ["sha256", "sha384"])
def test_keyed_prf_equals_prf_on_every_call(twin, hash_name):
    # One keyed object serves several labels, seeds and lengths (a connection's master
    # secret: key block, then both Finished), each call independent of the ones before.
    rng = random.Random(7627)
    for _ in range(20):
        secret = rng.randbytes(rng.randrange(0, 200))
        keyed = twin.prf.KeyedPrf(secret, hash_name)
        for label in (b"key expansion", "client finished", b"server finished", b""):
            seed = rng.randbytes(rng.randrange(0, 100))
            length = rng.choice([0, 1, 12, 40, 104, 136, 1500])
            assert keyed(label, seed, length) == twin.prf.prf(secret, label, seed, length, hash_name)


def test_keyed_prf_checks_like_prf(twin):
    with pytest.raises(ConfigurationError):
        twin.prf.KeyedPrf(b"s", "md5")
    with pytest.raises(TypeError):
        twin.prf.KeyedPrf("secret-as-str")
    keyed = twin.prf.KeyedPrf(b"s")
    with pytest.raises(ConfigurationError):
        keyed(b"l", b"x", 65537)
    with pytest.raises(ConfigurationError):
        keyed("clé", b"x", 12)
    with pytest.raises(TypeError):
        keyed(b"l", None, 12)
    assert keyed(b"l", b"x", 12) == twin.prf.prf(b"s", b"l", b"x", 12)  # still usable


def test_keyed_prf_keeps_its_secret(twin):
    import pickle
    keyed = twin.prf.KeyedPrf(b"\x13" * 48)
    assert "13" not in repr(keyed) and "\\x13" not in repr(keyed)
    with pytest.raises(TypeError):
        pickle.dumps(keyed)
