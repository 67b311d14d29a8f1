"""Where a full tls12fast handshake spends its time (the README's "where the time goes").

How this works: runs N in-memory handshakes of one bench_handshake scenario (both sides in
one process, compiled twins, the same configs as the benchmark), first untimed-by-profiler
for the real µs/handshake, then under cProfile. cProfile's own overhead inflates Python
frames, so the report gives shares: public-key work (cryptography/OpenSSL calls) versus
the engine, and the engine's top functions. A function's self time includes the compiled
twins it calls (Cython functions are not profiled), e.g. send_handshake includes the
codec's encoder and RecordLayer.install_keys the EVP context setup.

    python bench/profile_handshake.py [ecdhe_rsa|ecdhe_ecdsa|rsa|dhe_rsa] [N]
"""
from __future__ import annotations

import cProfile
import pathlib
import pstats
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench_handshake import SCENARIOS, make_pki, tls12fast_runner  # noqa: E402

# Builtins that are public-key work (or certificate/key parsing) done by cryptography.
_CRYPTO = ("sign", "verify", "exchange", "generate", "decrypt", "encrypt", "public_key",
           "load_der_x509_certificate", "from_public_bytes", "public_bytes", "urandom")


def profile(scenario: str = "ecdhe_rsa", n: int = 500, top: int = 15) -> None:
    """Print real µs/handshake and the profile shares for `scenario`."""
    pki = make_pki(pathlib.Path(tempfile.mkdtemp()))
    run = tls12fast_runner(pki, scenario, "cython")
    for _ in range(20):
        run()
    start = time.perf_counter()
    for _ in range(n):
        run()
    real = (time.perf_counter() - start) / n * 1e6
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        run()
    prof.disable()
    stats = pstats.Stats(prof).stats
    total = sum(row[2] for row in stats.values())
    crypto = sum(row[2] for (f, _, name), row in stats.items()
                 if f == "~" and any(k in name for k in _CRYPTO))
    print(f"{scenario}: {real:.0f} µs per handshake (client + server), {n} handshakes")
    print(f"  public-key work and X.509 parsing: {crypto / total:5.1%} of profiled time")
    print(f"  engine (Python + compiled twins):  {1 - crypto / total:5.1%}; top self times:")
    rows = sorted(((row[2], row[1], f, line, name) for (f, line, name), row in stats.items()
                   if not (f == "~" and any(k in name for k in _CRYPTO))), reverse=True)
    for tottime, calls, f, line, name in rows[:top]:
        where = name if f == "~" else f"{pathlib.Path(f).name}:{line}({name})"
        print(f"    {tottime / total:5.1%}  {calls / n:4.0f}x  {where}")


if __name__ == "__main__":
    scenario = sys.argv[1] if len(sys.argv) > 1 else "ecdhe_rsa"
    if scenario not in SCENARIOS:
        sys.exit(f"unknown scenario {scenario!r}; one of {', '.join(SCENARIOS)}")
    profile(scenario, int(sys.argv[2]) if len(sys.argv) > 2 else 500)
