"""Differential Hypothesis tests: the compiled decode_session_state equals the pure one.

Same field tuple for every record that parses, and the same exception type and message
for everything else: random bytes, mutated valid records, and non-bytes objects.
"""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


from test_sessions import states

pytestmark = pytest.mark.c_extension


@pytest.fixture(scope="module")
def twins(compiled_and_pure):
    compiled, pure = compiled_and_pure
    return compiled.codec.decode_session_state, pure.codec.decode_session_state


def _outcome(fn, data):
    try:
        got = fn(data)
    except Exception as exc:  # the comparison is the assertion
        return ("raised", type(exc), exc.args)
    # created_at: compare the bits, so 0.0 / -0.0 count as different.
    return ("ok", got, math.copysign(1.0, got[6]))


def _same(twins, data):
    compiled, pure = twins
    a, b = _outcome(compiled, data), _outcome(pure, data)
    assert a == b
    return a




@settings(max_examples=300, deadline=None)
@given(states)
def test_valid_records_agree(twins, state):
    outcome = _same(twins, state.to_bytes())
    assert outcome[0] == "ok"


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_agree(twins, data):
    _same(twins, data)


@settings(max_examples=500, deadline=None)
@given(states, st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1,
                        max_size=4),
       st.integers(0, 3), st.binary(max_size=4))
def test_mutated_records_agree(twins, state, edits, mode, extra):
    data = bytearray(state.to_bytes())
    for pos, value in edits:  # overwrite bytes (length prefixes, flags, version, ...)
        data[pos % len(data)] = value
    if mode == 1:
        del data[edits[0][0] % len(data):]
    elif mode == 2:
        data += extra
    elif mode == 3:
        data[edits[0][0] % len(data):edits[0][0] % len(data)] = extra
    _same(twins, bytes(data))


@settings(max_examples=200, deadline=None)
@given(st.one_of(
    st.none(), st.integers(), st.floats(), st.text(max_size=30), st.lists(st.integers(0, 255)),
    states.map(lambda s: bytearray(s.to_bytes())), states.map(lambda s: memoryview(s.to_bytes())),
    st.binary(min_size=2, max_size=60).map(lambda b: memoryview(b)[::2]),
))
def test_other_objects_agree(twins, obj):
    _same(twins, obj)
