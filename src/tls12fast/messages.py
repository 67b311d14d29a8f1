# Handshake messages and extensions as plain data (RFC 5246 §7.4, RFC 5077, RFC 6066,
# RFC 7301, RFC 7366, RFC 7627, RFC 5746, RFC 8422, RFC 8446 §4.2.1).
#
# Both codec twins (_codec_py / _codec_c) build and read these same classes, so the
# handshake states never know which twin parsed a message. Wire values are kept as raw
# ints (not enums) so unknown values round-trip; extensions keep their wire order and
# unknown ones are kept as UnknownExtension. `extensions is None` means the message had
# no extensions block at all (distinct from an empty one) so parse -> encode is byte-exact.
from __future__ import annotations

from dataclasses import dataclass, field

from .enums import ExtensionType as ET
from .enums import HandshakeType as HT

# --------------------------------------------------------------------------- extensions


@dataclass(slots=True)
class ServerNameExt:
    """server_name (RFC 6066 §3). Empty `names` is the ServerHello acknowledgement."""

    names: list = field(default_factory=list)  # [(name_type:int, name:bytes)]
    type = ET.server_name

    @property
    def host_name(self) -> str | None:
        for name_type, name in self.names:
            if name_type == 0:
                return name.decode("ascii", "replace")
        return None


@dataclass(slots=True)
class SupportedGroupsExt:
    """supported_groups (RFC 8422 §5.1.1, RFC 7919)."""

    groups: list = field(default_factory=list)  # [int]
    type = ET.supported_groups


@dataclass(slots=True)
class ECPointFormatsExt:
    """ec_point_formats (RFC 8422 §5.1.2); 0 = uncompressed."""

    formats: list = field(default_factory=list)  # [int]
    type = ET.ec_point_formats


@dataclass(slots=True)
class SignatureAlgorithmsExt:
    """signature_algorithms (RFC 5246 §7.4.1.4.1), as 16-bit SignatureScheme values."""

    schemes: list = field(default_factory=list)  # [int]
    type = ET.signature_algorithms


@dataclass(slots=True)
class ALPNExt:
    """application_layer_protocol_negotiation (RFC 7301 §3.1)."""

    protocols: list = field(default_factory=list)  # [bytes]
    type = ET.application_layer_protocol_negotiation


@dataclass(slots=True)
class SessionTicketExt:
    """SessionTicket (RFC 5077 §3.2); empty ticket = "send me one" / "I will send one"."""

    ticket: bytes = b""
    type = ET.session_ticket


@dataclass(slots=True)
class ExtendedMasterSecretExt:
    """extended_master_secret (RFC 7627 §5.1); always empty."""

    type = ET.extended_master_secret


@dataclass(slots=True)
class EncryptThenMacExt:
    """encrypt_then_mac (RFC 7366 §2); always empty."""

    type = ET.encrypt_then_mac


@dataclass(slots=True)
class RenegotiationInfoExt:
    """renegotiation_info (RFC 5746 §3.2); empty on an initial handshake."""

    renegotiated_connection: bytes = b""
    type = ET.renegotiation_info


@dataclass(slots=True)
class StatusRequestExt:
    """status_request (RFC 6066 §8), body kept raw (empty in ServerHello)."""

    data: bytes = b""
    type = ET.status_request


@dataclass(slots=True)
class SupportedVersionsExt:
    """supported_versions, ClientHello form (RFC 8446 §4.2.1): parsed to pick TLS 1.2."""

    versions: list = field(default_factory=list)  # [int]
    type = ET.supported_versions


@dataclass(slots=True)
class UnknownExtension:
    """Any extension we do not interpret, kept byte-exact."""

    ext_type: int
    data: bytes = b""

    @property
    def type(self) -> int:
        return self.ext_type


def find_extension(extensions, ext_type: int):
    """Return the first extension of `ext_type` in a list (or None)."""
    if extensions:
        for ext in extensions:
            if ext.type == ext_type:
                return ext
    return None


# --------------------------------------------------------------------------- messages


class _HasExtensions:
    __slots__ = ()

    def find(self, ext_type: int):
        return find_extension(self.extensions, ext_type)


@dataclass(slots=True)
class HelloRequest:
    msg_type = HT.hello_request


@dataclass(slots=True)
class ClientHello(_HasExtensions):
    """RFC 5246 §7.4.1.2."""

    version: int
    random: bytes
    session_id: bytes
    cipher_suites: list  # [int]
    compression_methods: bytes = b"\x00"
    extensions: list | None = None
    msg_type = HT.client_hello


@dataclass(slots=True)
class ServerHello(_HasExtensions):
    """RFC 5246 §7.4.1.3."""

    version: int
    random: bytes
    session_id: bytes
    cipher_suite: int
    compression_method: int = 0
    extensions: list | None = None
    msg_type = HT.server_hello


@dataclass(slots=True)
class Certificate:
    """RFC 5246 §7.4.2 / §7.4.6: a list of DER certificates, leaf first."""

    certificates: list  # [bytes]
    msg_type = HT.certificate


@dataclass(slots=True)
class ServerKeyExchangeECDHE:
    """RFC 8422 §5.4: named_curve params (curve_type 3) + signature.

    `params` is the exact signed ServerECDHParams encoding (set by the codec when parsing
    or encoding); the signature covers client_random + server_random + params.
    """

    named_group: int
    public: bytes
    scheme: int
    signature: bytes
    msg_type = HT.server_key_exchange

    @property
    def params(self) -> bytes:
        return bytes((3,)) + self.named_group.to_bytes(2, "big") + bytes((len(self.public),)) + self.public


@dataclass(slots=True)
class ServerKeyExchangeDHE:
    """RFC 5246 §7.4.3 ServerDHParams + signature."""

    p: bytes
    g: bytes
    ys: bytes
    scheme: int
    signature: bytes
    msg_type = HT.server_key_exchange

    @property
    def params(self) -> bytes:
        out = b""
        for v in (self.p, self.g, self.ys):
            out += len(v).to_bytes(2, "big") + v
        return out


@dataclass(slots=True)
class CertificateRequest:
    """RFC 5246 §7.4.4."""

    certificate_types: list  # [int]
    signature_schemes: list  # [int]
    authorities: list  # [bytes] DER DistinguishedName
    msg_type = HT.certificate_request


@dataclass(slots=True)
class ServerHelloDone:
    msg_type = HT.server_hello_done


@dataclass(slots=True)
class CertificateVerify:
    """RFC 5246 §7.4.8 (digitally-signed: scheme + signature)."""

    scheme: int
    signature: bytes
    msg_type = HT.certificate_verify


@dataclass(slots=True)
class ClientKeyExchange:
    """RFC 5246 §7.4.7: kx "RSA" (EncryptedPreMasterSecret, u16 vector), "DHE" (dh_Yc,
    u16 vector) or "ECDHE" (ecdh_Yc, u8 vector)."""

    kx: str
    exchange: bytes
    msg_type = HT.client_key_exchange


@dataclass(slots=True)
class Finished:
    """RFC 5246 §7.4.9."""

    verify_data: bytes
    msg_type = HT.finished


@dataclass(slots=True)
class NewSessionTicket:
    """RFC 5077 §3.3."""

    lifetime_hint: int
    ticket: bytes
    msg_type = HT.new_session_ticket
