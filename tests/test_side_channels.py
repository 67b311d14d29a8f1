# Side channels (DESIGN.md §4, docs/side-channels.md), on both twins:
# - RSA key exchange (RFC 5246 §7.4.7.1): a ClientKeyExchange with bad PKCS#1 padding,
#   a wrong length or a wrong version takes the same code path as a good one and as a
#   well-formed but wrong premaster: no alert at ClientKeyExchange, one identical alert at
#   the client's Finished record.
# - CBC MAC-then-encrypt (Lucky 13): crafted records with bad padding and/or bad MAC are
#   all consumed and answered with the same BadRecordMac / bad_record_mac.
# - Finished is compared in constant time (hmac.compare_digest), and no comparison of a
#   secret-looking value in the package uses == / !=.
# Tests never assert timings; tools/lucky13_timing.py prints a coarse, non-asserting report.
from __future__ import annotations

import ast
import hmac
import os
import pathlib
import types

import pytest
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

import tls12fast as t
from tls12fast import connection as connection_module
from tls12fast import crypto
from tls12fast.certs import CertifiedKey
from tls12fast.enums import AlertDescription as AD
from tls12fast.enums import ContentType, HandshakeType
from tls12fast.suites import BY_NAME

from _pair import fatal_alert, handshake, make_pair

RSA_SUITE = "TLS_RSA_WITH_AES_128_GCM_SHA256"


def _split(flight: bytes) -> list[bytes]:
    """Wire bytes -> list of whole records (header included)."""
    out, pos = [], 0
    while pos < len(flight):
        end = pos + 5 + int.from_bytes(flight[pos + 3:pos + 5], "big")
        out.append(flight[pos:end])
        pos = end
    return out


# --------------------------------------------------------------------------- RSA key exchange


def _pkcs1(k: int, message: bytes, block_type: int = 2) -> bytes:
    """EME-PKCS1-v1_5 block 00 ‖ BT ‖ nonzero padding ‖ 00 ‖ message (RFC 8017 §7.2.1)."""
    pad = bytes(b % 255 + 1 for b in os.urandom(k - 3 - len(message)))
    return b"\x00" + bytes((block_type,)) + pad + b"\x00" + message


def _raw_rsa(public_key, block: bytes) -> bytes:
    """Textbook RSA c = m^e mod n: lets the test send any block, well padded or not."""
    numbers = public_key.public_numbers()
    k = (numbers.n.bit_length() + 7) // 8
    return pow(int.from_bytes(block, "big"), numbers.e, numbers.n).to_bytes(k, "big")


def _version_pm(version: bytes, size: int = 48) -> bytes:
    return version + os.urandom(size - 2)


# Each case: (public_key, the client's real premaster) -> (EncryptedPreMasterSecret, the
# secret the client then derives its keys from). Deriving from the crafted plaintext
# means a server that leniently accepted it would complete the handshake, so the test
# would fail: only the random fallback R makes every case fail alike.
def _good(pub, pm):
    return pub.encrypt(pm, padding.PKCS1v15()), pm


def _random_premaster(pub, pm):  # well formed, but not what the client keyed with
    return pub.encrypt(_version_pm(b"\x03\x03"), padding.PKCS1v15()), pm


def _wrong_version(version):
    def case(pub, _pm):
        pm = _version_pm(version)
        return pub.encrypt(pm, padding.PKCS1v15()), pm
    return case


def _wrong_length(size):
    def case(pub, _pm):
        pm = _version_pm(b"\x03\x03", size)
        return pub.encrypt(pm, padding.PKCS1v15()), pm
    return case


def _bad_block_type(pub, pm):
    return _raw_rsa(pub, _pkcs1(pub.key_size // 8, pm, block_type=1)), pm


def _no_separator(pub, pm):
    k = pub.key_size // 8
    block = b"\x00\x02" + bytes(b % 255 + 1 for b in os.urandom(k - 2 - 48)) + pm
    return _raw_rsa(pub, block), pm


def _short_padding(pub, pm):  # fewer than the 8 padding bytes PKCS#1 v1.5 requires
    k = pub.key_size // 8
    block = b"\x00\x02" + b"\x11" * 7 + b"\x00" + os.urandom(k - 10 - 48) + pm
    return _raw_rsa(pub, block), pm


def _unpadded(pub, pm):  # textbook RSA of the bare 48 bytes
    return _raw_rsa(pub, pm), pm


def _short_ciphertext(pub, pm):
    return pub.encrypt(pm, padding.PKCS1v15())[1:], pm


def _zero_ciphertext(pub, pm):
    return bytes(pub.key_size // 8), pm


BAD_CASES = {
    "random_premaster": _random_premaster,
    "version_0302": _wrong_version(b"\x03\x02"),
    "version_0300": _wrong_version(b"\x03\x00"),
    "length_47": _wrong_length(47),
    "length_49": _wrong_length(49),
    "block_type_1": _bad_block_type,
    "no_zero_separator": _no_separator,
    "short_padding": _short_padding,
    "unpadded": _unpadded,
    "ciphertext_one_byte_short": _short_ciphertext,
    "ciphertext_zero": _zero_ciphertext,
}


class _DecryptSpy:
    """Stands in for the RSA private key: counts decrypt() calls and whether they raised."""

    def __init__(self, key):
        self._key = key
        self.calls = []

    def decrypt(self, ciphertext, pad):
        try:
            result = self._key.decrypt(ciphertext, pad)
        except Exception as exc:
            self.calls.append(type(exc).__name__)
            raise
        self.calls.append(len(result))
        return result

    def __getattr__(self, name):
        return getattr(self._key, name)


def _rsa_attempt(pki, twin, monkeypatch, case):
    """Run a handshake whose ClientKeyExchange comes from `case`; feed the server the
    client's flight record by record. Returns (outcome, server spies)."""
    key = CertifiedKey.load(pki.rsa_cert, pki.rsa_key)
    key.private_key = spy = _DecryptSpy(key.private_key)
    results = []
    real_decrypt = CertifiedKey.decrypt_premaster

    def decrypt_premaster(self, encrypted, client_version):
        try:
            premaster = real_decrypt(self, encrypted, client_version)
        except BaseException as exc:  # the contract is "never raises"
            results.append(exc)
            raise
        results.append(len(premaster))
        return premaster

    monkeypatch.setattr(CertifiedKey, "decrypt_premaster", decrypt_premaster)
    pair = make_pair(pki, twin, server_kw={"certificates": [key], "cipher_suites": [RSA_SUITE]})
    crafted = {}

    def encrypt(public_key, premaster):
        crafted["exchange"], crafted["secret"] = case(public_key, premaster)
        return crafted["exchange"]

    monkeypatch.setattr(crypto, "rsa_encrypt_premaster", encrypt)
    real_establish = pair.client.establish_master_secret
    pair.client.establish_master_secret = lambda pm: real_establish(crafted["secret"])

    pair.server.receive_data(pair.client.data_to_send())
    pair.client.receive_data(pair.server.data_to_send())
    cke, ccs, finished = _split(pair.client.data_to_send())
    assert cke[5] == HandshakeType.client_key_exchange and ccs[0] == ContentType.change_cipher_spec
    steps = []
    for record in (cke, ccs, finished):
        try:
            events = pair.server.receive_data(record)
        except t.TLSError as exc:
            steps.append((type(exc), exc.alert, str(exc), pair.server.data_to_send()))
            break
        steps.append((events, pair.server.data_to_send(), type(pair.server._state).__name__))
    return steps, spy.calls, results, pair


def test_rsa_good_premaster_completes(pki, twin, monkeypatch):
    # The control: the same harness with an honest ClientKeyExchange succeeds.
    steps, calls, results, pair = _rsa_attempt(pki, twin, monkeypatch, _good)
    assert calls == [48] and results == [48]
    assert isinstance(steps[-1][0], list) and t.HandshakeComplete("full") in steps[-1][0]
    pair.client.receive_data(steps[-1][1])
    assert pair.client.handshake_complete and pair.server.cipher_suite == RSA_SUITE


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_rsa_bad_premaster_fails_only_at_finished(pki, twin, monkeypatch, name):
    steps, calls, results, _ = _rsa_attempt(pki, twin, monkeypatch, BAD_CASES[name])
    # ClientKeyExchange and ChangeCipherSpec: no event, nothing sent, no exception, and
    # the server moves on exactly as after a good ClientKeyExchange.
    assert steps[0] == ([], b"", "ExpectCcs")
    assert steps[1] == ([], b"", "ExpectFinished")
    # The client's Finished record cannot be opened under the server's keys (they come
    # from the random fallback R): the one alert, at the same point, for every case.
    assert steps[2] == (t.BadRecordMac, AD.bad_record_mac,
                        "bad record MAC (alert: bad_record_mac)", fatal_alert(AD.bad_record_mac))
    # Same code path: the private-key operation ran once, decrypt_premaster returned 48
    # bytes and never raised (whether OpenSSL itself reported a padding error -- it does
    # not from 3.2 on, implicit rejection -- is recorded in `calls` but not exposed).
    assert len(calls) == 1 and results == [48]


def test_rsa_decrypt_premaster_never_raises_and_hides_failures(pki):
    key = CertifiedKey.load(pki.rsa_cert, pki.rsa_key)
    pub = key.private_key.public_key()
    pm = _version_pm(b"\x03\x03")
    assert key.decrypt_premaster(pub.encrypt(pm, padding.PKCS1v15()), 0x0303) == pm
    for name, case in BAD_CASES.items():
        exchange, secret = case(pub, pm)
        outs = {key.decrypt_premaster(exchange, 0x0303) for _ in range(3)}
        assert all(len(out) == 48 for out in outs), name
        assert secret not in outs and pm not in outs, name
        if name != "random_premaster":
            assert len(outs) == 3, name  # a fresh random R every time


# --------------------------------------------------------------------------- CBC (Lucky 13)

_MAC_LEN = {"sha1": 20, "sha256": 32, "sha384": 48}
_CIPHER_FOR = {"sha1": "AES-128-CBC", "sha256": "AES-128-CBC", "sha384": "AES-256-CBC"}


def _mte_fragment(key, mac_key, mac, seq, content_type, data, *, pad_len=None,
                  pad_fill=None, bad_pad_at=None, flip_mac=False, mac_type=None, tail=None):
    """IV ‖ AES-CBC(data ‖ HMAC ‖ padding) built by hand (RFC 5246 §6.2.3.2).

    pad_len: padding length byte (default: the least that aligns); pad_fill: the value
    of the other padding bytes (default pad_len, i.e. valid); bad_pad_at: index of one
    padding byte to corrupt (0 = farthest from the end); flip_mac: corrupt the tag;
    mac_type: content type the MAC claims; tail: replace everything after data.
    """
    header = seq.to_bytes(8, "big") + bytes((mac_type or content_type, 3, 3)) + len(data).to_bytes(2, "big")
    tag = bytearray(hmac.new(mac_key, header + data, mac).digest())
    if flip_mac:
        tag[0] ^= 1
    if tail is None:
        if pad_len is None:
            pad_len = 15 - (len(data) + len(tag)) % 16
        fill = pad_len if pad_fill is None else pad_fill
        pad = bytearray((fill,)) * pad_len
        if bad_pad_at is not None:
            pad[bad_pad_at] ^= 1
        tail = bytes(tag) + bytes(pad) + bytes((pad_len,))
    plaintext = data + tail
    assert len(plaintext) % 16 == 0, "test vector must be block aligned"
    iv = os.urandom(16)
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return iv + enc.update(plaintext) + enc.finalize()


def _cbc_cases(mac):
    """name -> (data, fragment kwargs, expected plaintext or None for BadRecordMac)."""
    n = _MAC_LEN[mac]
    aligned = b"A" * (-n % 16 or 16)  # data ‖ MAC is block aligned
    return {
        "valid": (b"hello", {}, b"hello"),
        "valid_max_padding_255": (aligned, {"pad_len": 255}, aligned),
        "valid_mac_bad_padding": (b"x" * 40, {"pad_len": 15 - (40 + n) % 16 + 16,
                                              "pad_fill": 3}, None),
        "valid_mac_bad_far_padding_byte": (aligned, {"pad_len": 255, "bad_pad_at": 0}, None),
        "valid_mac_bad_near_padding_byte": (aligned, {"pad_len": 255, "bad_pad_at": 254}, None),
        "bad_mac_valid_padding": (b"hello", {"flip_mac": True}, None),
        "bad_mac_max_padding": (aligned, {"pad_len": 255, "flip_mac": True}, None),
        "mac_for_other_type": (b"hello", {"mac_type": 22}, None),
        "padding_longer_than_record": (b"", {"tail": b"\xff" * (n + 16 - n % 16)}, None),
        "padding_eats_the_mac": (b"", {"tail": bytes((n - 5,)) * (n + 16 - n % 16)}, None),
        "all_padding_no_mac_room": (b"", {"tail": b"\x0f" * 16 * (n // 16 + 1)}, None),
    }


# Length errors are public (the record length is on the wire) and may say so.
_SHORT = {
    "truncated_mac": lambda n: 16 + 16 * (n // 16),  # IV + fewer bytes than MAC + 1
    "iv_only": lambda n: 16,
    "not_block_aligned": lambda n: 16 + 16 * (n // 16 + 1) + 1,
}


def _protections(twin, mac):
    key, mac_key = os.urandom(16 if mac != "sha384" else 32), os.urandom(_MAC_LEN[mac])
    prot = twin.record.new_protection(_CIPHER_FOR[mac], key, b"", mac, mac_key, False)
    return key, mac_key, prot


@pytest.mark.parametrize("mac", sorted(_MAC_LEN))
def test_cbc_mte_crafted_records(twin, mac):
    verdicts = set()
    for name, (data, kw, expected) in _cbc_cases(mac).items():
        key, mac_key, prot = _protections(twin, mac)
        prot.seq = 7
        fragment = _mte_fragment(key, mac_key, mac, 7, 23, data, **kw)
        if expected is not None:
            assert prot.open(23, fragment) == expected, name
            continue
        with pytest.raises(t.BadRecordMac) as info:
            prot.open(23, fragment)
        verdicts.add((type(info.value), info.value.alert, str(info.value)))
        # The record reader consumes the bad record before reporting it.
        reader = twin.record.RecordReader()
        reader.protection = _protections(twin, mac)[2]
        reader.protection.seq = 7
        with pytest.raises(t.BadRecordMac):
            reader.feed(bytes((23, 3, 3)) + len(fragment).to_bytes(2, "big") + fragment)
            reader.next_record()
        assert reader.buffered() == 0, name
    # Padding and MAC failures are one verdict: same type, alert and message.
    assert verdicts == {(t.BadRecordMac, AD.bad_record_mac, "bad record MAC (alert: bad_record_mac)")}


@pytest.mark.parametrize("mac", sorted(_MAC_LEN))
@pytest.mark.parametrize("name", sorted(_SHORT))
def test_cbc_mte_short_records(twin, mac, name):
    _, _, prot = _protections(twin, mac)
    with pytest.raises(t.BadRecordMac) as info:
        prot.open(23, os.urandom(_SHORT[name](_MAC_LEN[mac])))
    assert info.value.alert == AD.bad_record_mac


def test_cbc_twins_agree_on_crafted_records(twin):
    # The same bytes give the same verdict in this twin and the pure one.
    from tls12fast import _record_py

    for mac in _MAC_LEN:
        for name, (data, kw, expected) in _cbc_cases(mac).items():
            key, mac_key = os.urandom(16 if mac != "sha384" else 32), os.urandom(_MAC_LEN[mac])
            fragment = _mte_fragment(key, mac_key, mac, 0, 23, data, **kw)
            got = []
            for module in (twin.record, _record_py):
                prot = module.new_protection(_CIPHER_FOR[mac], key, b"", mac, mac_key, False)
                try:
                    got.append(prot.open(23, fragment))
                except t.TLSError as exc:
                    got.append((type(exc), str(exc)))
            assert got[0] == got[1], (mac, name)


def _cbc_pair(pki, twin, suite):
    lines = []
    kw = {"cipher_suites": [suite], "encrypt_then_mac": False}
    pair = handshake(pki, twin, server_kw=dict(kw, keylog=lines.append), client_kw=kw)
    master = bytes.fromhex(lines[0].split()[2])
    hello = pair.flights[1][1]  # the server's first flight starts with ServerHello
    assert hello[5] == HandshakeType.server_hello
    server_random = hello[5 + 4 + 2:5 + 4 + 2 + 32]
    client_random = bytes.fromhex(lines[0].split()[1])
    info = BY_NAME[suite]
    block = t.prf(master, b"key expansion", server_random + client_random, info.key_block_len,
                  info.prf_hash)
    mac_len, key_len = info.mac_len, info.key_len
    return pair, block[2 * mac_len:2 * mac_len + key_len], block[:mac_len], info.mac


@pytest.mark.parametrize("suite", ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                                   "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
                                   "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"])
def test_cbc_mte_connection_alert_is_uniform(pki, twin, suite):
    outcomes = set()
    for name, (data, kw, expected) in _cbc_cases(BY_NAME[suite].mac).items():
        pair, key, mac_key, mac = _cbc_pair(pki, twin, suite)
        assert not pair.server._etm
        # Our key derivation is right: a good record written by hand is accepted.
        if expected is not None:
            fragment = _mte_fragment(key, mac_key, mac, 1, 23, data, **kw)
            record = bytes((23, 3, 3)) + len(fragment).to_bytes(2, "big") + fragment
            events = pair.server.receive_data(record)
            assert events == ([t.ApplicationData(expected)] if expected else []), name
            continue
        fragment = _mte_fragment(key, mac_key, mac, 1, 23, data, **kw)
        with pytest.raises(t.BadRecordMac) as info:
            pair.server.receive_data(bytes((23, 3, 3)) + len(fragment).to_bytes(2, "big") + fragment)
        alert = pair.server.data_to_send()
        with pytest.raises(t.PeerAlertError) as peer:
            pair.client.receive_data(alert)
        assert pair.server.closed and pair.server._records.reader.buffered() == 0
        outcomes.add((info.value.alert, str(info.value), len(alert), peer.value.alert))
    assert outcomes == {(AD.bad_record_mac, "bad record MAC (alert: bad_record_mac)",
                         len(alert), AD.bad_record_mac)}


# --------------------------------------------------------------------------- constant-time compares


def test_finished_check_uses_compare_digest(pki, twin, monkeypatch):
    seen = []

    def compare_digest(a, b):
        seen.append((bytes(a), bytes(b)))
        return hmac.compare_digest(a, b)

    monkeypatch.setattr(connection_module, "hmac", types.SimpleNamespace(compare_digest=compare_digest))
    handshake(pki, twin)  # completes, or fails the test
    assert len(seen) == 2  # each side checked the peer's Finished once
    assert all(len(a) == len(b) == 12 and a == b for a, b in seen)
    # A wrong Finished goes through the same call and is refused.
    seen.clear()
    bad = make_pair(pki, twin)
    bad.client.verify_data = lambda from_client: b"\x00" * 12
    bad.server.receive_data(bad.client.data_to_send())
    bad.client.receive_data(bad.server.data_to_send())
    with pytest.raises(t.DecryptError) as info:
        bad.server.receive_data(bad.client.data_to_send())
    assert info.value.alert == AD.decrypt_error
    assert len(seen) == 1 and seen[0][1] == b"\x00" * 12 and seen[0][0] != seen[0][1]


_SECRET_NAME = ("verify_data", "mac", "tag", "digest", "secret", "premaster", "finished")
_PUBLIC = ("mac_len", "suite", "name", ".mac", "key_type", "extended_master_secret")  # public


def _secretish(node) -> bool:
    text = ast.unparse(node).lower()
    if isinstance(node, ast.Constant) or any(p in text for p in _PUBLIC):
        return False
    return isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)) and any(
        word in text for word in _SECRET_NAME)


def test_no_plain_equality_on_secrets():
    # Every comparison of a MAC, verify_data, tag or secret must go through
    # hmac.compare_digest (Python) or CRYPTO_memcmp (compiled twin).
    root = pathlib.Path(t.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq))
                                                     for op in node.ops):
                operands = [node.left, *node.comparators]
                if any(_secretish(o) for o in operands) and not any(
                        isinstance(o, ast.Call) and "len" in ast.unparse(o.func) for o in operands):
                    offenders.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == []


def test_compiled_record_twin_compares_macs_with_crypto_memcmp():
    ext = pathlib.Path(__file__).parent.parent / "ext" / "tls12fast"
    if not ext.is_dir():
        pytest.skip("SOURCE TREE ONLY: ext/ is not shipped in the wheel")
    text = (ext / "_record_c.pyx").read_text() + (ext / "_record_evp.pxd").read_text()
    assert text.count("CRYPTO_memcmp(expected") == 2  # encrypt-then-MAC and MAC-then-encrypt
    assert "memcmp(expected" not in text.replace("CRYPTO_memcmp(expected", "")
