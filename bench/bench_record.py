"""Record layer throughput: protect + unprotect one write, compiled vs pure vs stdlib ssl.

Each group ("record.<suite>.<size>") times RecordWriter.write + take, then
RecordReader.feed + next_record, for 64-byte and 16 KiB application-data writes. Beside the
twins sit the stdlib `ssl` module (MemoryBIO pair, TLS 1.2, the same suite: one write()
moved to the peer and read()) and, for AES-128-GCM 16 KiB, two references: raw AESGCM
encrypt + decrypt through `cryptography`, and `openssl speed -evp aes-128-gcm` (its
bytes/s, turned into the time for two 16 KiB blocks, is in that row's extra_info, so the
compiled 16 KiB protect + unprotect can be compared with it; target ≤ 1.3×).

Run: pytest bench/bench_record.py   (bench/pytest.ini adds --benchmark-only etc.)
"""
import datetime
import hashlib
import os
import re
import shutil
import ssl
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

SIZES = [64, 16384]
# name -> (new_protection kwargs without keys, stdlib cipher string, stdlib allows EtM)
SUITES = {
    "aes128gcm": (("AES-128-GCM", 16, 4, None, False), "ECDHE-ECDSA-AES128-GCM-SHA256", True),
    "aes256gcm": (("AES-256-GCM", 32, 4, None, False), "ECDHE-ECDSA-AES256-GCM-SHA384", True),
    "chacha20": (("CHACHA20-POLY1305", 32, 12, None, False), "ECDHE-ECDSA-CHACHA20-POLY1305", True),
    "aes128cbc-sha1-mte": (("AES-128-CBC", 16, 0, "sha1", False), "ECDHE-ECDSA-AES128-SHA", False),
    "aes128cbc-sha1-etm": (("AES-128-CBC", 16, 0, "sha1", True), "ECDHE-ECDSA-AES128-SHA", True),
    "aes128cbc-sha256-etm": (("AES-128-CBC", 16, 0, "sha256", True), "ECDHE-ECDSA-AES128-SHA256", True),
    "aes256cbc-sha384-mte": (("AES-256-CBC", 32, 0, "sha384", False), "ECDHE-ECDSA-AES256-SHA384", False),
}
MAC_LEN = {"sha1": 20, "sha256": 32, "sha384": 48}
OP_NO_ENCRYPT_THEN_MAC = 1 << 19  # SSL_OP_NO_ENCRYPT_THEN_MAC (OpenSSL 1.1+/3.x)


def protection_kwargs(suite):
    cipher, klen, ivlen, mac, etm = suite
    material = hashlib.sha512(cipher.encode()).digest()
    return dict(cipher=cipher, key=material[:klen], iv=material[32 : 32 + ivlen], mac=mac,
                mac_key=material[:MAC_LEN[mac]] if mac else b"", encrypt_then_mac=etm)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", list(SUITES))
def bench_protect_unprotect(benchmark, impl, name, size):
    rec = impl.record
    writer, reader = rec.RecordWriter(), rec.RecordReader()
    writer.protection = rec.new_protection(**protection_kwargs(SUITES[name][0]))
    reader.protection = rec.new_protection(**protection_kwargs(SUITES[name][0]))
    data = os.urandom(size)

    def run():
        writer.write(23, data)
        reader.feed(writer.take())
        return reader.next_record()

    benchmark.group = f"record.{name}.{size}"
    assert benchmark(run) == (23, data)


# --- stdlib ssl over a MemoryBIO pair ----------------------------------------------------


@pytest.fixture(scope="module")
def cert_files(tmp_path_factory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    d = tmp_path_factory.mktemp("cert")
    (d / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return str(d / "cert.pem"), str(d / "key.pem")


def stdlib_pair(cert_files, ciphers, etm):
    """A handshaken TLS 1.2 client/server SSLObject pair over MemoryBIOs."""
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(*cert_files)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname, cctx.verify_mode = False, ssl.CERT_NONE
    for ctx in (sctx, cctx):
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(ciphers + ":@SECLEVEL=0")
        if not etm:
            ctx.options |= OP_NO_ENCRYPT_THEN_MAC
    cin, cout, sin, sout = (ssl.MemoryBIO() for _ in range(4))
    client = cctx.wrap_bio(cin, cout, server_side=False)
    server = sctx.wrap_bio(sin, sout, server_side=True)
    for _ in range(10):
        for obj in (client, server):
            try:
                obj.do_handshake()
            except ssl.SSLWantReadError:
                pass
        sin.write(cout.read())
        cin.write(sout.read())
    assert client.version() == "TLSv1.2" and client.cipher()[0] == ciphers
    return client, server, sin, cout


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", list(SUITES))
def bench_stdlib_ssl(benchmark, cert_files, name, size):
    client, server, sin, cout = stdlib_pair(cert_files, SUITES[name][1], SUITES[name][2])
    data = os.urandom(size)

    def run():
        client.write(data)
        sin.write(cout.read())
        return server.read(size + 1)

    benchmark.group = f"record.{name}.{size}"
    assert benchmark(run) == data


# --- raw AEAD references ------------------------------------------------------------------


def openssl_speed_aes128gcm_16k():
    """Bytes per second of `openssl speed -evp aes-128-gcm` on 16384-byte blocks, or None."""
    exe = shutil.which("openssl")
    if exe is None:
        return None
    cmd = [exe, "speed", "-evp", "aes-128-gcm", "-bytes", "16384", "-seconds", "1"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout
    match = re.search(r"^aes-128-gcm\s+([\d.]+)k\s*$", out, re.MULTILINE | re.IGNORECASE)
    return float(match.group(1)) * 1000 if match else None


def bench_cryptography_aesgcm_reference(benchmark):
    """Raw AES-128-GCM encrypt + decrypt of 16 KiB via `cryptography`; openssl speed in extra_info."""
    aead = AESGCM(bytes(16))
    data, nonce, aad = os.urandom(16384), bytes(12), bytes(13)

    def run():
        return aead.decrypt(nonce, aead.encrypt(nonce, data, aad), aad)

    benchmark.group = "record.aes128gcm.16384"
    rate = openssl_speed_aes128gcm_16k()
    if rate:
        benchmark.extra_info["openssl_speed_bytes_per_s"] = rate
        benchmark.extra_info["openssl_speed_two_16k_blocks_us"] = 2 * 16384 / rate * 1e6
    assert benchmark(run) == data
