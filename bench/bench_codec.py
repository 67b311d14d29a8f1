"""Handshake codec benchmarks: compiled vs pure twin, side by side per group.

The ClientHello is a real capture (Python ssl / OpenSSL 3, 512 bytes, 12 extensions, from
tests/data); the ServerHello is a typical TLS 1.2 answer (renegotiation_info, EMS,
session ticket, ALPN, ec_point_formats); the Certificate carries a real 2-certificate
chain made with `cryptography`.
"""
import datetime
import pathlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tls12fast import _codec_py
from tls12fast.messages import (
    ALPNExt,
    Certificate,
    ECPointFormatsExt,
    ExtendedMasterSecretExt,
    RenegotiationInfoExt,
    ServerHello,
    SessionTicketExt,
)

CLIENT_HELLO = (pathlib.Path(__file__).parent.parent / "tests" / "data" / "client_hello_stdlib_ssl.bin").read_bytes()

SERVER_HELLO = _codec_py.encode_handshake(ServerHello(
    0x0303, bytes(range(32)), bytes(range(32, 64)), 0xC02F, 0,
    [RenegotiationInfoExt(b""), ECPointFormatsExt([0]), SessionTicketExt(b""), ExtendedMasterSecretExt(),
     ALPNExt([b"h2"])],
))


def _chain() -> list:
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench CA")])
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench.example")])

    def cert(subject, key, issuer, signer, ca):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName("bench.example")]), False)
        return builder.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    return [cert(leaf_name, leaf_key, ca_name, ca_key, False), cert(ca_name, ca_key, ca_name, ca_key, True)]


CERTIFICATE = _codec_py.encode_handshake(Certificate(_chain()))


def bench_client_hello_parse(benchmark, impl):
    benchmark.group = "codec.client_hello.parse"
    body = CLIENT_HELLO[4:]
    msg = benchmark(impl.codec.decode_handshake, 1, body)
    assert len(msg.extensions) == 12


def bench_client_hello_encode(benchmark, impl):
    benchmark.group = "codec.client_hello.encode"
    msg = impl.codec.decode_handshake(1, CLIENT_HELLO[4:])
    assert benchmark(impl.codec.encode_handshake, msg) == CLIENT_HELLO


def bench_server_hello_parse(benchmark, impl):
    benchmark.group = "codec.server_hello.parse"
    msg = benchmark(impl.codec.decode_handshake, 2, SERVER_HELLO[4:])
    assert msg.cipher_suite == 0xC02F


def bench_certificate_parse(benchmark, impl):
    benchmark.group = "codec.certificate.parse"
    msg = benchmark(impl.codec.decode_handshake, 11, CERTIFICATE[4:])
    assert len(msg.certificates) == 2


def bench_joiner_client_hello(benchmark, impl):
    benchmark.group = "codec.joiner.client_hello"

    def run():
        joiner = impl.codec.HandshakeJoiner()
        joiner.feed(CLIENT_HELLO)
        return joiner.pop()

    assert benchmark(run)[2] == CLIENT_HELLO
