"""AeadKey (the _aead twins): AES-GCM outside records, for session tickets (RFC 5077 §4).

Both twins against cryptography's AESGCM as the reference, forgeries, argument checks,
and a differential Hypothesis test (compiled == pure, same exception type).
"""
import os
import pickle

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from tls12fast.errors import ConfigurationError, LocalProtocolError


@pytest.mark.parametrize("key_len", [16, 32])
def test_matches_aesgcm_both_ways(twin, key_len):
    key = os.urandom(key_len)
    ours, ref = twin.aead.AeadKey(key), AESGCM(key)
    for size in (0, 1, 15, 16, 17, 87, 1000, 70000):
        nonce, data, aad = os.urandom(12), os.urandom(size), os.urandom(size % 40)
        sealed = ours.seal(nonce, data, aad)
        assert sealed == ref.encrypt(nonce, data, aad)
        assert ours.open(nonce, sealed, aad) == data
        assert ours.open(nonce, ref.encrypt(nonce, data, aad), aad) == data


def test_one_key_serves_many_calls(twin):
    # The compiled twin keeps its contexts between calls: each call must be independent.
    key = twin.aead.AeadKey(b"k" * 32)
    sealed = [key.seal(bytes([i]) * 12, b"state %d" % i, b"name") for i in range(50)]
    for i, s in reversed(list(enumerate(sealed))):
        assert key.open(bytes([i]) * 12, s, b"name") == b"state %d" % i
        assert key.open(bytes([i]) * 12, s, b"other") is None


def test_forgeries_open_to_none(twin):
    key = twin.aead.AeadKey(b"k" * 32)
    nonce = b"n" * 12
    sealed = key.seal(nonce, b"session state", b"key name")
    for i in range(len(sealed)):
        tampered = bytearray(sealed)
        tampered[i] ^= 0x01
        assert key.open(nonce, bytes(tampered), b"key name") is None
    assert key.open(b"m" * 12, sealed, b"key name") is None  # other nonce
    assert key.open(nonce, sealed[:-1], b"key name") is None  # truncated tag
    assert key.open(nonce, b"", b"key name") is None
    assert key.open(nonce, b"x" * 15, b"key name") is None  # shorter than a tag
    assert twin.aead.AeadKey(b"j" * 32).open(nonce, sealed, b"key name") is None


def test_argument_checks(twin):
    AeadKey = twin.aead.AeadKey
    for bad_key in (b"k" * 24, b"", b"k" * 33):
        with pytest.raises(ConfigurationError):
            AeadKey(bad_key)
    for bad_type in ("k" * 32, bytearray(32), None):
        with pytest.raises(TypeError):
            AeadKey(bad_type)
    key = AeadKey(b"k" * 16)
    with pytest.raises(LocalProtocolError):
        key.seal(b"n" * 11, b"x", b"")
    with pytest.raises(LocalProtocolError):
        key.open(b"n" * 13, b"x" * 16, b"")
    with pytest.raises(TypeError):
        key.seal(b"n" * 12, bytearray(b"x"), b"")
    with pytest.raises(TypeError):
        key.open(b"n" * 12, b"x" * 16, None)
    with pytest.raises(LocalProtocolError):
        key.seal(b"n" * 12, bytes(twin.aead.MAX_INPUT + 1), b"")


def test_keys_stay_secret(twin):
    key = twin.aead.AeadKey(b"\x13" * 32)
    assert repr(key) == "<AeadKey>"
    with pytest.raises(TypeError):
        pickle.dumps(key)


def _outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # the comparison is the assertion
        return ("raised", type(exc))


anything = st.one_of(st.binary(max_size=40), st.none(), st.integers(), st.text(max_size=5),
                     st.binary(min_size=12, max_size=12))


@pytest.mark.c_extension
@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from([b"k" * 16, b"k" * 32]), nonce=anything, data=anything, aad=anything,
       flip=st.integers(0, 200))
def test_compiled_equals_pure(compiled_and_pure, key, nonce, data, aad, flip):
    compiled, pure = compiled_and_pure
    c, p = compiled.aead.AeadKey(key), pure.aead.AeadKey(key)
    sealed = _outcome(c.seal, nonce, data, aad)
    assert sealed == _outcome(p.seal, nonce, data, aad)
    if sealed[0] == "ok" and sealed[1]:
        forged = bytearray(sealed[1])
        forged[flip % len(forged)] ^= 1 << (flip % 8)
        for candidate in (sealed[1], bytes(forged)):
            assert _outcome(c.open, nonce, candidate, aad) == _outcome(p.open, nonce, candidate, aad)
    assert _outcome(c.open, nonce, data, aad) == _outcome(p.open, nonce, data, aad)
