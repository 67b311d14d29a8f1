# Server-side choice of cipher suite, certificate, group and signature scheme from a
# ClientHello.
#
# How this works: suites are tried in the server's preference order (config.suites); a
# suite is usable when the client offered it, one of our certificates can authenticate
# it, and its key exchange can run:
#   ECDHE  an EC group both support (RFC 8422 §4: no supported_groups = any group) and
#          uncompressed points (RFC 8422 §5.1.2: ec_point_formats, if sent, must list 0);
#   DHE    RFC 7919 §4: if the client lists ffdhe groups, one we support, else skip DHE;
#          if it lists none, our config.dhe_group;
#   signed params (ECDHE/DHE) need a scheme in config ∩ client signature_algorithms ∩ the
#          key's schemes. Without signature_algorithms the client only accepts SHA-1
#          (RFC 5246 §7.4.1.4.1), which we never sign with, so only RSA key exchange is
#          left in that case.
# Among certificates of the right key type, one matching the SNI name is preferred; the
# first usable one is the default.
from __future__ import annotations

from typing import NamedTuple

from ..enums import ExtensionType as ET
from ..enums import NamedGroup
from ..errors import HandshakeFailure

__all__ = ["Choice", "choose"]

_EC_GROUPS = frozenset((NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1))
_FFDHE = frozenset((NamedGroup.ffdhe2048, NamedGroup.ffdhe3072))


class Choice(NamedTuple):
    """What the server negotiated: suite row, CertifiedKey, group (or None), scheme (or None),
    and whether the certificate was picked for the client's SNI name."""

    suite: object
    certificate: object
    group: int | None
    scheme: int | None
    sni_matched: bool


def _ecdhe_group(config, client_groups, points_ok: bool):
    if not points_ok:
        return None
    for group in config.groups:
        if group in _EC_GROUPS and (client_groups is None or group in client_groups):
            return group
    return None


def _dhe_group(config, client_groups):
    offered = [g for g in client_groups or () if 256 <= g <= 511]  # RFC 7919 ffdhe range
    if not offered:
        return config.dhe_group
    for group in config.groups:
        if group in _FFDHE and group in offered:
            return group
    return None


def choose(config, hello, server_name: str | None) -> Choice:
    """Pick the suite, certificate, group and scheme for `hello`.

    Raises:
        HandshakeFailure: nothing acceptable to both sides (RFC 5246 §7.4.1.3).
    """
    offered = frozenset(hello.cipher_suites)
    groups_ext = hello.find(ET.supported_groups)
    client_groups = frozenset(groups_ext.groups) if groups_ext is not None else None
    points = hello.find(ET.ec_point_formats)
    points_ok = points is None or 0 in points.formats
    sigs = hello.find(ET.signature_algorithms)
    client_schemes = frozenset(sigs.schemes) if sigs is not None else frozenset()
    ecdhe = _ecdhe_group(config, client_groups, points_ok)
    dhe = _dhe_group(config, client_groups)

    # Certificates: SNI matches first, then the rest in configuration order.
    certs = list(config.certificates)
    if server_name:
        certs.sort(key=lambda c: not c.matches_server_name(server_name))

    for suite in config.suites:
        if suite.code not in offered:
            continue
        group = None
        if suite.kx == "ECDHE":
            group = ecdhe
        elif suite.kx == "DHE":
            group = dhe
        if suite.kx != "RSA" and group is None:
            continue
        for cert in certs:
            if cert.key_type != suite.auth:
                continue
            scheme = None
            if suite.kx != "RSA":
                scheme = next((s for s in config.signature_schemes
                               if s in client_schemes and s in cert.signature_schemes), None)
                if scheme is None:
                    continue
            matched = bool(server_name) and cert.matches_server_name(server_name)
            return Choice(suite, cert, group, scheme, matched)
    raise HandshakeFailure("no cipher suite acceptable to both sides")
