# A session-ID cache in Redis, shared by every server process and host that points at it
# (issue 4 item 6; RFC 5246 §7.4.1.3 session resumption across a cluster).
#
# How this works: each session is one Redis string, key = prefix + session_id.hex(), set
# with EX = min(cache lifetime, the state's remaining lifetime) so Redis itself expires it.
# The value leaves the process, so it is wrapped in a versioned envelope:
#
#   format 2 (secret given):  0x02 || nonce[12] || AES-256-GCM(k, nonce, state, AAD=key)
#       k = HKDF-SHA256(secret, salt="tls12fast redis session cache"); encrypted and
#       authenticated, and bound to its Redis key so a record cannot be moved to another ID.
#   format 1 (no secret):     0x01 || SHA-256(key || state)[32] || state
#       detects corruption and misplaced records, NOT forgery (anyone who can write to
#       Redis can mint sessions) and stores master secrets in clear: pass secret=.
#
# Redis being down, slow (socket_timeout) or returning garbage never escapes: get() returns
# None, put()/remove() do nothing, and stats()["errors"] counts it, so the worst outcome
# is a full handshake (issue 4: "never a failed connection").
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .. import _aead
from ..errors import ConfigurationError, DecodeError, LocalProtocolError
from ..sessions import MAX_SESSION_ID, SessionState

__all__ = ["RedisSessionCache"]

log = logging.getLogger("tls12fast.stores.redis")

FORMAT_CHECKSUM = 1
FORMAT_AEAD = 2
NONCE_LEN = 12
HKDF_SALT = b"tls12fast redis session cache"
_warned_no_secret = False
_warn_lock = threading.Lock()


def _connect(url: str, socket_timeout: float) -> Any:
    try:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError:
        raise ConfigurationError(
            "RedisSessionCache needs redis-py: pip install tls12fast[redis]") from None
    # No retries: a session cache lookup is worth one short attempt, then a full handshake.
    pool = redis.ConnectionPool.from_url(url, socket_timeout=socket_timeout,
                                         socket_connect_timeout=socket_timeout,
                                         retry=Retry(NoBackoff(), 0))
    return redis.Redis(connection_pool=pool, retry=Retry(NoBackoff(), 0))


class RedisSessionCache:
    """Server session-ID cache in Redis, shared by a cluster (a `ServerSessionCache`).

    Records are integrity-protected because they leave the process. With `secret`
    (bytes, at least 16), they are AES-256-GCM encrypted and authenticated under a key
    derived by HKDF from it, with the Redis key as AAD; every server sharing the secret
    can read them, and anyone else who can read Redis learns nothing. WITHOUT a secret,
    records carry only a SHA-256 checksum: corruption is detected, but master secrets sit
    in Redis in clear and anyone who can write to Redis can forge sessions; a WARNING is
    logged once per process saying to pass `secret=`.

    A cache made from a URL owns its Redis connections: close() (or leaving a `with`
    block) closes them; a client passed in is the caller's to close.

    Never raises from get/put/remove: Redis unreachable, timing out or returning garbage
    makes get() return None and put()/remove() do nothing, counted in stats()["errors"].

    Args:
        client_or_url: a redis.Redis client (its own timeouts/retries apply) or a
            redis:// URL (a client with `socket_timeout` and no retries is made).
        lifetime: the most seconds a session may be resumed after it was stored.
        prefix: prepended to session_id.hex() to form the Redis key.
        secret: shared secret of at least 16 bytes enabling encryption (recommended).
        socket_timeout: connect/read timeout in seconds for a client made from a URL.
        clock: returns the current unix time (injectable for tests).

    Raises:
        ConfigurationError: redis-py is missing (for a URL), or a parameter is invalid.
    """

    def __init__(self, client_or_url: Any, lifetime: int = 300,
                 prefix: str = "tls12fast:session:", secret: bytes | None = None,
                 socket_timeout: float = 0.25, clock: Callable[[], float] = time.time) -> None:
        if isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime < 1:
            raise ConfigurationError("lifetime must be a positive integer (seconds)")
        if not isinstance(prefix, str):
            raise ConfigurationError("prefix must be a str")
        self._owns_client = isinstance(client_or_url, str)
        if self._owns_client:
            self._client = _connect(client_or_url, socket_timeout)
        elif all(hasattr(client_or_url, m) for m in ("get", "set", "delete")):
            self._client = client_or_url
        else:
            raise ConfigurationError("client_or_url must be a redis.Redis client or a URL")
        self.lifetime = lifetime
        self.prefix = prefix
        self._clock = clock
        self._lock = threading.Lock()
        self._stats = dict.fromkeys(("hits", "misses", "stores", "evictions", "expired",
                                     "errors"), 0)
        self._failing = False
        self._warned_corrupt = False
        if secret is None:
            self._aead = None
            _warn_no_secret()
        else:
            if not isinstance(secret, (bytes, bytearray)) or len(secret) < 16:
                raise ConfigurationError("RedisSessionCache secret must be at least 16 bytes")
            key = HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT,
                       info=b"aes-256-gcm").derive(bytes(secret))
            self._aead = _aead.AeadKey(key)

    def __repr__(self) -> str:
        return (f"RedisSessionCache(prefix={self.prefix!r}, lifetime={self.lifetime}, "
                f"encrypted={self._aead is not None})")

    def close(self) -> None:
        """Close the Redis connections this cache opened (those of a URL-made client).

        Later get()/put()/remove() calls reconnect; a client passed in is left alone.
        """
        if self._owns_client:
            self._client.connection_pool.disconnect()
            self._client.close()

    def __enter__(self) -> "RedisSessionCache":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def stats(self) -> dict[str, int]:
        """Counters: hits, misses (every get that returned None), stores, evictions
        (always 0: Redis evicts), expired (records Redis still had but whose state had
        expired), errors (Redis failures and records that failed to decode or verify)."""
        with self._lock:
            return dict(self._stats)

    def put(self, session_id: bytes, state: SessionState) -> None:
        """Store `state` under `session_id` (1..32 bytes) with a Redis expiry.

        Raises:
            LocalProtocolError: `session_id` is not 1..32 bytes or `state` is not a
                SessionState (caller bugs; Redis failures are only counted).
        """
        key = self._key(session_id)
        if key is None:
            raise LocalProtocolError("session_id must be 1..32 bytes")
        if not isinstance(state, SessionState):
            raise LocalProtocolError("state must be a SessionState")
        ttl = min(self.lifetime, int(state.created_at + state.lifetime - self._clock()))
        if ttl < 1:
            return
        value = self._seal(key, state.to_bytes())
        if self._call(self._client.set, key, value, ex=ttl) is not _FAILED:
            self._count("stores")

    def get(self, session_id: bytes) -> SessionState | None:
        """The state stored under `session_id`, or None (miss, expiry or any failure)."""
        key = self._key(session_id)
        if key is None:
            return self._miss()
        value = self._call(self._client.get, key)
        if value is None or value is _FAILED:
            return self._miss()
        try:
            state = SessionState.from_bytes(self._open(key, value))
        except DecodeError as exc:
            (log.debug if self._warned_corrupt else log.warning)(
                "tls12fast: discarding a session record from Redis: %s", exc)
            self._warned_corrupt = True
            return self._miss("errors")
        if state.expired(self._clock()):
            return self._miss("expired")
        self._count("hits")
        return state

    def remove(self, session_id: bytes) -> None:
        """Delete `session_id` from Redis (a failure is counted, not raised)."""
        key = self._key(session_id)
        if key is not None:
            self._call(self._client.delete, key)

    def _key(self, session_id: bytes) -> str | None:
        if isinstance(session_id, (bytes, bytearray, memoryview)) \
                and 0 < len(session_id) <= MAX_SESSION_ID:
            return self.prefix + bytes(session_id).hex()
        return None

    def _seal(self, key: str, state: bytes) -> bytes:
        if self._aead is None:
            digest = hashlib.sha256(key.encode() + state).digest()
            return bytes((FORMAT_CHECKSUM,)) + digest + state
        nonce = os.urandom(NONCE_LEN)
        return bytes((FORMAT_AEAD,)) + nonce + self._aead.seal(nonce, bytes(state), key.encode())

    def _open(self, key: str, value: object) -> bytes:
        """Verify and unwrap a record; DecodeError on anything unexpected."""
        if not isinstance(value, bytes) or not value:
            raise DecodeError("session record is not bytes")
        if self._aead is None:
            if value[0] != FORMAT_CHECKSUM or len(value) < 33:
                raise DecodeError("session record format not readable without the secret")
            state = value[33:]
            if not hmac.compare_digest(hashlib.sha256(key.encode() + state).digest(),
                                       value[1:33]):
                raise DecodeError("session record checksum mismatch")
            return state
        if value[0] != FORMAT_AEAD or len(value) < 1 + NONCE_LEN + 16:
            raise DecodeError("session record is not encrypted with a secret")
        state = self._aead.open(value[1:1 + NONCE_LEN], value[1 + NONCE_LEN:], key.encode())
        if state is None:
            raise DecodeError("session record failed authentication")
        return state

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        # Any exception from the client (redis-py's RedisError family, OSError, or a
        # misbehaving client object) is a storage failure, never a connection failure.
        try:
            result = method(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - see above
            with self._lock:
                self._stats["errors"] += 1
                first = not self._failing
                self._failing = True
            (log.warning if first else log.debug)(
                "tls12fast: Redis session cache unavailable (%s); doing full handshakes",
                type(exc).__name__)
            return _FAILED
        if self._failing:
            with self._lock:
                self._failing = False
            log.info("tls12fast: Redis session cache reachable again")
        return result

    def _count(self, name: str) -> None:
        with self._lock:
            self._stats[name] += 1

    def _miss(self, reason: str | None = None) -> None:
        with self._lock:
            self._stats["misses"] += 1
            if reason is not None:
                self._stats[reason] += 1
        return None


_FAILED = object()


def _warn_no_secret() -> None:
    global _warned_no_secret
    with _warn_lock:
        if _warned_no_secret:
            return
        _warned_no_secret = True
    log.warning("tls12fast: RedisSessionCache without secret= stores master secrets in "
                "clear and cannot detect forged records; pass secret= (>= 16 bytes shared "
                "by your servers) to encrypt and authenticate them")
