"""tls12fast: a fast TLS 1.2 engine for Python.

Sans-IO connections (`ServerConnection`, `ClientConnection`) whose hot paths — record
layer, PRF and handshake codec — are compiled Cython twins of pure-Python modules, full
and resumed (session ID and RFC 5077 ticket) handshakes, session stores that a server
cluster can share, and an `ssl`-compatible drop-in (`tls12fast.SSLContext`).

The flat public API is resolved lazily (PEP 562) so `import tls12fast` stays cheap and
each name lives in exactly one module.
"""
from __future__ import annotations

import importlib

from ._speedups import DEFAULT as _DEFAULT_BACKEND

__version__ = "0.1.0"

#: "cython" when the compiled twins are in use, else "python".
BACKEND: str = _DEFAULT_BACKEND.name

_EXPORTS = {
    # module -> public names
    "_prf": ["prf"],
    "config": ["ServerConfig", "ClientConfig", "InsecureWarning"],
    "crypto": ["CertifiedKey"],
    "connection": ["Connection"],
    "server.connection": ["ServerConnection"],
    "client.connection": ["ClientConnection"],
    "events": ["HandshakeComplete", "ApplicationData", "AlertReceived", "ConnectionClosed"],
    "sessions": ["SessionState", "MemorySessionCache", "ClientSessionStore"],
    "tickets": ["TicketKeys"],
    "stores.redis": ["RedisSessionCache"],
    "errors": [
        "TLSError", "LocalProtocolError", "ConfigurationError", "RemoteProtocolError",
        "DecodeError", "IllegalParameter", "UnexpectedMessage", "BadRecordMac",
        "RecordOverflow", "HandshakeFailure", "DecryptError", "ProtocolVersionError",
        "InsufficientSecurity", "NoRenegotiation", "NoApplicationProtocol", "InternalError",
        "CertificateError", "PeerAlertError",
    ],
    "enums": ["AlertDescription", "AlertLevel", "ContentType", "HandshakeType", "NamedGroup",
              "SignatureScheme"],
    "compat": ["SSLContext", "SSLObject", "SSLSocket", "PROTOCOL_TLS_SERVER", "PROTOCOL_TLS_CLIENT",
               "OP_NO_TICKET"],
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = ["BACKEND", "__version__", *sorted(_WHERE)]


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tls12fast' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"tls12fast.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
