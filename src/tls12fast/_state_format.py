# The session-state record's constants, shared by sessions.py (which writes the record,
# SessionState.to_bytes) and both codec twins (which parse it, decode_session_state).
#
# How this works: this module imports nothing from the package except errors.py, so
# sessions.py -> _codec -> _codec_py/_codec_c -> here has no cycle. The compiled twin
# keeps C copies of the integers (ext/tls12fast/_codec_state.pxd) and checks them against
# these at import. `as_state_bytes` is the one place that decides which non-bytes inputs
# a parser accepts, so both twins accept and refuse exactly the same objects.
from __future__ import annotations

import struct

from .errors import DecodeError

STATE_VERSION = 1
MAX_STATE_SIZE = 1 << 20  # far above any real state; bounds what a parser will look at
MASTER_SECRET_LEN = 48  # RFC 5246 §8.1
MAX_SESSION_ID = 32  # RFC 5246 §7.4.1.2: opaque SessionID<0..32>
MAX_TICKET = 0xFFFF  # RFC 5077 §3.3: opaque ticket<0..2^16-1>
MAX_SERVER_NAME = 0xFFFF  # RFC 6066 §3: opaque HostName<1..2^16-1>
MAX_ALPN = 0xFF  # RFC 7301 §3.1: opaque ProtocolName<1..2^8-1>
MAX_CERT = 0xFFFFFF  # RFC 5246 §7.4.2: opaque ASN.1Cert<1..2^24-1>
MAX_CHAIN = 0xFFFF  # certificates in peer_chain
MAX_U32 = 0xFFFFFFFF

F_EMS, F_SNI, F_ALPN = 1, 2, 4  # the flags byte
HEAD = struct.Struct(">BHBd3I")  # version, suite, flags, created_at, lifetime, hint, n_certs
HEAD_SIZE = HEAD.size


def as_state_bytes(data: object) -> bytes:
    """`data` as bytes if it is a bytes-like object of at most MAX_STATE_SIZE octets.

    Any C-contiguous buffer is accepted (as its raw octets), like bytes() would.

    Raises:
        DecodeError: `data` is not bytes-like, or is larger than MAX_STATE_SIZE.
    """
    if type(data) is bytes:
        return data
    try:
        with memoryview(data) as view, view.cast("B") as octets:
            if len(octets) > MAX_STATE_SIZE:
                raise DecodeError("session state too large")
            return octets.tobytes()
    except (TypeError, ValueError, BufferError):
        raise DecodeError("session state is not bytes") from None
