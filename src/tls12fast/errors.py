# Every exception tls12fast raises, and the one place that maps an error to an alert.
#
# TLSError is the root; `.alert` holds the AlertDescription that was sent (errors we
# detect) or received (PeerAlertError), or None for local misuse. Each protocol error
# class carries a default alert (rustls' single Error -> AlertDescription mapping), so
# raising `DecodeError("...")` is enough for the connection to queue decode_error
# (RFC 5246 §7.2.2). Messages never contain key material.
from __future__ import annotations

from .enums import AlertDescription

__all__ = [
    "TLSError",
    "LocalProtocolError",
    "ConfigurationError",
    "RemoteProtocolError",
    "DecodeError",
    "IllegalParameter",
    "UnexpectedMessage",
    "BadRecordMac",
    "RecordOverflow",
    "HandshakeFailure",
    "DecryptError",
    "ProtocolVersionError",
    "InsufficientSecurity",
    "NoRenegotiation",
    "NoApplicationProtocol",
    "InternalError",
    "CertificateError",
    "PeerAlertError",
]


class TLSError(Exception):
    """Base class of every tls12fast exception.

    Attributes:
        alert: the AlertDescription sent to (or received from) the peer, or None.
    """

    default_alert: AlertDescription | None = None

    def __init__(self, message: str = "", alert: AlertDescription | int | None = None):
        super().__init__(message)
        if alert is None:
            alert = self.default_alert
        self.alert = AlertDescription(alert) if alert is not None else None

    def __str__(self) -> str:
        text = super().__str__()
        if self.alert is not None:
            return f"{text} (alert: {self.alert.name})" if text else f"alert: {self.alert.name}"
        return text


class LocalProtocolError(TLSError):
    """The API was used wrongly (e.g. send() before the handshake completed)."""


class ConfigurationError(TLSError, ValueError):
    """A configuration value is invalid (unknown suite name, bad certificate file...)."""


class RemoteProtocolError(TLSError):
    """The peer sent something that violates the protocol; a fatal alert was queued."""

    default_alert = AlertDescription.unexpected_message


class DecodeError(RemoteProtocolError):
    default_alert = AlertDescription.decode_error


class IllegalParameter(RemoteProtocolError):
    default_alert = AlertDescription.illegal_parameter


class UnexpectedMessage(RemoteProtocolError):
    default_alert = AlertDescription.unexpected_message


class BadRecordMac(RemoteProtocolError):
    default_alert = AlertDescription.bad_record_mac


class RecordOverflow(RemoteProtocolError):
    default_alert = AlertDescription.record_overflow


class HandshakeFailure(RemoteProtocolError):
    default_alert = AlertDescription.handshake_failure


class DecryptError(RemoteProtocolError):
    default_alert = AlertDescription.decrypt_error


class ProtocolVersionError(RemoteProtocolError):
    default_alert = AlertDescription.protocol_version


class InsufficientSecurity(RemoteProtocolError):
    default_alert = AlertDescription.insufficient_security


class NoRenegotiation(RemoteProtocolError):
    default_alert = AlertDescription.no_renegotiation


class NoApplicationProtocol(RemoteProtocolError):
    default_alert = AlertDescription.no_application_protocol


class InternalError(TLSError):
    default_alert = AlertDescription.internal_error


class CertificateError(RemoteProtocolError):
    """The peer's certificate chain or hostname failed verification."""

    default_alert = AlertDescription.bad_certificate


class PeerAlertError(TLSError):
    """The peer sent a fatal alert; `.alert` is the description it sent."""
