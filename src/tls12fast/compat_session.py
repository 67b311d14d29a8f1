# Connection details for the ssl-compatible facade: SSLSession, certificate dicts and
# OpenSSL-style suite names.
#
# How this works: SSLSession wraps a tls12fast SessionState so it can be handed back as
# `session=` (RFC 5246 §7.4.1.2 session ID, RFC 5077 ticket). getpeercert() returns the
# dict layout of ssl.SSLSocket.getpeercert(), decoded from DER with `cryptography`.
# cipher() reports (OpenSSL name, "TLSv1.2", secret bits); those tuples are computed once
# per suite and cached, since asyncio asks for them on every handshake.
from __future__ import annotations

import datetime

__all__ = ["SSLSession", "openssl_name", "suite_tuple", "decode_cert"]


def openssl_name(iana: str) -> str:
    """OpenSSL's name for an IANA TLS 1.2 suite name (e.g. "ECDHE-RSA-AES128-GCM-SHA256")."""
    kx_auth, _, rest = iana[4:].partition("_WITH_")
    prefix = {"RSA": "", "ECDHE_RSA": "ECDHE-RSA-", "ECDHE_ECDSA": "ECDHE-ECDSA-",
              "DHE_RSA": "DHE-RSA-"}[kx_auth]
    if rest.startswith("CHACHA20_POLY1305"):
        return prefix + "CHACHA20-POLY1305"
    bits, mode, mac = rest[4:7], rest[8:11], rest[12:]
    if mode == "GCM":
        return f"{prefix}AES{bits}-GCM-{mac}"
    return f"{prefix}AES{bits}-{mac}"


_SUITE_TUPLES: dict[str, tuple[str, str, int]] = {}


def suite_tuple(suite) -> tuple[str, str, int]:
    """ssl-style cipher() tuple for a CipherSuite, e.g. ("ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2", 128)."""
    found = _SUITE_TUPLES.get(suite.name)
    if found is None:
        found = _SUITE_TUPLES[suite.name] = (openssl_name(suite.name), "TLSv1.2", suite.key_len * 8)
    return found


class SSLSession:
    """A resumable session, as returned by `SSLObject.session` (ssl.SSLSession-like).

    Wraps a tls12fast SessionState; pass it back as `session=` to wrap_bio/wrap_socket.
    """

    __slots__ = ("_state",)

    def __init__(self, state):
        self._state = state

    @property
    def id(self) -> bytes:
        return self._state.session_id

    @property
    def time(self) -> int:
        return int(self._state.created_at)

    @property
    def timeout(self) -> int:
        return self._state.lifetime

    @property
    def ticket_lifetime_hint(self) -> int:
        return self._state.ticket_lifetime_hint

    @property
    def has_ticket(self) -> bool:
        return bool(self._state.ticket)

    def __eq__(self, other):
        return isinstance(other, SSLSession) and other._state == self._state

    def __hash__(self):
        return hash(self._state.session_id) ^ hash(self._state.ticket)

    def __repr__(self) -> str:
        return f"<tls12fast SSLSession id={self.id.hex()[:16]} ticket={self.has_ticket}>"


_OID_NAMES = {"CN": "commonName", "O": "organizationName", "OU": "organizationalUnitName",
              "C": "countryName", "ST": "stateOrProvinceName", "L": "localityName"}


def decode_cert(der: bytes) -> dict:
    """ssl.SSLSocket.getpeercert()-style dict for a DER certificate."""
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)

    def name(n):
        return tuple(((_OID_NAMES.get(a.rfc4514_attribute_name, a.oid.dotted_string), a.value),)
                     for a in n)

    def when(t: datetime.datetime) -> str:  # OpenSSL's ASN1_TIME_print format
        return f"{t:%b} {t.day:2d} {t:%H:%M:%S %Y} GMT"

    out = {"subject": name(cert.subject), "issuer": name(cert.issuer), "version": cert.version.value + 1,
           "serialNumber": f"{cert.serial_number:X}", "notBefore": when(cert.not_valid_before_utc),
           "notAfter": when(cert.not_valid_after_utc)}
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        out["subjectAltName"] = tuple(
            [("DNS", v) for v in san.get_values_for_type(x509.DNSName)]
            + [("IP Address", str(v)) for v in san.get_values_for_type(x509.IPAddress)])
    except x509.ExtensionNotFound:
        pass
    return out
