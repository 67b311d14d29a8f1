# tls12fast errors as the stdlib ssl exception types, for the ssl-compatible facade.
#
# How this works: callers written for `ssl` catch ssl.SSLError subclasses, so every
# tls12fast.TLSError leaving the facade goes through map_error(). Certificate problems
# become ssl.SSLCertVerificationError carrying OpenSSL's X509_V_ERR_* verify_code; any
# other error becomes ssl.SSLError whose reason names the TLS alert (RFC 5246 §7.2),
# prefixed TLSV1_ALERT_ when the peer sent it, as OpenSSL does. The want-read, EOF and
# zero-return errors are the flow-control signals ssl.SSLObject users expect.
from __future__ import annotations

import ssl

from .enums import AlertDescription
from .errors import CertificateError, PeerAlertError, TLSError

__all__ = ["map_error", "eof_error", "want_read", "zero_return", "shutdown_error"]

# OpenSSL X509_V_ERR_* codes that ssl.SSLCertVerificationError carries in verify_code.
_VERIFY = {
    AlertDescription.certificate_expired: (10, "certificate has expired"),
    AlertDescription.unknown_ca: (20, "unable to get local issuer certificate"),
}


def map_error(exc: TLSError) -> ssl.SSLError:
    """The stdlib ssl exception for a tls12fast error (alert name in the message)."""
    if isinstance(exc, CertificateError):
        text = str(exc)
        if exc.alert in _VERIFY:
            code, message = _VERIFY[exc.alert]
        elif "is not valid for" in text:
            code, message = 62, "Hostname mismatch, " + text
        else:
            code, message = 26 if "rejected" in text else 0, text
        err = ssl.SSLCertVerificationError(
            ssl.SSL_ERROR_SSL, f"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {message}")
        err.verify_code, err.verify_message = code, message
        err.library, err.reason = "SSL", "CERTIFICATE_VERIFY_FAILED"
        return err
    alert = exc.alert.name.upper() if exc.alert is not None else "PROTOCOL_ERROR"
    if isinstance(exc, PeerAlertError):
        reason = f"TLSV1_ALERT_{alert}" if alert != "HANDSHAKE_FAILURE" else "SSLV3_ALERT_HANDSHAKE_FAILURE"
    else:
        reason = alert
    err = ssl.SSLError(ssl.SSL_ERROR_SSL, f"[SSL: {reason}] {exc}")
    err.library, err.reason = "SSL", reason
    return err


def eof_error() -> ssl.SSLEOFError:
    """The peer closed the transport without close_notify (RFC 5246 §7.2.1)."""
    return ssl.SSLEOFError(ssl.SSL_ERROR_EOF, "EOF occurred in violation of protocol")


def want_read() -> ssl.SSLWantReadError:
    """More ciphertext from the peer is needed before the call can finish."""
    return ssl.SSLWantReadError(ssl.SSL_ERROR_WANT_READ, "The operation did not complete (read)")


def zero_return() -> ssl.SSLZeroReturnError:
    """The peer sent close_notify before the handshake finished."""
    return ssl.SSLZeroReturnError(ssl.SSL_ERROR_ZERO_RETURN, "TLS/SSL connection has been closed (EOF)")


def shutdown_error() -> ssl.SSLError:
    """write() after our close_notify was sent."""
    return ssl.SSLError(ssl.SSL_ERROR_SSL, "[SSL: PROTOCOL_IS_SHUTDOWN] protocol is shutdown")
