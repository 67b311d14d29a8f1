"""Differential Hypothesis tests: the compiled PRF twin equals the pure one.

Same output for every input, and the same exception type for every bad input.
"""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


pytestmark = pytest.mark.c_extension


@pytest.fixture(scope="module")
def twins(compiled_and_pure):
    compiled, pure = compiled_and_pure
    return compiled.prf, pure.prf


def _outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # the comparison is the assertion
        return ("raised", type(exc))


hashes = st.sampled_from(["sha256", "sha384"])
buffers = st.binary(max_size=300).flatmap(
    lambda b: st.sampled_from([b, bytearray(b), memoryview(b)])
)
labels = st.one_of(st.binary(max_size=40), st.text(alphabet=st.characters(max_codepoint=127), max_size=40))


@settings(max_examples=300, deadline=None)
@given(secret=buffers, label=labels, seed=buffers, length=st.integers(0, 700), hash_name=hashes)
def test_prf_compiled_equals_pure(twins, secret, label, seed, length, hash_name):
    compiled, pure = twins
    got = compiled.prf(secret, label, seed, length, hash_name)
    assert len(got) == length
    assert got == pure.prf(secret, label, seed, length, hash_name)


@settings(max_examples=200, deadline=None)
@given(secret=buffers, seed=buffers, length=st.integers(0, 700), hash_name=hashes)
def test_p_hash_compiled_equals_pure(twins, secret, seed, length, hash_name):
    compiled, pure = twins
    assert compiled.p_hash(hash_name, secret, seed, length) == pure.p_hash(hash_name, secret, seed, length)


anything = st.one_of(
    st.none(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(max_size=8),
    st.binary(max_size=8), st.lists(st.integers(0, 255), max_size=3),
    st.sampled_from(["sha256", "sha384", "sha1", "md5", b"sha256", memoryview(b"abcd")[::2]]),
)


@settings(max_examples=400, deadline=None)
@given(
    secret=st.one_of(buffers, anything),
    label=st.one_of(labels, st.text(max_size=5), anything),
    seed=st.one_of(buffers, anything),
    length=st.one_of(st.integers(-5, 70000), anything),
    hash_name=st.one_of(hashes, anything),
)
def test_same_outcome_on_any_input(twins, secret, label, seed, length, hash_name):
    compiled, pure = twins
    assert _outcome(compiled.prf, secret, label, seed, length, hash_name) == _outcome(
        pure.prf, secret, label, seed, length, hash_name
    )
    assert _outcome(compiled.p_hash, hash_name, secret, seed, length) == _outcome(
        pure.p_hash, hash_name, secret, seed, length
    )


@settings(max_examples=300, deadline=None)
@given(
    secret=st.one_of(buffers, anything),
    calls=st.lists(st.tuples(st.one_of(labels, anything), st.one_of(buffers, anything),
                             st.one_of(st.integers(-5, 70000), anything)), max_size=4),
    hash_name=st.one_of(hashes, anything),
)
def test_keyed_prf_same_outcome_on_any_input(twins, secret, calls, hash_name):
    compiled, pure = twins
    made_c = _outcome(compiled.KeyedPrf, secret, hash_name)
    made_p = _outcome(pure.KeyedPrf, secret, hash_name)
    assert made_c[0] == made_p[0]
    if made_c[0] != "ok":
        assert made_c == made_p  # the same exception type
        return
    keyed_c, keyed_p = made_c[1], made_p[1]
    for label, seed, length in calls:
        assert _outcome(keyed_c, label, seed, length) == _outcome(keyed_p, label, seed, length)
