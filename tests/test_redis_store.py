# RedisSessionCache against a real redis-server (fixture `redis_server`, tests/_redis.py):
# cluster sharing, expiry set in Redis, record protection (secret mismatch, garbage,
# moved records), and Redis going away and coming back - always a miss, never an error.
import logging
import socket
import sys
import time

import pytest

from tls12fast.errors import ConfigurationError, LocalProtocolError
from tls12fast.sessions import ServerSessionCache, SessionState
from tls12fast.stores import RedisSessionCache
from tls12fast.stores import redis as redis_store

pytestmark = pytest.mark.interop

SECRET = b"redis-cluster-secret-0123456789"
MS = bytes(range(100, 148))


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def make_state(now, lifetime=3600, **kw):
    return SessionState(0xC02B, MS, True, "example.com", b"h2", (b"\x30\x82cert",), now,
                        lifetime, **kw)


def sid(i):
    return i.to_bytes(32, "big")


@pytest.fixture
def raw(redis_server):
    import redis

    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


def key_of(session_id, prefix="tls12fast:session:"):
    return prefix + session_id.hex()


def test_is_a_server_session_cache(redis_server):
    assert isinstance(redis_server.cache(secret=SECRET), ServerSessionCache)


@pytest.mark.parametrize("secret", [SECRET, None], ids=["encrypted", "checksum"])
def test_two_instances_share_sessions(redis_server, raw, secret):
    """Two servers with separate caches that share only the URL (and secret)."""
    node_a = redis_server.cache(secret=secret)
    node_b = redis_server.cache(secret=secret)
    state = make_state(time.time())
    node_a.put(sid(1), state)
    assert node_b.get(sid(1)) == state
    stored = raw.get(key_of(sid(1)))
    assert (MS in stored) is (secret is None)  # encrypted records hide the master secret
    node_b.remove(sid(1))
    assert node_a.get(sid(1)) is None
    assert node_a.stats() == {"hits": 0, "misses": 1, "stores": 1, "evictions": 0,
                              "expired": 0, "errors": 0}
    assert node_b.stats()["hits"] == 1


def test_expiry_is_set_in_redis(redis_server, raw):
    now = time.time()
    cache = redis_server.cache(lifetime=120, secret=SECRET)
    cache.put(sid(1), make_state(now, lifetime=3600))  # cache lifetime wins
    cache.put(sid(2), make_state(now, lifetime=30))  # state lifetime wins
    assert 110 <= raw.ttl(key_of(sid(1))) <= 120
    assert 20 <= raw.ttl(key_of(sid(2))) <= 30


def test_custom_prefix(redis_server, raw):
    cache = redis_server.cache(prefix="app1:", secret=SECRET)
    cache.put(sid(5), make_state(time.time()))
    assert raw.exists(key_of(sid(5), "app1:")) and not raw.exists(key_of(sid(5)))


def test_expired_state_not_stored_and_not_returned(redis_server, raw):
    clock = Clock(1_000_000.0)
    cache = redis_server.cache(secret=SECRET, clock=clock)
    cache.put(sid(1), make_state(clock.now - 4000, lifetime=3600))
    assert not raw.exists(key_of(sid(1)))
    cache.put(sid(2), make_state(clock.now, lifetime=100))
    clock.now += 100  # Redis still has it (real time), the state says it is over
    assert cache.get(sid(2)) is None
    assert cache.stats()["expired"] == 1 and cache.stats()["stores"] == 1


def test_secret_mismatch_is_a_miss_and_an_error(redis_server):
    state = make_state(time.time())
    writer = redis_server.cache(secret=SECRET)
    writer.put(sid(1), state)
    for reader in (redis_server.cache(secret=b"another-secret-0123456789"),
                   redis_server.cache()):
        assert reader.get(sid(1)) is None
        assert reader.stats()["errors"] == 1 and reader.stats()["misses"] == 1
    plain = redis_server.cache()
    plain.put(sid(2), state)
    assert writer.get(sid(2)) is None  # a checksum-only record is not trusted with a secret
    assert writer.stats()["errors"] == 1


@pytest.mark.parametrize("secret", [SECRET, None], ids=["encrypted", "checksum"])
def test_garbage_and_corrupted_records(redis_server, raw, secret):
    cache = redis_server.cache(secret=secret)
    cache.put(sid(1), make_state(time.time()))
    good = raw.get(key_of(sid(1)))
    bad_values = [b"", b"garbage", b"\x01" + b"\x00" * 40, b"\x02" * 60, good[:-1],
                  good + b"x", bytes([good[0]]) + bytes(b ^ 1 for b in good[1:5]) + good[5:]]
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x40
    bad_values.append(bytes(flipped))
    for value in bad_values:
        raw.set(key_of(sid(2)), value)
        assert cache.get(sid(2)) is None
    raw.set(key_of(sid(3)), good)  # a valid record moved to another session ID
    assert cache.get(sid(3)) is None
    raw.set(key_of(sid(4)), 12345)  # not even our envelope
    assert cache.get(sid(4)) is None
    raw.lpush(key_of(sid(5)), b"x")  # wrong Redis type: the server answers WRONGTYPE
    assert cache.get(sid(5)) is None
    stats = cache.stats()
    assert stats["errors"] == len(bad_values) + 3 and stats["hits"] == 0
    assert cache.get(sid(1)) is not None  # the good record is still fine


def test_redis_killed_then_restarted(redis_server):
    cache = redis_server.cache(secret=SECRET)
    cache.put(sid(1), make_state(time.time()))
    assert cache.get(sid(1)) is not None
    redis_server.kill()
    assert cache.get(sid(1)) is None
    cache.put(sid(2), make_state(time.time()))
    cache.remove(sid(1))
    assert cache.get(sid(2)) is None
    stats = cache.stats()
    assert stats["errors"] == 4 and stats["stores"] == 1 and stats["hits"] == 1
    redis_server.restart()  # a fresh, empty server on the same URL
    assert cache.get(sid(1)) is None
    cache.put(sid(3), make_state(time.time()))
    assert cache.get(sid(3)) is not None
    assert cache.stats()["stores"] == 2


def test_unresponsive_server_times_out(tmp_path):
    """A server that accepts connections but never answers: socket_timeout, then a miss."""
    pytest.importorskip("redis", reason="REDIS-PY NOT INSTALLED: pip install tls12fast[redis]")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # never accept(): the kernel completes connects, nothing replies
        url = "redis://127.0.0.1:%d/0" % listener.getsockname()[1]
        with RedisSessionCache(url, secret=SECRET, socket_timeout=0.1) as cache:
            assert cache.get(sid(1)) is None
            cache.put(sid(1), make_state(time.time()))
            assert cache.stats()["errors"] == 2 and cache.stats()["stores"] == 0


def test_client_instance_and_misbehaving_clients(redis_server):
    import redis

    client = redis.Redis.from_url(redis_server.url)
    cache = RedisSessionCache(client, secret=SECRET)
    state = make_state(time.time())
    cache.put(sid(1), state)
    assert cache.get(sid(1)) == state
    text_client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    assert RedisSessionCache(text_client, secret=SECRET).get(sid(1)) is None  # str, not bytes

    class Broken:
        def get(self, key):
            raise RuntimeError("boom")

        set = delete = get

    broken = RedisSessionCache(Broken(), secret=SECRET)
    assert broken.get(sid(1)) is None
    broken.put(sid(1), state)
    broken.remove(sid(1))
    assert broken.stats()["errors"] == 3
    client.close()
    text_client.close()


def test_close_releases_only_its_own_connections(redis_server):
    import redis

    def open_sockets(client):
        return sum(c._sock is not None for c in client.connection_pool._available_connections)

    state = make_state(time.time())
    with RedisSessionCache(redis_server.url, secret=SECRET) as owned:
        owned.put(sid(1), state)
        assert open_sockets(owned._client) == 1
    assert open_sockets(owned._client) == 0  # closed on leaving the block
    assert owned.get(sid(1)) == state  # a later call reconnects
    owned.close()
    client = redis.Redis.from_url(redis_server.url)
    borrowed = RedisSessionCache(client, secret=SECRET)
    assert borrowed.get(sid(1)) == state
    borrowed.close()  # the caller's client: left open
    assert open_sockets(client) == 1
    client.close()
    client.connection_pool.disconnect()


def test_bad_session_ids(redis_server):
    cache = redis_server.cache(secret=SECRET)
    for bad in (b"", b"x" * 33, None, "abc"):
        assert cache.get(bad) is None
        cache.remove(bad)
    with pytest.raises(LocalProtocolError):
        cache.put(b"", make_state(time.time()))
    with pytest.raises(LocalProtocolError):
        cache.put(sid(1), "not a state")
    assert cache.stats()["misses"] == 4 and cache.stats()["errors"] == 0


def test_configuration_errors(monkeypatch):
    for kwargs in ({"secret": b"short"}, {"secret": "a-text-secret-that-is-long"},
                   {"lifetime": 0}, {"prefix": b"bytes"}):
        with pytest.raises(ConfigurationError):
            RedisSessionCache("redis://127.0.0.1:1/0", **kwargs)
    with pytest.raises(ConfigurationError):
        RedisSessionCache(object())
    monkeypatch.setitem(sys.modules, "redis", None)  # as if redis-py were not installed
    with pytest.raises(ConfigurationError, match=r"pip install tls12fast\[redis\]"):
        RedisSessionCache("redis://127.0.0.1:1/0", secret=SECRET)


def test_warns_once_without_secret_and_repr(monkeypatch, caplog):
    monkeypatch.setattr(redis_store, "_warned_no_secret", False)
    with caplog.at_level(logging.WARNING, logger="tls12fast.stores.redis"):
        first = RedisSessionCache("redis://127.0.0.1:1/0")
        RedisSessionCache("redis://127.0.0.1:1/0")
        RedisSessionCache("redis://127.0.0.1:1/0", secret=SECRET)
    warnings = [r for r in caplog.records if "secret=" in r.getMessage()]
    assert len(warnings) == 1
    assert "encrypted=False" in repr(first) and SECRET.hex() not in repr(first)
