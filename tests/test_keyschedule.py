"""Key schedule (RFC 5246 §6.3, §7.4.9, §8.1; RFC 7627 §4; RFC 5705 §4) and NSS key log."""
import os
import threading

import pytest

from tls12fast import keyschedule as ks
from tls12fast.errors import ConfigurationError
from tls12fast.keylog import KeyLogWriter, make_keylog

PMS = bytes(range(48))
CR = bytes(range(100, 132))
SR = bytes(range(200, 232))
MS = bytes(range(1, 49))


@pytest.mark.parametrize("hash_name", ["sha256", "sha384"])
def test_master_secret(twin, hash_name):
    prf = twin.prf.prf
    ms = ks.master_secret(prf, hash_name, PMS, CR, SR)
    assert len(ms) == 48
    assert ms == prf(PMS, b"master secret", CR + SR, 48, hash_name)
    assert ms != ks.master_secret(prf, hash_name, PMS, SR, CR)  # order of randoms matters


@pytest.mark.parametrize("hash_name", ["sha256", "sha384"])
def test_extended_master_secret(twin, hash_name):
    prf = twin.prf.prf
    session_hash = bytes(range(32 if hash_name == "sha256" else 48))
    ems = ks.extended_master_secret(prf, hash_name, PMS, session_hash)
    assert len(ems) == 48
    assert ems == prf(PMS, b"extended master secret", session_hash, 48, hash_name)
    assert ems != ks.master_secret(prf, hash_name, PMS, CR, SR)


def test_key_block_seed_is_server_then_client(twin):
    prf = twin.prf.prf
    block = ks.key_block(prf, "sha256", MS, CR, SR, 104)
    assert len(block) == 104
    assert block == prf(MS, b"key expansion", SR + CR, 104)
    assert block != prf(MS, b"key expansion", CR + SR, 104)


@pytest.mark.parametrize("hash_name", ["sha256", "sha384"])
def test_keyed_forms_match_the_unkeyed_ones(twin, hash_name):
    # The engine keys the PRF with the master secret once (KeyedPrf) and calls these.
    prf, keyed = twin.prf.prf, twin.prf.KeyedPrf(MS, hash_name)
    assert ks.keyed_key_block(keyed, CR, SR, 104) == ks.key_block(prf, hash_name, MS, CR, SR, 104)
    for sender_is_client in (True, False):
        assert ks.keyed_verify_data(keyed, sender_is_client, bytes(48)) == ks.verify_data(
            prf, hash_name, MS, sender_is_client, bytes(48))


def test_key_block_offsets_split_in_rfc_order():
    length, *offsets = ks.key_block_offsets(20, 16, 4)
    assert length == 80 and offsets == [0, 20, 40, 56, 72, 76, 80]
    assert ks.key_block_offsets(0, 16, 4) == (40, 0, 0, 0, 16, 32, 36, 40)  # AEAD: no MAC keys


def test_split_key_block_rfc_order():
    block = bytes(range(2 * (20 + 16 + 4)))
    km = ks.split_key_block(block, 20, 16, 4)
    assert km.client_mac_key == block[0:20]
    assert km.server_mac_key == block[20:40]
    assert km.client_key == block[40:56]
    assert km.server_key == block[56:72]
    assert km.client_iv == block[72:76]
    assert km.server_iv == block[76:80]
    assert ks.KeyMaterial._fields == (
        "client_mac_key", "server_mac_key", "client_key", "server_key", "client_iv", "server_iv",
    )


def test_split_key_block_aead_has_empty_mac_keys():
    km = ks.split_key_block(bytes(range(40)), 0, 16, 4)
    assert km.client_mac_key == km.server_mac_key == b""
    assert (km.client_key, km.server_key) == (bytes(range(16)), bytes(range(16, 32)))


def test_split_key_block_too_short():
    with pytest.raises(ConfigurationError):
        ks.split_key_block(bytes(39), 0, 16, 4)
    with pytest.raises(ConfigurationError):
        ks.split_key_block(bytes(40), -1, 16, 4)


def test_key_material_repr_hides_bytes():
    block = bytes(range(0xA0, 0xA0 + 80))
    km = ks.split_key_block(block, 20, 16, 4)
    text = repr(km)
    assert "20 bytes" in text and "16 bytes" in text and "4 bytes" in text
    for value in km:
        assert value.hex() not in text
        assert repr(value) not in text
    assert str(km) == text


@pytest.mark.parametrize("sender_is_client,label", [(True, b"client finished"), (False, b"server finished")])
def test_verify_data(twin, sender_is_client, label):
    prf = twin.prf.prf
    handshake_hash = bytes(range(48))
    vd = ks.verify_data(prf, "sha384", MS, sender_is_client, handshake_hash)
    assert len(vd) == 12
    assert vd == prf(MS, label, handshake_hash, 12, "sha384")


def test_client_and_server_verify_data_differ(twin):
    h = bytes(32)
    assert ks.verify_data(twin.prf.prf, "sha256", MS, True, h) != ks.verify_data(
        twin.prf.prf, "sha256", MS, False, h
    )


def test_exporter_without_context(twin):
    prf = twin.prf.prf
    out = ks.export_keying_material(prf, "sha256", MS, CR, SR, "EXPORTER-Test", 33)
    assert out == prf(MS, b"EXPORTER-Test", CR + SR, 33)


def test_exporter_with_context(twin):
    prf = twin.prf.prf
    out = ks.export_keying_material(prf, "sha256", MS, CR, SR, b"EXPORTER-Test", 20, b"ctx")
    assert out == prf(MS, b"EXPORTER-Test", CR + SR + b"\x00\x03ctx", 20)
    # RFC 5705 §4: an empty context is not the same as no context.
    empty = ks.export_keying_material(prf, "sha256", MS, CR, SR, b"EXPORTER-Test", 20, b"")
    none = ks.export_keying_material(prf, "sha256", MS, CR, SR, b"EXPORTER-Test", 20)
    assert empty == prf(MS, b"EXPORTER-Test", CR + SR + b"\x00\x00", 20)
    assert empty != none


@pytest.mark.parametrize("label", [
    "client finished", "server finished", "master secret", "key expansion",
    "extended master secret", b"key expansion",
])
def test_exporter_reserved_labels_rejected(twin, label):
    with pytest.raises(ConfigurationError):
        ks.export_keying_material(twin.prf.prf, "sha256", MS, CR, SR, label, 16)


def test_exporter_context_too_long(twin):
    with pytest.raises(ConfigurationError):
        ks.export_keying_material(twin.prf.prf, "sha256", MS, CR, SR, "EXPORTER-x", 16, bytes(65536))


def test_keylog_to_file(tmp_path):
    path = tmp_path / "sub" / "keys.log"
    path.parent.mkdir()
    writer = KeyLogWriter(path)
    assert not path.exists()  # opened lazily
    writer.log("CLIENT_RANDOM", CR, MS)
    # Line-buffered: visible before close.
    assert path.read_text() == f"CLIENT_RANDOM {CR.hex()} {MS.hex()}\n"
    writer.close()
    again = KeyLogWriter(str(path))
    again.log("CLIENT_RANDOM", SR, PMS)
    again.close()
    assert path.read_text().splitlines() == [
        f"CLIENT_RANDOM {CR.hex()} {MS.hex()}",
        f"CLIENT_RANDOM {SR.hex()} {PMS.hex()}",
    ]
    assert MS.hex() not in repr(writer)


def test_keylog_threads_do_not_interleave(tmp_path):
    path = tmp_path / "keys.log"
    writer = KeyLogWriter(os.fspath(path))

    def work(n):
        for _ in range(200):
            writer.log("CLIENT_RANDOM", bytes([n]) * 32, bytes([n]) * 48)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 1600
    for line in lines:
        label, cr, secret = line.split(" ")
        assert label == "CLIENT_RANDOM"
        assert cr == cr[:2] * 32 and secret == cr[:2] * 48


def test_keylog_to_callable():
    lines = []
    writer = make_keylog(lines.append)
    assert isinstance(writer, KeyLogWriter)
    writer.log("CLIENT_RANDOM", bytearray(CR), memoryview(MS))
    assert lines == [f"CLIENT_RANDOM {CR.hex()} {MS.hex()}\n"]
    assert MS.hex() not in repr(writer)
    writer.close()


def test_make_keylog_passthrough(tmp_path):
    assert make_keylog(None) is None
    writer = KeyLogWriter(tmp_path / "k")
    assert make_keylog(writer) is writer
    with pytest.raises(TypeError):
        make_keylog(42)
