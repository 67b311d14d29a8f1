# SessionState's versioned record (round trip, strict decoding) and the in-process stores
# (LRU order, TTL with an injected clock, stats, thread safety).
import struct
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tls12fast.errors import DecodeError, LocalProtocolError
from tls12fast.sessions import (
    STATE_VERSION,
    ClientSessionStore,
    MemorySessionCache,
    ServerSessionCache,
    SessionState,
)

MS = bytes(range(48))


def make_state(**kw):
    fields = dict(cipher_suite=0xC02F, master_secret=MS, extended_master_secret=True,
                  server_name="example.com", alpn_protocol=b"h2",
                  peer_chain=(b"\x30\x82leaf", b"\x30\x82ca"), created_at=1000.0, lifetime=300,
                  session_id=b"\x01" * 32, ticket=b"T" * 200, ticket_lifetime_hint=7200)
    fields.update(kw)
    return SessionState(**fields)


class Clock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


states = st.builds(
    SessionState,
    cipher_suite=st.integers(0, 0xFFFF),
    master_secret=st.binary(min_size=48, max_size=48),
    extended_master_secret=st.booleans(),
    server_name=st.none() | st.text(min_size=1, max_size=40),
    alpn_protocol=st.none() | st.binary(min_size=1, max_size=255),
    peer_chain=st.lists(st.binary(min_size=1, max_size=300), max_size=4).map(tuple),
    created_at=st.floats(allow_nan=False, allow_infinity=False),
    lifetime=st.integers(0, 0xFFFFFFFF),
    session_id=st.binary(max_size=32),
    ticket=st.binary(max_size=600),
    ticket_lifetime_hint=st.integers(0, 0xFFFFFFFF),
)


# --- SessionState record ---------------------------------------------------------------


@given(states)
def test_state_round_trip(state):
    data = state.to_bytes()
    assert data[0] == STATE_VERSION
    assert SessionState.from_bytes(data) == state
    assert SessionState.from_bytes(bytearray(data)) == state


def test_every_truncation_is_decode_error():
    data = make_state().to_bytes()
    for n in range(len(data)):
        with pytest.raises(DecodeError):
            SessionState.from_bytes(data[:n])


def test_trailing_bytes_rejected():
    with pytest.raises(DecodeError):
        SessionState.from_bytes(make_state().to_bytes() + b"\x00")


@pytest.mark.parametrize("version", [0, 2, 255])
def test_unknown_version_rejected(version):
    data = bytearray(make_state().to_bytes())
    data[0] = version
    with pytest.raises(DecodeError):
        SessionState.from_bytes(bytes(data))


def test_unknown_flag_bits_rejected():
    data = bytearray(make_state().to_bytes())
    data[3] |= 0x80
    with pytest.raises(DecodeError):
        SessionState.from_bytes(bytes(data))


def test_wrong_master_secret_length_rejected():
    data = bytearray(make_state().to_bytes())
    head = 24  # version, suite, flags, created_at, lifetime, hint, n_certs
    assert data[head] == 48
    data[head] = 47
    data[head + 48:head + 49] = b""  # keep the record self-consistent, one byte shorter
    with pytest.raises(DecodeError):
        SessionState.from_bytes(bytes(data))


def test_huge_certificate_count_rejected_quickly():
    data = bytearray(make_state(peer_chain=()).to_bytes())
    struct.pack_into(">I", data, 20, 0xFFFFFFFF)
    with pytest.raises(DecodeError):
        SessionState.from_bytes(bytes(data))


def test_oversized_and_non_bytes_rejected():
    with pytest.raises(DecodeError):
        SessionState.from_bytes(b"\x01" * (2 << 20))
    for bad in (None, 5, "text", [1, 2]):
        with pytest.raises(DecodeError):
            SessionState.from_bytes(bad)


def test_non_utf8_server_name_rejected():
    good = make_state(server_name="ab").to_bytes()
    bad = good.replace(b"\x00\x02ab", b"\x00\x02\xff\xfe")
    assert bad != good
    with pytest.raises(DecodeError):
        SessionState.from_bytes(bad)


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_random_bytes_only_decode_error(data):
    try:
        state = SessionState.from_bytes(data)
    except DecodeError:
        return
    assert state.to_bytes() == data  # anything accepted is a canonical record


@given(states, st.data())
def test_mutated_records_only_decode_error(state, data):
    raw = bytearray(state.to_bytes())
    i = data.draw(st.integers(0, len(raw) - 1))
    raw[i] ^= data.draw(st.integers(1, 255))
    try:
        SessionState.from_bytes(bytes(raw))
    except DecodeError:
        pass


@pytest.mark.parametrize("field,value", [
    ("master_secret", b"short"), ("cipher_suite", 0x10000), ("lifetime", -1),
    ("session_id", b"x" * 33), ("alpn_protocol", b""), ("server_name", ""),
    ("peer_chain", [b"x"]), ("peer_chain", (b"",)), ("created_at", float("nan")),
    ("ticket", b"x" * 65536),
])
def test_constructor_validates(field, value):
    with pytest.raises(LocalProtocolError):
        make_state(**{field: value})


def test_repr_hides_secrets_and_helpers_copy():
    state = make_state(ticket=b"TICKETBYTES" * 3)
    text = repr(state)
    assert "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" in text and "example.com" in text
    assert "ems=True" in text and "age=" in text
    assert MS.hex() not in text and repr(MS) not in text and "TICKETBYTES" not in text
    renewed = state.with_ticket(b"new", 60)
    assert (renewed.ticket, renewed.ticket_lifetime_hint, state.ticket[:6]) == (b"new", 60, b"TICKET")
    assert state.with_session_id(b"\x02" * 32).session_id == b"\x02" * 32
    assert make_state(cipher_suite=0x1234).cipher_suite_name == "0x1234"


def test_expired():
    state = make_state(created_at=1000.0, lifetime=300)
    assert not state.expired(1000.0)
    assert not state.expired(1299.9)
    assert state.expired(1300.0)


# --- MemorySessionCache -------------------------------------------------------------------


def sid(i):
    return i.to_bytes(32, "big")


def test_memory_cache_is_a_server_session_cache():
    assert isinstance(MemorySessionCache(), ServerSessionCache)


def test_memory_cache_lru_eviction_order():
    clock = Clock()
    cache = MemorySessionCache(max_entries=3, clock=clock)
    for i in range(3):
        cache.put(sid(i), make_state(created_at=clock.now))
    assert cache.get(sid(0)) is not None  # 0 becomes most recently used
    cache.put(sid(3), make_state(created_at=clock.now))  # evicts 1, the LRU
    assert len(cache) == 3
    assert cache.get(sid(1)) is None
    assert [cache.get(sid(i)) is not None for i in (0, 2, 3)] == [True, True, True]
    cache.put(sid(4), make_state(created_at=clock.now))  # now 0 is the LRU
    assert cache.get(sid(0)) is None
    assert cache.stats()["evictions"] == 2


def test_memory_cache_ttl_is_min_of_cache_and_state_lifetime():
    clock = Clock(1000.0)
    cache = MemorySessionCache(lifetime=100, clock=clock)
    cache.put(sid(1), make_state(created_at=1000.0, lifetime=300))  # cache lifetime wins
    cache.put(sid(2), make_state(created_at=1000.0, lifetime=50))  # state lifetime wins
    clock.now = 1049.0
    assert cache.get(sid(1)) and cache.get(sid(2))
    clock.now = 1050.0
    assert cache.get(sid(2)) is None
    assert cache.get(sid(1)) is not None
    clock.now = 1100.0
    assert cache.get(sid(1)) is None
    assert len(cache) == 0  # expired entries are removed on lookup
    stats = cache.stats()
    assert stats == {"hits": 3, "misses": 2, "stores": 2, "evictions": 0, "expired": 2,
                     "errors": 0}


def test_memory_cache_put_of_expired_state_is_not_stored():
    clock = Clock(5000.0)
    cache = MemorySessionCache(clock=clock)
    cache.put(sid(1), make_state(created_at=1000.0, lifetime=300))
    assert len(cache) == 0 and cache.stats()["stores"] == 0


def test_memory_cache_remove_and_bad_ids():
    cache = MemorySessionCache(clock=Clock())
    state = make_state()
    cache.put(bytearray(sid(7)), state)
    assert cache.get(memoryview(sid(7))) is state
    cache.remove(sid(7))
    assert cache.get(sid(7)) is None
    cache.remove(sid(7))  # removing twice is fine
    for bad in (b"", b"x" * 33, None, "abc", 12):
        assert cache.get(bad) is None  # peer-controlled input: a miss, never an error
        cache.remove(bad)
    for bad in (b"", b"x" * 33, "abc"):
        with pytest.raises(LocalProtocolError):
            cache.put(bad, state)
    with pytest.raises(LocalProtocolError):
        cache.put(sid(1), "not a state")
    assert cache.stats()["misses"] == 6


def test_memory_cache_rejects_bad_config():
    for kwargs in ({"max_entries": 0}, {"lifetime": 0}, {"max_entries": 1.5}):
        with pytest.raises(LocalProtocolError):
            MemorySessionCache(**kwargs)


def test_memory_cache_repr_has_no_secrets():
    cache = MemorySessionCache(clock=Clock())
    cache.put(sid(1), make_state())
    assert MS.hex() not in repr(cache) and "entries=1" in repr(cache)


def _hammer(cache, keys, n_threads=8, ops=2000):
    errors = []

    def work(t):
        try:
            for j in range(ops):
                k = keys((t * 7919 + j) % 64)
                if j % 3 == 0:
                    cache.put(k, make_state(session_id=sid(hash(k) & 0xFFFF),
                                            created_at=1000.0, lifetime=10**6))
                elif j % 3 == 1:
                    got = cache.get(k)
                    if got is not None:
                        assert got.session_id == sid(hash(k) & 0xFFFF)
                        assert got.master_secret == MS
                else:
                    cache.remove(k) if j % 30 == 2 else cache.get(k)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    return n_threads * ops


@pytest.mark.parametrize("store", ["server", "client"])
def test_threads_bounded_and_consistent(store):
    clock = Clock()
    if store == "server":
        cache, keys = MemorySessionCache(max_entries=32, clock=clock), sid
    else:
        cache, keys = ClientSessionStore(max_entries=32, clock=clock), (lambda i: f"host{i}")
    _hammer(cache, keys)
    assert len(cache) <= 32
    stats = cache.stats()
    ops = range(2000)
    # No lost updates to the counters: every call was counted exactly once.
    assert stats["stores"] == 8 * sum(1 for j in ops if j % 3 == 0)
    assert stats["hits"] + stats["misses"] == 8 * sum(
        1 for j in ops if j % 3 == 1 or (j % 3 == 2 and j % 30 != 2))
    assert stats["evictions"] > 0 and stats["hits"] > 0
    for i in range(64):  # whatever survived is intact and under the right key
        got = cache.get(keys(i))
        assert got is None or got.session_id == sid(hash(keys(i)) & 0xFFFF)
    for i in range(100, 132):  # and the structure still works as an LRU of 32
        cache.put(keys(i), make_state())
    assert len(cache) == 32 and all(cache.get(keys(i)) is not None for i in range(100, 132))


# --- ClientSessionStore ---------------------------------------------------------------------


def test_client_store_latest_wins_and_expiry():
    clock = Clock(1000.0)
    store = ClientSessionStore(clock=clock)
    old, new = make_state(ticket=b"old"), make_state(ticket=b"new", created_at=1010.0)
    store.put("example.com", old)
    store.put("example.com", new)
    assert store.get("example.com") is new
    clock.now = 1309.0
    assert store.get("example.com") is new
    clock.now = 1310.0
    assert store.get("example.com") is None
    assert store.get("other.example") is None
    assert store.stats() == {"hits": 2, "misses": 2, "stores": 2, "evictions": 0,
                             "expired": 1, "errors": 0}


def test_client_store_lru_and_remove():
    store = ClientSessionStore(max_entries=2, clock=Clock())
    store.put("a", make_state())
    store.put("b", make_state())
    store.get("a")
    store.put("c", make_state())
    assert store.get("b") is None and store.get("a") is not None and store.get("c") is not None
    store.remove("a")
    assert store.get("a") is None and len(store) == 1
    with pytest.raises(LocalProtocolError):
        store.put(b"bytes-key", make_state())
    assert "ClientSessionStore" in repr(store) and MS.hex() not in repr(store)


def test_validation_fast_path_accepts_what_the_checks_accept():
    # Subclasses (IntEnum codes, bytes/str subclasses) take the detailed path and pass.
    import enum

    class Code(enum.IntEnum):
        suite = 0xC02F

    class Raw(bytes):
        pass

    class Name(str):
        pass

    state = make_state(cipher_suite=Code.suite, master_secret=Raw(MS), server_name=Name("a.example"),
                       peer_chain=(Raw(b"\x30\x82leaf"),))
    assert state.cipher_suite == 0xC02F and state.server_name == "a.example"
    with pytest.raises(LocalProtocolError, match="master_secret length"):
        make_state(master_secret=Raw(b"short"))
    with pytest.raises(LocalProtocolError, match="field types"):
        make_state(peer_chain=("not bytes",))
    with pytest.raises(LocalProtocolError, match="ticket_lifetime_hint"):
        make_state(ticket_lifetime_hint=1 << 32)
