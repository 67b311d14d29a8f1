# TLS 1.2 key schedule: every secret derived from the PRF, in one place.
#
# How this works: each function is one PRF call with the label and seed its RFC fixes.
#   pre_master_secret --"master secret"/randoms------------> master_secret   (RFC 5246 §8.1)
#   pre_master_secret --"extended master secret"/hash------> master_secret   (RFC 7627 §4)
#   master_secret ------"key expansion"/server+client rand--> key_block       (RFC 5246 §6.3)
#   key_block --split--> client/server MAC keys, write keys, IVs              (RFC 5246 §6.3)
#   master_secret ------"client|server finished"/hash------> verify_data     (RFC 5246 §7.4.9)
#   master_secret ------label/randoms[+context]------------> exported keys   (RFC 5705 §4)
# The PRF is passed in (the `prf` function of either twin, e.g. backend.prf.prf) so the
# schedule runs unchanged on the compiled and the pure twin. `hash` is the suite's PRF
# hash ("sha256" or "sha384", RFC 5246 §5 / RFC 5288 §3). The engine keys the PRF with
# the master secret once per handshake (a twin's KeyedPrf) and calls keyed_key_block() and
# keyed_verify_data(); key_block() and verify_data() are the same with an unkeyed PRF.
from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple

from .errors import ConfigurationError

__all__ = [
    "KeyMaterial",
    "master_secret",
    "extended_master_secret",
    "key_block",
    "keyed_key_block",
    "key_block_offsets",
    "split_key_block",
    "verify_data",
    "keyed_verify_data",
    "export_keying_material",
    "MASTER_SECRET_LENGTH",
    "VERIFY_DATA_LENGTH",
]

PRF = Callable[..., bytes]

MASTER_SECRET_LENGTH = 48  # RFC 5246 §8.1
VERIFY_DATA_LENGTH = 12  # RFC 5246 §7.4.9 (no suite we support changes it)

# RFC 5705 §4: exporter labels must not collide with the labels TLS itself uses.
_RESERVED_LABELS = frozenset(
    {b"client finished", b"server finished", b"master secret", b"key expansion",
     b"extended master secret"}
)


class KeyMaterial(NamedTuple):
    """The key block split in RFC 5246 §6.3 order. Its repr shows lengths only."""

    client_mac_key: bytes
    server_mac_key: bytes
    client_key: bytes
    server_key: bytes
    client_iv: bytes
    server_iv: bytes

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}=<{len(value)} bytes>" for name, value in zip(self._fields, self))
        return f"KeyMaterial({fields})"


def master_secret(prf: PRF, hash: str, pre_master_secret: bytes, client_random: bytes,
                  server_random: bytes) -> bytes:
    """Classic master secret (RFC 5246 §8.1).

    master_secret = PRF(pre_master_secret, "master secret",
                        ClientHello.random + ServerHello.random)[0..47]

    Args:
        prf: a twin's `prf` function.
        hash: the suite's PRF hash.
        pre_master_secret: the key exchange output.
        client_random: ClientHello.random (32 bytes).
        server_random: ServerHello.random (32 bytes).

    Returns:
        The 48-byte master secret.
    """
    return prf(pre_master_secret, b"master secret", bytes(client_random) + bytes(server_random),
               MASTER_SECRET_LENGTH, hash)


def extended_master_secret(prf: PRF, hash: str, pre_master_secret: bytes,
                           session_hash: bytes) -> bytes:
    """Extended master secret (RFC 7627 §4).

    master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[0..47]

    Args:
        prf: a twin's `prf` function.
        hash: the suite's PRF hash.
        pre_master_secret: the key exchange output.
        session_hash: Hash(handshake messages up to and including ClientKeyExchange),
            with the suite's PRF hash (RFC 7627 §3).

    Returns:
        The 48-byte master secret.
    """
    return prf(pre_master_secret, b"extended master secret", session_hash,
               MASTER_SECRET_LENGTH, hash)


def key_block(prf: PRF, hash: str, master_secret: bytes, client_random: bytes,
              server_random: bytes, length: int) -> bytes:
    """The key block (RFC 5246 §6.3); note the seed is server_random + client_random.

    Args:
        prf: a twin's `prf` function.
        hash: the suite's PRF hash.
        master_secret: the 48-byte master secret.
        client_random: ClientHello.random.
        server_random: ServerHello.random.
        length: 2 * (mac_len + key_len + iv_len) for the suite.

    Returns:
        `length` bytes of key block.
    """
    return keyed_key_block(partial(prf, master_secret, hash=hash), client_random, server_random,
                           length)


def keyed_key_block(master_prf: PRF, client_random: bytes, server_random: bytes,
                    length: int) -> bytes:
    """key_block() with `master_prf(label, seed, length)`, the PRF keyed with the master
    secret (a twin's KeyedPrf)."""
    return master_prf(b"key expansion", bytes(server_random) + bytes(client_random), length)


def key_block_offsets(mac_len: int, key_len: int, iv_len: int) -> tuple:
    """(key block length, then the 7 offsets that split it) for a suite's lengths.

    RFC 5246 §6.3 order: block[o[1]:o[2]] is client_write_MAC_key, then server_write_MAC_key,
    client_write_key, server_write_key, client_write_IV, server_write_IV (o = the result).
    """
    b = 2 * mac_len
    d = b + 2 * key_len
    return (d + 2 * iv_len, 0, mac_len, b, b + key_len, d, d + iv_len, d + 2 * iv_len)


def split_key_block(block: bytes, mac_len: int, key_len: int, iv_len: int) -> KeyMaterial:
    """Split a key block into the six values of RFC 5246 §6.3, in that order.

    Args:
        block: the key block, at least 2 * (mac_len + key_len + iv_len) bytes.
        mac_len: MAC key length (0 for AEAD suites).
        key_len: encryption key length.
        iv_len: fixed IV length (the implicit nonce part for AEAD, RFC 5288 §3 / RFC 7905 §2;
            0 for TLS 1.2 CBC, whose IV travels in each record).

    Returns:
        The KeyMaterial.

    Raises:
        ConfigurationError: a negative length or a block that is too short.
    """
    if mac_len < 0 or key_len < 0 or iv_len < 0:
        raise ConfigurationError("key block lengths must not be negative")
    needed = 2 * (mac_len + key_len + iv_len)
    if len(block) < needed:
        raise ConfigurationError(f"key block has {len(block)} bytes, suite needs {needed}")
    block = bytes(block)  # no copy when it already is bytes (the PRF's output)
    _, o, a, b, c, d, e, f = key_block_offsets(mac_len, key_len, iv_len)
    return KeyMaterial(block[o:a], block[a:b], block[b:c], block[c:d], block[d:e], block[e:f])


def verify_data(prf: PRF, hash: str, master_secret: bytes, sender_is_client: bool,
                handshake_hash: bytes) -> bytes:
    """Finished.verify_data (RFC 5246 §7.4.9).

    verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]

    Args:
        prf: a twin's `prf` function.
        hash: the suite's PRF hash.
        master_secret: the 48-byte master secret.
        sender_is_client: True for "client finished", False for "server finished".
        handshake_hash: Hash of all handshake messages before this Finished.

    Returns:
        The 12-byte verify_data.
    """
    return keyed_verify_data(partial(prf, master_secret, hash=hash), sender_is_client, handshake_hash)


def keyed_verify_data(master_prf: PRF, sender_is_client: bool, handshake_hash: bytes) -> bytes:
    """verify_data() with `master_prf(label, seed, length)`, the PRF keyed with the master
    secret (a twin's KeyedPrf)."""
    label = b"client finished" if sender_is_client else b"server finished"
    return master_prf(label, handshake_hash, VERIFY_DATA_LENGTH)


def export_keying_material(prf: PRF, hash: str, master_secret: bytes, client_random: bytes,
                           server_random: bytes, label, length: int,
                           context: bytes | None = None) -> bytes:
    """Keying material exporter (RFC 5705 §4).

    With no context the seed is client_random + server_random; with a context (which may
    be empty, and is then different from no context) it is followed by uint16 length and
    the context bytes.

    Args:
        prf: a twin's `prf` function.
        hash: the suite's PRF hash.
        master_secret: the 48-byte master secret.
        client_random: ClientHello.random.
        server_random: ServerHello.random.
        label: ASCII str or bytes label, not one TLS reserves.
        length: number of bytes to export.
        context: optional context value, at most 65535 bytes.

    Returns:
        `length` bytes of keying material.

    Raises:
        ConfigurationError: a reserved or non-ASCII label, or an oversized context.
    """
    if isinstance(label, str):
        try:
            label = label.encode("ascii")
        except UnicodeEncodeError:
            raise ConfigurationError("exporter label must be ASCII") from None
    label = bytes(label)
    if label in _RESERVED_LABELS:
        raise ConfigurationError(f"exporter label {label.decode('ascii', 'replace')!r} is reserved by TLS")
    seed = bytes(client_random) + bytes(server_random)
    if context is not None:
        context = bytes(context)
        if len(context) > 0xFFFF:
            raise ConfigurationError("exporter context is longer than 65535 bytes")
        seed += len(context).to_bytes(2, "big") + context
    return prf(master_secret, label, seed, length, hash)
