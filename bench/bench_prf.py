"""PRF benchmarks: compiled vs pure twin for the PRF calls one TLS 1.2 handshake makes.

key_block_40 is an AEAD-GCM suite (2 x (16 key + 4 IV)), key_block_104 is
AES-128-CBC-SHA (2 x (20 MAC + 16 key + 16 IV)); master_secret and verify_data are the
RFC 5246 §8.1 and §7.4.9 calls.
"""
from tls12fast import keyschedule as ks

PMS = bytes(range(48))
MS = bytes(range(1, 49))
CR = bytes(range(100, 132))
SR = bytes(range(200, 232))
HANDSHAKE_HASH = bytes(32)


def bench_master_secret(benchmark, impl):
    benchmark.group = "prf.master_secret"
    out = benchmark(ks.master_secret, impl.prf.prf, "sha256", PMS, CR, SR)
    assert len(out) == 48


def bench_key_block_40(benchmark, impl):
    benchmark.group = "prf.key_block_40"
    out = benchmark(ks.key_block, impl.prf.prf, "sha256", MS, CR, SR, 40)
    assert len(out) == 40


def bench_key_block_104(benchmark, impl):
    benchmark.group = "prf.key_block_104"
    out = benchmark(ks.key_block, impl.prf.prf, "sha256", MS, CR, SR, 104)
    assert len(out) == 104


def bench_verify_data(benchmark, impl):
    benchmark.group = "prf.verify_data"
    out = benchmark(ks.verify_data, impl.prf.prf, "sha256", MS, True, HANDSHAKE_HASH)
    assert len(out) == 12
