# Session state and the in-process session stores (issue 4; RFC 5246 §7.4.1.3, RFC 5077).
#
# How this works: a resumable TLS 1.2 session is a `SessionState` (suite, 48-byte master
# secret, EMS flag, SNI, ALPN, peer chain, times, and the client's session ID / ticket).
# It leaves the process only as a versioned binary record (`to_bytes`), never as pickle or
# JSON: one version byte, then every field in a fixed order, each variable field behind a
# length prefix whose limit comes from the wire format it came from (RFC 5246 / 6066 /
# 7301 / 5077); the constants live in _state_format.py. `to_bytes` writes the record here;
# the parser is in the codec twins (`decode_session_state`: ext/tls12fast/_codec_state.pxd
# compiled, _codec_state_py.py pure), so a resumption by ticket parses it in C.
# `from_bytes` calls it. The parse is strict - every length is checked against what
# remains, unknown flag bits, trailing bytes and unknown versions are refused - and the
# only exception it raises is `DecodeError`, so a corrupted ticket or store record
# always ends in a full handshake. The parser also makes the checks
# __post_init__ would, so `from_bytes` sets the fields without running it again.
#
# `MemorySessionCache` is the server's session-ID cache and `ClientSessionStore` the
# client's per-server store. Both are an OrderedDict used as an LRU (move_to_end on a hit,
# popitem(last=False) when full) plus a deadline per entry, so every operation is O(1);
# one Lock makes them thread-safe. They keep the immutable SessionState objects themselves:
# nothing is serialised because nothing leaves the process.
from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from . import _codec
from ._state_format import (
    F_ALPN as _F_ALPN, F_EMS as _F_EMS, F_SNI as _F_SNI, HEAD as _HEAD, MASTER_SECRET_LEN,
    MAX_ALPN, MAX_CERT, MAX_CHAIN, MAX_SERVER_NAME, MAX_SESSION_ID, MAX_STATE_SIZE, MAX_TICKET,
    MAX_U32, STATE_VERSION,
)
from .errors import DecodeError, LocalProtocolError
from .suites import BY_CODE

__all__ = [
    "SessionState",
    "ServerSessionCache",
    "MemorySessionCache",
    "ClientSessionStore",
    "STATE_VERSION",
    "MAX_STATE_SIZE",
]

_STATS = ("hits", "misses", "stores", "evictions", "expired", "errors")


def _check(cond: bool, what: str) -> None:
    if not cond:
        raise LocalProtocolError(f"invalid SessionState: {what}")


@dataclass(frozen=True, slots=True)
class SessionState:
    """Everything needed to resume one TLS 1.2 session.

    Attributes:
        cipher_suite: IANA code of the negotiated suite.
        master_secret: the 48-byte master secret (RFC 5246 §8.1). A secret: never logged.
        extended_master_secret: whether the session used RFC 7627 EMS.
        server_name: the SNI host name the session was made for, or None.
        alpn_protocol: the negotiated ALPN protocol, or None.
        peer_chain: the peer's certificate chain as DER, leaf first (may be empty).
        created_at: unix time at which the session was established.
        lifetime: seconds after `created_at` during which it may be resumed.
        session_id: the session ID (client side; the server keys its cache by it).
        ticket: the RFC 5077 ticket the client presents (client side only). A secret.
        ticket_lifetime_hint: the server's hint for `ticket`, seconds (RFC 5077 §3.3).

    Raises:
        LocalProtocolError: a field is out of the range its wire format allows.
    """

    cipher_suite: int
    master_secret: bytes
    extended_master_secret: bool
    server_name: str | None
    alpn_protocol: bytes | None
    peer_chain: tuple[bytes, ...]
    created_at: float
    lifetime: int
    session_id: bytes = b""
    ticket: bytes = b""
    ticket_lifetime_hint: int = 0

    def __post_init__(self) -> None:
        # One expression for the common, valid case (a SessionState is built on every
        # handshake); only an invalid state pays for the checks that name the field.
        if (type(self.cipher_suite) is int and 0 <= self.cipher_suite <= 0xFFFF
                and type(self.master_secret) is bytes and len(self.master_secret) == MASTER_SECRET_LEN
                and type(self.session_id) is bytes and len(self.session_id) <= MAX_SESSION_ID
                and type(self.ticket) is bytes and len(self.ticket) <= MAX_TICKET
                and type(self.peer_chain) is tuple and len(self.peer_chain) <= MAX_CHAIN
                and (self.alpn_protocol is None
                     or (type(self.alpn_protocol) is bytes and 0 < len(self.alpn_protocol) <= MAX_ALPN))
                and (self.server_name is None
                     or (type(self.server_name) is str and 0 < len(self.server_name) <= MAX_SERVER_NAME))
                and type(self.lifetime) is int and 0 <= self.lifetime <= MAX_U32
                and type(self.ticket_lifetime_hint) is int and 0 <= self.ticket_lifetime_hint <= MAX_U32
                and math.isfinite(self.created_at)):
            for cert in self.peer_chain:
                if type(cert) is not bytes or not 0 < len(cert) <= MAX_CERT:
                    break
            else:
                return
        self._explain_invalid()

    def _explain_invalid(self) -> None:
        _check(isinstance(self.cipher_suite, int) and 0 <= self.cipher_suite <= 0xFFFF,
               "cipher_suite")
        _check(isinstance(self.master_secret, bytes) and isinstance(self.session_id, bytes)
               and isinstance(self.ticket, bytes) and isinstance(self.peer_chain, tuple)
               and all(isinstance(c, bytes) for c in self.peer_chain)
               and (self.alpn_protocol is None or isinstance(self.alpn_protocol, bytes))
               and (self.server_name is None or isinstance(self.server_name, str)),
               "field types")
        _check(len(self.master_secret) == MASTER_SECRET_LEN, "master_secret length")
        _check(self.server_name is None or 0 < len(self.server_name) <= MAX_SERVER_NAME,
               "server_name length")
        _check(self.alpn_protocol is None or 0 < len(self.alpn_protocol) <= MAX_ALPN,
               "alpn_protocol length")
        _check(len(self.peer_chain) <= MAX_CHAIN, "too many certificates")
        _check(all(0 < len(c) <= MAX_CERT for c in self.peer_chain), "certificate length")
        _check(math.isfinite(self.created_at), "created_at")
        _check(0 <= self.lifetime <= MAX_U32, "lifetime")
        _check(len(self.session_id) <= MAX_SESSION_ID, "session_id length")
        _check(len(self.ticket) <= MAX_TICKET, "ticket length")
        _check(0 <= self.ticket_lifetime_hint <= MAX_U32, "ticket_lifetime_hint")

    @property
    def cipher_suite_name(self) -> str:
        """The IANA name of `cipher_suite` (hex code if the suite is unknown here)."""
        suite = BY_CODE.get(self.cipher_suite)
        return suite.name if suite is not None else f"0x{self.cipher_suite:04X}"

    def expired(self, now: float) -> bool:
        """True when `now` is at or past `created_at + lifetime`."""
        return now >= self.created_at + self.lifetime

    def with_ticket(self, ticket: bytes, hint: int) -> SessionState:
        """A copy carrying a new (or renewed) ticket and its lifetime hint."""
        # The constructor directly (dataclasses.replace costs twice as much); it validates.
        return type(self)(self.cipher_suite, self.master_secret, self.extended_master_secret,
                          self.server_name, self.alpn_protocol, self.peer_chain,
                          self.created_at, self.lifetime, self.session_id, bytes(ticket), hint)

    def with_session_id(self, session_id: bytes) -> SessionState:
        """A copy carrying `session_id`."""
        return dataclasses.replace(self, session_id=bytes(session_id))

    def __repr__(self) -> str:
        age = time.time() - self.created_at
        return (
            f"SessionState({self.cipher_suite_name}, server_name={self.server_name!r}, "
            f"ems={self.extended_master_secret}, alpn={self.alpn_protocol!r}, "
            f"age={age:.0f}s, lifetime={self.lifetime}s, certs={len(self.peer_chain)}, "
            f"session_id={'yes' if self.session_id else 'no'}, "
            f"ticket={'yes' if self.ticket else 'no'})"
        )

    def to_bytes(self) -> bytes:
        """Serialise to the versioned binary record (version 1).

        Layout: version u8, cipher_suite u16, flags u8 (1 EMS, 2 SNI, 4 ALPN), created_at
        f64, lifetime u32, ticket_lifetime_hint u32, certificate count u32; then
        master_secret<u8>, session_id<u8>, ticket<u16>, [server_name<u16> UTF-8],
        [alpn_protocol<u8>], and count x certificate<u24>. All big-endian.
        """
        flags = (_F_EMS if self.extended_master_secret else 0)
        parts = []
        if self.server_name is not None:
            flags |= _F_SNI
        if self.alpn_protocol is not None:
            flags |= _F_ALPN
        parts.append(_HEAD.pack(STATE_VERSION, self.cipher_suite, flags, self.created_at,
                                self.lifetime, self.ticket_lifetime_hint, len(self.peer_chain)))
        parts += (bytes((len(self.master_secret),)), self.master_secret,
                  bytes((len(self.session_id),)), self.session_id,
                  len(self.ticket).to_bytes(2, "big"), self.ticket)
        if self.server_name is not None:
            name = self.server_name.encode("utf-8")
            _check(len(name) <= MAX_SERVER_NAME, "server_name length")
            parts += (len(name).to_bytes(2, "big"), name)
        if self.alpn_protocol is not None:
            parts += (bytes((len(self.alpn_protocol),)), self.alpn_protocol)
        for cert in self.peer_chain:
            parts += (len(cert).to_bytes(3, "big"), cert)
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes, *, codec=None) -> SessionState:
        """Parse a record made by `to_bytes`.

        Args:
            data: the record (any bytes-like object).
            codec: the codec twin module to parse with (e.g. a connection's `_codec`);
                None means the default twin (the `_codec` facade).

        Raises:
            DecodeError: on any malformed, truncated, oversized or unknown-version input
                (and on input that is not bytes-like); never anything else.
        """
        (suite, master_secret, ems, server_name, alpn, chain, created, lifetime, session_id,
         ticket, hint) = (_decode if codec is None else codec.decode_session_state)(data)
        if cls is not SessionState:
            try:
                return cls(suite, master_secret, ems, server_name, alpn, chain, created,
                           lifetime, session_id, ticket, hint)
            except LocalProtocolError:
                raise DecodeError("session state field out of range") from None
        # The decoder made every check __post_init__ would, so set the slots directly.
        state = _new(SessionState)
        _set_suite(state, suite)
        _set_master_secret(state, master_secret)
        _set_ems(state, ems)
        _set_server_name(state, server_name)
        _set_alpn(state, alpn)
        _set_chain(state, chain)
        _set_created(state, created)
        _set_lifetime(state, lifetime)
        _set_session_id(state, session_id)
        _set_ticket(state, ticket)
        _set_hint(state, hint)
        return state


_decode = _codec.decode_session_state
_new = object.__new__
# The slot descriptors' own setters: what object.__setattr__ (how a frozen dataclass's
# __init__ sets its fields) ends up calling, minus the attribute lookup by name.
(_set_suite, _set_master_secret, _set_ems, _set_server_name, _set_alpn, _set_chain,
 _set_created, _set_lifetime, _set_session_id, _set_ticket, _set_hint) = (
    SessionState.__dict__[field.name].__set__ for field in dataclasses.fields(SessionState))


@runtime_checkable
class ServerSessionCache(Protocol):
    """What a server needs from a session-ID cache (RFC 5246 §7.4.1.3).

    Security contract (as rustls' StoresServerSessions): a SessionState holds the master
    secret, so anything that can read the cache can decrypt every connection resumed from
    it. Implementations must keep states out of logs and reprs; a store that keeps them
    outside the process must encrypt or at least integrity-protect them; `remove` must
    reliably delete (it is how a session that saw a fatal alert is invalidated); entries
    must expire after at most the cache lifetime. `get` and `put` must never raise on
    storage failure: a failed lookup is a miss and a failed store is skipped, each counted
    in `stats()["errors"]`, so the worst outcome is a full handshake.
    """

    def put(self, session_id: bytes, state: SessionState) -> None: ...

    def get(self, session_id: bytes) -> SessionState | None: ...

    def remove(self, session_id: bytes) -> None: ...

    def stats(self) -> dict[str, int]: ...


class _LRU:
    """OrderedDict LRU with per-entry deadlines and counters, guarded by one Lock."""

    def __init__(self, max_entries: int, clock: Callable[[], float]) -> None:
        if not isinstance(max_entries, int) or max_entries < 1:
            raise LocalProtocolError("max_entries must be a positive integer")
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[object, tuple[float, SessionState]] = OrderedDict()
        self._stats = dict.fromkeys(_STATS, 0)

    def _put(self, key: object, state: SessionState, deadline: float) -> None:
        with self._lock:
            if deadline <= self._clock():
                return
            self._entries[key] = (deadline, state)
            self._entries.move_to_end(key)
            self._stats["stores"] += 1
            if len(self._entries) > self._max:
                self._entries.popitem(last=False)
                self._stats["evictions"] += 1

    def _get(self, key: object) -> SessionState | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self._stats["misses"] += 1
                return None
            if self._clock() >= entry[0]:
                del self._entries[key]
                self._stats["expired"] += 1
                self._stats["misses"] += 1
                return None
            self._entries.move_to_end(key)
            self._stats["hits"] += 1
            return entry[1]

    def _remove(self, key: object) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def stats(self) -> dict[str, int]:
        """Counters: hits, misses (every get that returned None, including expired ones),
        stores, evictions (LRU), expired, errors (always 0 in memory)."""
        with self._lock:
            return dict(self._stats)


def _require_state(state: object) -> None:
    if not isinstance(state, SessionState):
        raise LocalProtocolError("state must be a SessionState")


def _session_key(session_id: bytes) -> bytes | None:
    if isinstance(session_id, (bytes, bytearray, memoryview)):
        key = bytes(session_id)
        if 0 < len(key) <= MAX_SESSION_ID:
            return key
    return None


class MemorySessionCache(_LRU):
    """The server's in-process session-ID cache (RFC 5246 §7.4.1.3).

    LRU-bounded to `max_entries`; an entry lives for min(`lifetime` from when it was
    stored, the state's own `created_at + lifetime`). All operations are O(1) and
    thread-safe. The immutable SessionState objects are kept as they are (no
    serialisation, since they never leave the process); see `ServerSessionCache` for the
    secrets contract.

    Args:
        max_entries: the most sessions kept; the least recently used is evicted.
        lifetime: the most seconds a session may be resumed after it was stored.
        clock: returns the current unix time (injectable for tests).
    """

    def __init__(self, max_entries: int = 20000, lifetime: int = 300,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(max_entries, clock)
        if not isinstance(lifetime, (int, float)) or lifetime <= 0:
            raise LocalProtocolError("lifetime must be positive")
        self.lifetime = lifetime

    def __repr__(self) -> str:
        return f"MemorySessionCache(entries={len(self)}, max_entries={self._max}, " \
               f"lifetime={self.lifetime})"

    def put(self, session_id: bytes, state: SessionState) -> None:
        """Store `state` under `session_id` (1..32 bytes).

        Raises:
            LocalProtocolError: `session_id` is empty or longer than 32 bytes, or `state`
                is not a SessionState.
        """
        key = _session_key(session_id)
        if key is None:
            raise LocalProtocolError("session_id must be 1..32 bytes")
        _require_state(state)
        deadline = min(self._clock() + self.lifetime, state.created_at + state.lifetime)
        self._put(key, state, deadline)

    def get(self, session_id: bytes) -> SessionState | None:
        """The live state for `session_id`, or None (expired entries are removed).

        `session_id` comes from the peer: any value, even a malformed one, is a miss.
        """
        key = _session_key(session_id)
        if key is None:
            with self._lock:
                self._stats["misses"] += 1
            return None
        return self._get(key)

    def remove(self, session_id: bytes) -> None:
        """Delete `session_id` if present (used when a session sees a fatal alert)."""
        key = _session_key(session_id)
        if key is not None:
            self._remove(key)


class ClientSessionStore(_LRU):
    """The client's store: one latest SessionState per key (normally the server name).

    An entry lives until the state's `created_at + lifetime` (the client should set
    `lifetime` no longer than the server's ticket_lifetime_hint, RFC 5077 §5.6). LRU-bounded
    and thread-safe. States are kept in memory as they are; they contain master secrets
    and tickets, so nothing here is ever logged.

    Args:
        max_entries: the most servers remembered; the least recently used is evicted.
        clock: returns the current unix time (injectable for tests).
    """

    def __init__(self, max_entries: int = 1024, clock: Callable[[], float] = time.time) -> None:
        super().__init__(max_entries, clock)

    def __repr__(self) -> str:
        return f"ClientSessionStore(entries={len(self)}, max_entries={self._max})"

    def put(self, key: str, state: SessionState) -> None:
        """Remember `state` as the latest session for `key`, replacing any older one."""
        if not isinstance(key, str):
            raise LocalProtocolError("ClientSessionStore keys are str")
        _require_state(state)
        self._put(key, state, state.created_at + state.lifetime)

    def get(self, key: str) -> SessionState | None:
        """The latest live session for `key`, or None (expired ones are dropped)."""
        return self._get(key)

    def remove(self, key: str) -> None:
        """Forget the session for `key` (e.g. after it failed to resume)."""
        self._remove(key)
