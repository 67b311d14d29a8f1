# Handshake tracing: one TraceEvent per handshake message (and ChangeCipherSpec) sent or
# received, handed to config.tracer if one is set. Summaries name negotiated values, never
# secrets (no randoms' secrets, premaster, keys or signatures' content).
from __future__ import annotations

from dataclasses import dataclass

from .enums import HandshakeType, NamedGroup
from .suites import BY_CODE

__all__ = ["TraceEvent", "summarize", "message_name"]


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """One handshake message (or ChangeCipherSpec) on the wire.

    Attributes:
        direction: "send" or "recv".
        msg_type: message name, e.g. "client_hello", or "change_cipher_spec".
        length: encoded length in bytes (with the 4-byte handshake header).
        summary: short human-readable description of the interesting fields.
    """

    direction: str
    msg_type: str
    length: int
    summary: str


def message_name(msg_type: int) -> str:
    """HandshakeType name of a code, or "handshake_<n>" when unknown."""
    try:
        return HandshakeType(msg_type).name
    except ValueError:
        return f"handshake_{msg_type}"


def _suite(code: int) -> str:
    suite = BY_CODE.get(code)
    return suite.name if suite is not None else f"0x{code:04x}"


def _group(code: int) -> str:
    try:
        return NamedGroup(code).name
    except ValueError:
        return f"0x{code:04x}"


def _ext_names(msg) -> str:
    exts = getattr(msg, "extensions", None) or ()
    return ",".join(getattr(ext.type, "name", str(ext.type)) for ext in exts)


def summarize(msg) -> str:
    """A one-line description of a decoded handshake message for the tracer."""
    name = type(msg).__name__
    if name == "ClientHello":
        return (f"version=0x{msg.version:04x} suites={len(msg.cipher_suites)} "
                f"session_id={len(msg.session_id)}B ext=[{_ext_names(msg)}]")
    if name == "ServerHello":
        return (f"suite={_suite(msg.cipher_suite)} session_id={len(msg.session_id)}B "
                f"ext=[{_ext_names(msg)}]")
    if name == "Certificate":
        return f"certificates={len(msg.certificates)}"
    if name == "ServerKeyExchangeECDHE":
        return f"group={_group(msg.named_group)} scheme=0x{msg.scheme:04x}"
    if name == "ServerKeyExchangeDHE":
        return f"dh_p={len(msg.p) * 8}bits scheme=0x{msg.scheme:04x}"
    if name == "CertificateRequest":
        return f"schemes={len(msg.signature_schemes)} authorities={len(msg.authorities)}"
    if name == "CertificateVerify":
        return f"scheme=0x{msg.scheme:04x}"
    if name == "ClientKeyExchange":
        return f"kx={msg.kx} exchange={len(msg.exchange)}B"
    if name == "NewSessionTicket":
        return f"lifetime_hint={msg.lifetime_hint}s ticket={len(msg.ticket)}B"
    return ""
