# Pure-Python twin of the session-state record parser (compiled twin:
# ext/tls12fast/_codec_state.pxd, exposed by _codec_c.pyx); _codec_py.py re-exports it.
#
# How this works: the record is the one SessionState.to_bytes writes (version 1, layout in
# its docstring; constants in _state_format.py). The input is made immutable bytes first,
# so each field is one slice (one copy, the bytes object the state keeps) and each length
# prefix one index; every slice is bounds-checked first because a short slice would not
# fail by itself. After the format checks come the few that SessionState.__post_init__
# makes and the format does not already guarantee, so the caller can build a
# SessionState from the tuple without running them again. Everything malformed is
# DecodeError; the compiled twin checks the same things and raises the same class.
from __future__ import annotations

import math

from ._state_format import (
    F_ALPN, F_EMS, F_SNI, HEAD, HEAD_SIZE, MASTER_SECRET_LEN, MAX_CHAIN, MAX_SESSION_ID,
    MAX_STATE_SIZE, STATE_VERSION, as_state_bytes,
)
from .errors import DecodeError

__all__ = ["decode_session_state"]

_FLAGS = F_EMS | F_SNI | F_ALPN


def decode_session_state(data) -> tuple:
    """Parse a session-state record (SessionState.to_bytes, version 1).

    Args:
        data: the record; any bytes-like object.

    Returns:
        The 11 SessionState field values in field order: (cipher_suite, master_secret,
        extended_master_secret, server_name, alpn_protocol, peer_chain, created_at,
        lifetime, session_id, ticket, ticket_lifetime_hint).

    Raises:
        DecodeError: `data` is not bytes-like, too large, truncated, has trailing bytes,
            an unknown version or flag, a non-UTF-8 server name, or a field out of the
            range SessionState allows; never anything else.
    """
    if type(data) is not bytes:
        data = as_state_bytes(data)
    end = len(data)
    if end > MAX_STATE_SIZE:
        raise DecodeError("session state too large")
    if end <= HEAD_SIZE:  # the header and at least the first length byte
        raise DecodeError("session state truncated")
    version, suite, flags, created, lifetime, hint, n_certs = HEAD.unpack_from(data)
    if version != STATE_VERSION:
        raise DecodeError("unknown session state version")
    if flags & ~_FLAGS:
        raise DecodeError("unknown session state flags")
    # master_secret<u8>, session_id<u8>, ticket<u16>: the fixed part, read inline.
    pos = HEAD_SIZE + 1
    stop = pos + data[HEAD_SIZE]
    if stop >= end:  # room for the next length byte too
        raise DecodeError("session state truncated")
    master_secret = data[pos:stop]
    pos = stop + 1
    stop = pos + data[stop]
    if stop + 2 > end:
        raise DecodeError("session state truncated")
    session_id = data[pos:stop]
    pos = stop + 2
    stop = pos + (data[stop] << 8 | data[stop + 1])
    if stop > end:
        raise DecodeError("session state truncated")
    ticket = data[pos:stop]
    pos = stop
    server_name = None
    if flags & F_SNI:  # server_name<u16>, UTF-8
        stop = pos + 2
        if stop > end or stop + (data[pos] << 8 | data[pos + 1]) > end:
            raise DecodeError("session state truncated")
        pos = stop + (data[pos] << 8 | data[pos + 1])
        try:
            server_name = data[stop:pos].decode("utf-8")
        except UnicodeDecodeError:
            raise DecodeError("session state server_name is not UTF-8") from None
    alpn = None
    if flags & F_ALPN:  # alpn_protocol<u8>
        if pos >= end or pos + 1 + data[pos] > end:
            raise DecodeError("session state truncated")
        stop = pos + 1 + data[pos]
        alpn = data[pos + 1:stop]
        pos = stop
    # Each certificate costs at least 4 bytes, so a huge count fails before looping long.
    if n_certs > (end - pos) // 4:
        raise DecodeError("session state truncated")
    chain = []
    for _ in range(n_certs):
        start = pos + 3
        if start > end:
            raise DecodeError("session state truncated")
        pos = start + (data[pos] << 16 | data[pos + 1] << 8 | data[pos + 2])
        if pos > end:
            raise DecodeError("session state truncated")
        chain.append(data[start:pos])
    if pos != end:
        raise DecodeError("trailing bytes after session state")
    # What SessionState.__post_init__ checks that the format above does not already
    # guarantee (every field has its exact type; suite, ticket, lifetimes and certificate
    # lengths are within their fixed-width prefixes' ranges): only these.
    if (len(master_secret) != MASTER_SECRET_LEN or len(session_id) > MAX_SESSION_ID
            or n_certs > MAX_CHAIN or not math.isfinite(created)
            or (server_name is not None and not server_name) or (alpn is not None and not alpn)
            or b"" in chain):
        raise DecodeError("session state field out of range")
    return (suite, master_secret, bool(flags & F_EMS), server_name, alpn, tuple(chain),
            created, lifetime, session_id, ticket, hint)
