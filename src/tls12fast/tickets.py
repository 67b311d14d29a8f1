# Session-ticket keys (RFC 5077): the server seals its SessionState into a ticket the client
# keeps, so resumption needs no server-side storage.
#
# How this works. A ticket is key_name (16 bytes) || nonce (12 random bytes) ||
# AES-256-GCM(key, nonce, state bytes, AAD = key_name), i.e. the layout RFC 5077 §4
# recommends with an AEAD in place of AES-CBC + HMAC; the AAD makes the key name
# authenticated too. Keys come from one of two sources:
#
# * `TicketKeys(...)`: random in-process keys that rotate. A key encrypts for
#   `rotate_after` seconds, then only decrypts for `accept_for` more, then is dropped.
#   Rotation is lazy: each seal/unseal first retires what the clock says is stale, so
#   there is no timer thread, and an injected clock drives it exactly in tests.
# * `TicketKeys.from_secret(secret, period)`: the key for period index
#   i = floor(now / period) is HKDF-SHA256(secret, salt, info="period" || i) -> 16-byte
#   name + 32-byte key. Every node holding the same secret derives the same keys, so a
#   ticket issued anywhere in a cluster resumes anywhere, with no key distribution.
#   Tickets from the current and the previous `accept_periods` periods are accepted.
#
# `unseal` never raises on ticket input: a forged, truncated, oversized, expired or
# unknown-key ticket returns None and the caller does a full handshake (RFC 5077 §3.4).
# A ticket opened with a key that no longer encrypts asks for renewal (RFC 5077 §3.3).
from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import _aead
from .errors import ConfigurationError, LocalProtocolError

__all__ = ["TicketKeys", "MAX_TICKET_SIZE", "KEY_NAME_LEN", "NONCE_LEN"]

KEY_NAME_LEN = 16  # RFC 5077 §4: key_name[16]
NONCE_LEN = 12
TAG_LEN = 16
MAX_TICKET_SIZE = 0xFFFF  # RFC 5077 §3.3: opaque ticket<0..2^16-1>
MIN_TICKET_SIZE = KEY_NAME_LEN + NONCE_LEN + TAG_LEN + 1
_CIPHERTEXT = KEY_NAME_LEN + NONCE_LEN  # where the AEAD output starts
MAX_HINT = 7 * 24 * 3600  # the 7-day ceiling RFC 8446 §4.6.1 set for tickets
MAX_ACCEPT_PERIODS = 1024
HKDF_SALT = b"tls12fast ticket keys"


class _Key:
    """One ticket key. Deliberately has no repr that could show the AES key."""

    __slots__ = ("name", "aead", "encrypt_until", "accept_until", "period")

    def __init__(self, name: bytes, key: bytes, encrypt_until: float = 0.0,
                 accept_until: float = 0.0, period: int = 0) -> None:
        self.name = name
        self.aead = _aead.AeadKey(key)  # one keyed OpenSSL context per key (compiled twin)
        self.encrypt_until = encrypt_until
        self.accept_until = accept_until
        self.period = period


def _positive(value: object, what: str, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0 or (value == 0 and not allow_zero):
        raise ConfigurationError(f"{what} must be a {'non-negative' if allow_zero else 'positive'}"
                                 " number")
    return value


class TicketKeys:
    """Rotating in-process AES-256-GCM ticket keys (RFC 5077).

    Thread-safe. Key material never appears in repr() or in exceptions.

    Args:
        rotate_after: seconds each key encrypts new tickets.
        accept_for: seconds a key keeps decrypting after it stopped encrypting.
        lifetime_hint: the NewSessionTicket ticket_lifetime_hint in seconds; default
            rotate_after + accept_for, capped at 7 days.
        clock: returns the current unix time (injectable for tests).

    Raises:
        ConfigurationError: a parameter is out of range.
    """

    def __init__(self, rotate_after: float = 3600, accept_for: float = 7200,
                 lifetime_hint: int | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._rotate_after = _positive(rotate_after, "rotate_after")
        self._accept_for = _positive(accept_for, "accept_for", allow_zero=True)
        self._init_common(rotate_after + accept_for, lifetime_hint, clock)
        # Keys alive at once: the encrypting one plus those still in their accept window.
        self._max_keys = math.ceil(self._accept_for / self._rotate_after) + 2
        self._keys: list[_Key] = []  # newest (the encrypting key) first
        with self._lock:
            self._current(self._clock())
        self._stats["rotations"] = 0

    def _init_common(self, default_hint: float, lifetime_hint: int | None,
                     clock: Callable[[], float]) -> None:
        if lifetime_hint is None:
            lifetime_hint = min(int(default_hint), MAX_HINT)
        elif isinstance(lifetime_hint, bool) or not isinstance(lifetime_hint, int) \
                or not 0 <= lifetime_hint <= 0xFFFFFFFF:
            raise ConfigurationError("lifetime_hint must be an integer in 0..2^32-1")
        if not callable(clock):
            raise ConfigurationError("clock must be callable")
        self._lifetime_hint = lifetime_hint
        self._clock = clock
        self._lock = threading.Lock()
        # Set by _current(): the encrypting key, every accepted key by name, and the span
        # of time in which neither changes, so seal/unseal only call _current() outside it.
        self._current_key: _Key | None = None
        self._by_name: dict[bytes, _Key] = {}
        self._stable_from, self._stable_until = math.inf, -math.inf
        self._stats = dict.fromkeys(("issued", "accepted", "renewed", "rejected", "rotations"), 0)

    @classmethod
    def from_secret(cls, secret: bytes, period: int = 3600, accept_periods: int = 1,
                    clock: Callable[[], float] = time.time) -> TicketKeys:
        """Ticket keys derived per time period from one secret shared by a cluster.

        Args:
            secret: at least 16 bytes of shared secret (keep it like a private key).
            period: seconds per key period; a key seals during its own period.
            accept_periods: previous periods whose tickets are still accepted.
            clock: returns the current unix time (injectable for tests).

        Raises:
            ConfigurationError: the secret is shorter than 16 bytes or a parameter is
                out of range.
        """
        return _SecretTicketKeys(secret, period, accept_periods, clock)

    @property
    def lifetime_hint(self) -> int:
        """Seconds for NewSessionTicket.ticket_lifetime_hint (RFC 5077 §3.3)."""
        return self._lifetime_hint

    def stats(self) -> dict[str, int]:
        """Counters: issued, accepted, renewed (accepted with a non-current key),
        rejected (every unseal that returned None), rotations (keys generated after the
        first)."""
        with self._lock:
            return dict(self._stats)

    def __repr__(self) -> str:
        with self._lock:
            return (f"TicketKeys(keys={len(self._keys)}, rotate_after={self._rotate_after}, "
                    f"accept_for={self._accept_for}, lifetime_hint={self._lifetime_hint})")

    def seal(self, state: bytes) -> bytes:
        """Encrypt serialised session state into a ticket under the current key.

        Raises:
            LocalProtocolError: the ticket would exceed 65535 bytes (RFC 5077 §3.3), or
                `state` is empty or not bytes.
        """
        if not isinstance(state, (bytes, bytearray, memoryview)) or not len(state) \
                or len(state) > MAX_TICKET_SIZE - KEY_NAME_LEN - NONCE_LEN - TAG_LEN:
            raise LocalProtocolError("session state does not fit in a ticket")
        with self._lock:
            self._refresh()
            key = self._current_key
            self._stats["issued"] += 1
        nonce = os.urandom(NONCE_LEN)
        return key.name + nonce + key.aead.seal(nonce, bytes(state), key.name)

    def unseal(self, ticket: bytes) -> tuple[bytes, bool] | None:
        """Decrypt a ticket from a ClientHello.

        Returns:
            (state bytes, renew) - renew is True when the ticket was sealed with a key that
            no longer encrypts, so a fresh ticket should be issued - or None for a bad,
            expired, truncated, oversized or unknown-key ticket. Never raises.
        """
        data = ticket
        if type(data) is not bytes:  # the codecs hand over bytes; anything else is copied
            if not isinstance(data, (bytes, bytearray, memoryview)):
                return self._reject()
            try:
                data = bytes(data)
            except (TypeError, ValueError, BufferError):
                return self._reject()
        if not MIN_TICKET_SIZE <= len(data) <= MAX_TICKET_SIZE:
            return self._reject()
        name = data[:KEY_NAME_LEN]
        # One lock region on the success path: the ticket is counted as accepted (and
        # renewed) before the AEAD check, which runs outside the lock, and the rare tag
        # failure takes the counts back. stats() may briefly count a ticket that is
        # about to fail its tag check.
        with self._lock:
            self._refresh()
            key = self._by_name.get(name)
            if key is None:
                self._stats["rejected"] += 1
                return None
            renew = key is not self._current_key
            stats = self._stats
            stats["accepted"] += 1
            if renew:
                stats["renewed"] += 1
        state = key.aead.open(data[KEY_NAME_LEN:_CIPHERTEXT], data[_CIPHERTEXT:], name)
        if state is not None:
            return state, renew
        with self._lock:
            stats["accepted"] -= 1
            if renew:
                stats["renewed"] -= 1
            stats["rejected"] += 1
        return None

    def _reject(self) -> None:
        with self._lock:
            self._stats["rejected"] += 1
        return None

    # Key schedule, called with self._lock held.

    def _refresh(self) -> None:
        """Rerun the key schedule if the clock has left the span in which it holds."""
        now = self._clock()
        if not self._stable_from <= now < self._stable_until:
            self._current(now)

    def _current(self, now: float) -> None:
        """Retire stale keys, make a new one if the encrypting key is due, and set the
        fast-path fields (nothing changes again before the oldest key expires or the
        newest stops encrypting)."""
        if self._keys and now >= self._keys[-1].accept_until:  # the oldest key is last
            self._keys = [k for k in self._keys if now < k.accept_until]
        if not self._keys or now >= self._keys[0].encrypt_until:
            until = now + self._rotate_after
            self._keys.insert(0, _Key(os.urandom(KEY_NAME_LEN), os.urandom(32), until,
                                      until + self._accept_for))
            del self._keys[self._max_keys:]
            self._stats["rotations"] += 1
        self._current_key = self._keys[0]
        self._by_name = {key.name: key for key in self._keys}
        self._stable_from = -math.inf
        self._stable_until = min(self._keys[0].encrypt_until, self._keys[-1].accept_until)


class _SecretTicketKeys(TicketKeys):
    """TicketKeys.from_secret: per-period keys derived with HKDF from a shared secret."""

    def __init__(self, secret: bytes, period: int, accept_periods: int,
                 clock: Callable[[], float]) -> None:
        if not isinstance(secret, (bytes, bytearray)) or len(secret) < 16:
            raise ConfigurationError("ticket secret must be at least 16 bytes")
        _positive(period, "period")
        if isinstance(accept_periods, bool) or not isinstance(accept_periods, int) \
                or not 0 <= accept_periods <= MAX_ACCEPT_PERIODS:
            raise ConfigurationError(f"accept_periods must be an integer in 0..{MAX_ACCEPT_PERIODS}")
        self._secret = bytes(secret)
        self._period = period
        self._accept_periods = accept_periods
        self._init_common(period * (accept_periods + 1), None, clock)
        self._by_period: dict[int, _Key] = {}
        self._by_name: dict[bytes, _Key] = {}
        self._index: int | None = None
        with self._lock:
            self._current(self._clock())
        self._stats["rotations"] = 0

    def __repr__(self) -> str:
        return (f"TicketKeys.from_secret(period={self._period}, "
                f"accept_periods={self._accept_periods}, lifetime_hint={self._lifetime_hint})")

    def _derive(self, index: int) -> _Key:
        material = HKDF(algorithm=hashes.SHA256(), length=KEY_NAME_LEN + 32, salt=HKDF_SALT,
                        info=b"period" + (index % 2**64).to_bytes(8, "big")).derive(self._secret)
        return _Key(material[:KEY_NAME_LEN], material[KEY_NAME_LEN:], period=index)

    def _current(self, now: float) -> None:
        index = math.floor(now / self._period)
        if index != self._index:
            window = range(index - self._accept_periods, index + 1)
            self._by_period = {i: self._by_period.get(i) or self._derive(i) for i in window}
            self._by_name = {k.name: k for k in self._by_period.values()}
            self._index = index
            self._stats["rotations"] += 1
        self._current_key = self._by_period[index]
        self._stable_from, self._stable_until = index * self._period, (index + 1) * self._period
