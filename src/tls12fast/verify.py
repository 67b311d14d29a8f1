# Peer chain verification, taken from `cryptography` (X.509 parsing and the
# cryptography.x509.verification path builder), against a certs.TrustStore.
#
# verify_server_chain / verify_client_chain: path validation (RFC 5280 via the webpki
#   profile cryptography implements); failures become CertificateError carrying the alert
#   RFC 5246 §7.2.2 asks for: certificate_expired, unknown_ca or bad_certificate. Verdicts
#   for chains seen before come from the TrustStore's verified-chain cache (certs.py).
# load_peer_chain: the peer's DER list -> (x509 objects, leaf public key), remembered for
#   the last few distinct chains (exact DER bytes; the objects are immutable), so a busy
#   client or client-auth server does not re-parse the same chain every handshake.
from __future__ import annotations

import datetime
import functools
import ipaddress
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    Criticality,
    DNSName,
    ExtensionPolicy,
    IPAddress,
    PolicyBuilder,
    VerificationError,
)

from .enums import AlertDescription
from .errors import CertificateError

if TYPE_CHECKING:  # certs.py imports this module to re-export its names
    from .certs import TrustStore

__all__ = ["load_peer_chain", "verify_server_chain", "verify_client_chain"]


_NO_VALIDATOR = None


def _eku_validator(purpose):
    def check(policy, cert, eku):
        if eku is not None and purpose not in eku and ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in eku:
            raise ValueError(f"certificate is not valid for {purpose._name}")

    return check


@functools.lru_cache(maxsize=2)
def _policies(purpose) -> tuple[ExtensionPolicy, ExtensionPolicy]:
    # webpki profile, but: the leaf need not have a subjectAltName (client certificates
    # rarely do, and the name was not asked for), and the EKU, when present, must allow
    # `purpose` on the leaf and on every CA (the serverAuth verifier's rule).
    eku = _eku_validator(purpose)
    ca = ExtensionPolicy.webpki_defaults_ca().may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, eku)
    ee = (
        ExtensionPolicy.webpki_defaults_ee()
        .may_be_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, _NO_VALIDATOR)
        .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, eku)
    )
    return ca, ee


def _parse_chain(chain) -> list:
    if not chain:
        raise CertificateError("the peer sent no certificate", AlertDescription.bad_certificate)
    certs = []
    for i, der in enumerate(chain):
        # A serial number <= 0 (RFC 5280 §4.1.2.2 requires a positive one) makes
        # cryptography warn now and raise in a later release. Rejected here either way, so
        # the verdict does not depend on the warning filters: under `-W error` the load
        # raises the warning itself, otherwise the explicit check below catches it.
        try:
            cert = x509.load_der_x509_certificate(bytes(der))
            if cert.serial_number <= 0:
                raise ValueError("non-positive serial number")
        except (ValueError, x509.InvalidVersion, CryptographyDeprecationWarning):
            raise CertificateError(f"certificate #{i} in the peer's chain cannot be parsed") from None
        certs.append(cert)
    return certs


@functools.lru_cache(maxsize=32)
def _load_chain(ders: tuple) -> tuple:
    certs = _parse_chain(ders)
    try:
        key = certs[0].public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise CertificateError("unsupported peer certificate key",
                               AlertDescription.unsupported_certificate) from None
    return tuple(certs), key


def load_peer_chain(ders) -> tuple[list, object]:
    """Parse a Certificate message's DER list (leaf first); recent chains are cached.

    Returns:
        (list of x509.Certificate, the leaf's public key).

    Raises:
        CertificateError: bad_certificate for an empty list or an unparseable
            certificate, unsupported_certificate for a key cryptography cannot load.
    """
    certs, key = _load_chain(tuple(der if type(der) is bytes else bytes(der) for der in ders))
    return list(certs), key


# cryptography parses some fields of a loaded certificate (names, extensions) only when
# they are used, inside the verifier too, and raises these for malformed ones.
_MALFORMED = (ValueError, KeyError, TypeError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType)


def _subject(cert) -> str:
    try:
        return cert.subject.rfc4514_string() or "<empty subject>"
    except _MALFORMED:  # only for a message: the verdict is decided elsewhere
        return "<malformed subject>"


def _fail(certs: list, now: datetime.datetime, exc: Exception) -> CertificateError:
    for cert in certs:
        if now > cert.not_valid_after_utc:
            return CertificateError(
                f"certificate {_subject(cert)!r} expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M}Z",
                AlertDescription.certificate_expired,
            )
        if now < cert.not_valid_before_utc:
            return CertificateError(
                f"certificate {_subject(cert)!r} is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M}Z",
                AlertDescription.certificate_expired,
            )
    reason = str(exc).split(" (encountered", 1)[0].removeprefix("validation failed: ")
    reason = reason.removeprefix("Python extension validator failed: ValueError: ")
    if "candidates exhausted" in reason:
        return CertificateError(
            f"certificate {_subject(certs[0])!r} does not chain to a trusted CA", AlertDescription.unknown_ca
        )
    return CertificateError(f"certificate {_subject(certs[0])!r} rejected: {reason}", AlertDescription.bad_certificate)


def _builder(store: TrustStore, now: datetime.datetime) -> PolicyBuilder:
    return PolicyBuilder().store(store.store).time(now)


def _verify_nameless(certs, store, now, purpose) -> list:
    ca, ee = _policies(purpose)
    verifier = _builder(store, now).extension_policies(ca_policy=ca, ee_policy=ee).build_client_verifier()
    return verifier.verify(certs[0], certs[1:]).chain


def _now(now):
    if now is None:
        return datetime.datetime.now(datetime.timezone.utc)
    return now if now.tzinfo is not None else now.replace(tzinfo=datetime.timezone.utc)


@functools.lru_cache(maxsize=256)
def _server_subject(name: str):
    """IPAddress or DNSName for a (dot-stripped) server name, or None if it is neither."""
    # Only strings that look like addresses go to ipaddress (its parser raises, slowly,
    # for every DNS name); anything it rejects is tried as a DNS name.
    if ":" in name or name[-1:].isdigit():
        try:
            return IPAddress(ipaddress.ip_address(name))
        except ValueError:
            pass
    try:
        return DNSName(name)
    except ValueError:  # not a usable DNS name (e.g. non-ASCII, empty labels)
        return None


def _cached(store: TrustStore, purpose: str, name, chain, now, verify) -> list:
    # The verified-chain cache (module comment) around verify(), which raises on failure.
    cache = store._cache
    if cache is None or not chain:
        return _checked(verify)
    key = (purpose, name, tuple(der if type(der) is bytes else bytes(der) for der in chain))
    stamp = now.timestamp()
    path = cache.get(key, stamp)
    if path is None:
        path = _checked(verify)
        cache.put(key, path, stamp)  # reached only on success
    return path


def _checked(verify) -> list:
    # A field cryptography cannot parse lazily (see _MALFORMED) is the peer's malformed
    # certificate: bad_certificate (RFC 5246 §7.2.2), not an internal error.
    try:
        return verify()
    except _MALFORMED:
        raise CertificateError("a certificate in the peer's chain has a malformed field",
                               AlertDescription.bad_certificate) from None


def verify_server_chain(
    chain: list, store: TrustStore, server_name: str | None, check_hostname: bool = True, now=None
) -> list:
    """Verify a server's Certificate message against `store`.

    A recent identical success is answered from the store's verified-chain cache (see
    the module comment); failures always run the full verification.

    Args:
        chain: DER certificates as sent, leaf first.
        store: the trust anchors.
        server_name: the name the client connected to (DNS name or IP address).
        check_hostname: False (or server_name None) verifies the path only.
        now: verification time (aware or UTC-naive datetime); default: now.

    Returns:
        The verified path, leaf first, ending with the trust anchor.

    Raises:
        CertificateError: alert certificate_expired, unknown_ca or bad_certificate.
    """
    now = _now(now)
    name = server_name.rstrip(".") if check_hostname and server_name else None
    return _cached(store, "server", name, chain, now,
                   lambda: _verify_server(_parse_chain(chain), store, server_name, name, now))


def _verify_server(certs: list, store: TrustStore, server_name, name, now) -> list:
    purpose = ExtendedKeyUsageOID.SERVER_AUTH
    if name is None:
        try:
            return _verify_nameless(certs, store, now, purpose)
        except VerificationError as exc:
            raise _fail(certs, now, exc) from None
    subject = _server_subject(name) if name else None
    if subject is None:
        raise CertificateError(f"server name {server_name!r} is not a valid host name")
    try:
        return _builder(store, now).build_server_verifier(subject).verify(certs[0], certs[1:])
    except VerificationError as exc:
        # Raised straight from the helper: an error kept in a local here would form a
        # frame <-> traceback cycle that keeps the whole connection alive until a GC pass.
        raise _server_failure(certs, store, now, purpose, server_name, exc) from None


def _server_failure(certs: list, store: TrustStore, now, purpose, server_name, exc) -> CertificateError:
    error = _fail(certs, now, exc)
    if error.alert != AlertDescription.bad_certificate:
        return error
    # Tell a name mismatch apart from other failures: does the path verify without it?
    try:
        _verify_nameless(certs, store, now, purpose)
    except VerificationError:
        return error
    return CertificateError(
        f"certificate {_subject(certs[0])!r} is not valid for {server_name!r} "
        f"(it names {', '.join(_san_strings(certs[0])) or 'nothing'})",
        AlertDescription.bad_certificate,
    )


def _san_strings(cert) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, *_MALFORMED):
        return []
    return [str(v) for v in san.get_values_for_type(x509.DNSName) + san.get_values_for_type(x509.IPAddress)]


def verify_client_chain(chain: list, store: TrustStore, now=None) -> list:
    """Verify a client's Certificate message (clientAuth EKU if an EKU is present).

    Uses the store's verified-chain cache like verify_server_chain.

    Returns:
        The verified path, leaf first, ending with the trust anchor.

    Raises:
        CertificateError: alert certificate_expired, unknown_ca or bad_certificate.
    """
    now = _now(now)
    return _cached(store, "client", None, chain, now, lambda: _verify_client(_parse_chain(chain), store, now))


def _verify_client(certs: list, store: TrustStore, now) -> list:
    try:
        return _verify_nameless(certs, store, now, ExtendedKeyUsageOID.CLIENT_AUTH)
    except VerificationError as exc:
        raise _fail(certs, now, exc) from None
