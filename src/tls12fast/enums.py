# Wire code points (IANA TLS registries). The codec keeps raw ints so unknown values
# round-trip; these IntEnums only give known values their names.
from __future__ import annotations

from enum import IntEnum


class ContentType(IntEnum):
    # RFC 5246 §6.2.1
    change_cipher_spec = 20
    alert = 21
    handshake = 22
    application_data = 23


class HandshakeType(IntEnum):
    # RFC 5246 §7.4, RFC 5077 §3.3
    hello_request = 0
    client_hello = 1
    server_hello = 2
    new_session_ticket = 4
    certificate = 11
    server_key_exchange = 12
    certificate_request = 13
    server_hello_done = 14
    certificate_verify = 15
    client_key_exchange = 16
    finished = 20


class AlertLevel(IntEnum):
    warning = 1
    fatal = 2


class AlertDescription(IntEnum):
    # RFC 5246 §7.2, RFC 7301, RFC 7507, RFC 8446 §6 (certificate_required)
    close_notify = 0
    unexpected_message = 10
    bad_record_mac = 20
    record_overflow = 22
    handshake_failure = 40
    bad_certificate = 42
    unsupported_certificate = 43
    certificate_revoked = 44
    certificate_expired = 45
    certificate_unknown = 46
    illegal_parameter = 47
    unknown_ca = 48
    access_denied = 49
    decode_error = 50
    decrypt_error = 51
    protocol_version = 70
    insufficient_security = 71
    internal_error = 80
    inappropriate_fallback = 86
    user_canceled = 90
    no_renegotiation = 100
    unsupported_extension = 110
    unrecognized_name = 112
    certificate_required = 116
    no_application_protocol = 120

    @classmethod
    def _missing_(cls, value):
        # Alerts from the wire may carry codes we do not name; keep them as pseudo-members
        # ("unknown_<code>") so `.alert.name` works everywhere and the code round-trips.
        if isinstance(value, int) and 0 <= value <= 255:
            member = int.__new__(cls, value)
            member._name_ = f"unknown_{value}"
            member._value_ = value
            return member
        return None


class ExtensionType(IntEnum):
    server_name = 0
    status_request = 5
    supported_groups = 10
    ec_point_formats = 11
    signature_algorithms = 13
    application_layer_protocol_negotiation = 16
    padding = 21
    encrypt_then_mac = 22
    extended_master_secret = 23
    session_ticket = 35
    supported_versions = 43
    renegotiation_info = 0xFF01


# The extension types the handshake states look up on every hello, as plain ints: a module
# global is one dictionary lookup, an IntEnum member several.
EXT_SERVER_NAME = int(ExtensionType.server_name)
EXT_EC_POINT_FORMATS = int(ExtensionType.ec_point_formats)
EXT_ALPN = int(ExtensionType.application_layer_protocol_negotiation)
EXT_ETM = int(ExtensionType.encrypt_then_mac)
EXT_EMS = int(ExtensionType.extended_master_secret)
EXT_SESSION_TICKET = int(ExtensionType.session_ticket)
EXT_SUPPORTED_VERSIONS = int(ExtensionType.supported_versions)
EXT_RENEGOTIATION_INFO = int(ExtensionType.renegotiation_info)


class NamedGroup(IntEnum):
    secp256r1 = 23
    secp384r1 = 24
    x25519 = 29
    ffdhe2048 = 256
    ffdhe3072 = 257


class SignatureScheme(IntEnum):
    rsa_pkcs1_sha1 = 0x0201
    ecdsa_sha1 = 0x0203
    rsa_pkcs1_sha256 = 0x0401
    rsa_pkcs1_sha384 = 0x0501
    rsa_pkcs1_sha512 = 0x0601
    ecdsa_secp256r1_sha256 = 0x0403
    ecdsa_secp384r1_sha384 = 0x0503
    ecdsa_secp521r1_sha512 = 0x0603
    rsa_pss_rsae_sha256 = 0x0804
    rsa_pss_rsae_sha384 = 0x0805
    rsa_pss_rsae_sha512 = 0x0806


class ProtocolVersion(IntEnum):
    SSLv3 = 0x0300
    TLSv1 = 0x0301
    TLSv1_1 = 0x0302
    TLSv1_2 = 0x0303
    TLSv1_3 = 0x0304


# Signalling cipher suite values (RFC 5746 §3.3, RFC 7507 §2)
TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00FF
TLS_FALLBACK_SCSV = 0x5600
