"""Coarse Lucky 13 timing report for the CBC MAC-then-encrypt open path (never a test).

How this works: for each twin and MAC it builds records by hand (as
tests/test_side_channels.py does) whose padding/MAC verdicts differ -- valid record,
valid MAC + bad padding, bad MAC + zero padding, bad MAC + 255-byte padding -- all of the
same length, opens each many times on a fresh protection, and prints the median and the
spread in nanoseconds per open. Similar medians across rows are what the countermeasure
aims for; scheduler and interpreter noise dwarf the few-cycle differences Lucky 13 uses, so
this is a smoke check for gross leaks (an early exit would show up as a clear gap), not
evidence of constant time. Nothing asserts on these numbers.

Usage: python tools/lucky13_timing.py [--rounds 2000] [--size 512]
"""
from __future__ import annotations

import argparse
import hmac
import os
import statistics
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tls12fast import _speedups
from tls12fast.errors import BadRecordMac

_MACS = {"sha1": (20, "AES-128-CBC", 16), "sha256": (32, "AES-128-CBC", 16),
         "sha384": (48, "AES-256-CBC", 32)}


def _fragment(key, mac_key, mac, seq, size, pad_len, good_mac, good_pad):
    mac_len = _MACS[mac][0]
    data = os.urandom(size - mac_len - pad_len - 1)
    header = seq.to_bytes(8, "big") + bytes((23, 3, 3)) + len(data).to_bytes(2, "big")
    tag = bytearray(hmac.new(mac_key, header + data, mac).digest())
    if not good_mac:
        tag[0] ^= 1
    pad = bytearray((pad_len,)) * (pad_len + 1)
    if not good_pad:
        pad[0] ^= 1
    iv = os.urandom(16)
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return iv + enc.update(data + bytes(tag) + bytes(pad)) + enc.finalize()


def measure(backend, mac, size, rounds):
    """{case: [ns per open]} for one twin and MAC (size: plaintext bytes incl. MAC/pad)."""
    mac_len, cipher, key_len = _MACS[mac]
    key, mac_key = os.urandom(key_len), os.urandom(mac_len)
    cases = {
        "valid (pad 15)": (15, True, True),
        "good MAC, bad pad 15": (15, True, False),
        "bad MAC, pad 0": (0, False, True),
        "bad MAC, pad 255": (255, False, True),
    }
    results = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (pad_len, good_mac, good_pad) in cases.items():
            fragment = _fragment(key, mac_key, mac, 0, size, pad_len, good_mac, good_pad)
            prot = backend.record.new_protection(cipher, key, b"", mac, mac_key, False)
            start = time.perf_counter_ns()
            try:
                prot.open(23, fragment)
            except BadRecordMac:
                pass
            results[name].append(time.perf_counter_ns() - start)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--size", type=int, default=512, help="plaintext size, multiple of 16")
    args = parser.parse_args()
    if args.size % 16 or args.size < 320:
        parser.error("--size must be a multiple of 16 and at least 320 (255-byte padding + MAC)")
    twins = [("python", _speedups.PYTHON)]
    if not _speedups.NO_EXTENSIONS:
        try:
            twins.insert(0, ("cython", _speedups.CYTHON or _speedups.Backend("cython")))
        except ImportError:
            print("compiled twin not built: python only")
    print(f"{'twin':7} {'mac':7} {'case':22} {'median ns':>10} {'p10':>8} {'p90':>8}")
    for name, backend in twins:
        for mac in _MACS:
            for case, samples in measure(backend, mac, args.size, args.rounds).items():
                deciles = statistics.quantiles(samples, n=10)
                print(f"{name:7} {mac:7} {case:22} {statistics.median(samples):10.0f} "
                      f"{deciles[0]:8.0f} {deciles[-1]:8.0f}")


if __name__ == "__main__":
    main()
