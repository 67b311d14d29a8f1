"""Interleaved handshake timing: tls12fast compiled vs pure vs stdlib ssl vs tlslite-ng, batch by batch.

How this works: pytest-benchmark runs one benchmark after another, so on a shared or busy
machine a slow minute can land on one stack and not the other, and the ratio of two
medians taken minutes apart moves by ±15%. Here the same in-memory handshake runners as
bench_handshake.py (client and server in one thread) take turns: every round runs one
batch of each stack, in rotating order, and times it with perf_counter. Per stack the
median and the minimum of the per-handshake batch means are reported (the minimum is the
least disturbed batch, as timeit recommends), with ratios against stdlib ssl from the
same rounds (> 1 = faster than ssl). The run stops after --rounds rounds or
--max-seconds, whichever comes first.

Usage:
    python bench/interleaved.py                       # resumed by session ID and by ticket
    python bench/interleaved.py --scenarios resumed.ticket full.ecdhe_rsa --rounds 60
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_handshake import (  # noqa: E402  (the runners the pytest-benchmark groups use)
    SCENARIOS,
    make_pki,
    ssl_resume_runner,
    ssl_runner,
    tlslite_resume_runner,
    tlslite_runner,
    tls12fast_resume_runner,
    tls12fast_runner,
)

STACKS = ("tls12fast-cython", "tls12fast-python", "stdlib-ssl", "tlslite-ng")
CHOICES = [f"resumed.{k}" for k in ("session_id", "ticket")] + [
    f"full.{s}" for s in SCENARIOS if s != "dhe_rsa"]  # dhe_rsa needs ssl DH params: see bench_handshake


def runners(pki, scenario: str) -> dict:
    """The stacks' handshake callables; tlslite-ng only when it is installed."""
    group, name = scenario.split(".")
    have_tlslite = importlib.util.find_spec("tlslite") is not None
    if not have_tlslite:
        print("tlslite-ng not installed: its column is left out", file=sys.stderr)
    if group == "resumed":
        made = {"tls12fast-cython": tls12fast_resume_runner(pki, name, "cython"),
                "tls12fast-python": tls12fast_resume_runner(pki, name, "python"),
                "stdlib-ssl": ssl_resume_runner(pki, name)}
        if have_tlslite:
            made["tlslite-ng"] = tlslite_resume_runner(pki, name)
    else:
        made = {"tls12fast-cython": tls12fast_runner(pki, name, "cython"),
                "tls12fast-python": tls12fast_runner(pki, name, "python"),
                "stdlib-ssl": ssl_runner(pki, name, None)}
        if have_tlslite:
            made["tlslite-ng"] = tlslite_runner(pki, name)
    return made


def measure(run, batch: int) -> float:
    """Seconds per handshake over one batch."""
    start = time.perf_counter()
    for _ in range(batch):
        run()
    return (time.perf_counter() - start) / batch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="+", default=CHOICES[:2], choices=CHOICES)
    parser.add_argument("--rounds", type=int, default=40, help="batches per stack (at most)")
    parser.add_argument("--batch", type=int, default=0,
                        help="handshakes per batch (default: about 20 ms of work)")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="time limit per scenario")
    args = parser.parse_args()

    pki = make_pki(tempfile.mkdtemp(prefix="tls12fast-interleaved-"))
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; per-batch means; "
          "x = rate relative to stdlib ssl in the same rounds")
    for scenario in args.scenarios:
        runs = runners(pki, scenario)
        for run in runs.values():  # warm up (caches, first-use key setup)
            measure(run, 20)
        batch = {name: args.batch or max(5, int(0.02 / measure(run, 10))) for name, run in runs.items()}
        times: dict[str, list[float]] = {name: [] for name in runs}
        deadline = time.monotonic() + args.max_seconds
        stacks = [name for name in STACKS if name in runs]
        for rnd in range(args.rounds):
            order = stacks[rnd % len(stacks):] + stacks[:rnd % len(stacks)]
            for name in order:
                gc.collect()
                times[name].append(measure(runs[name], batch[name]))
            if time.monotonic() > deadline:
                break
        rounds = len(times["stdlib-ssl"])
        for label, pick in (("median", statistics.median), ("min", min)):
            base = pick(times["stdlib-ssl"])
            cells = [f"{name} {pick(times[name]) * 1e6:8.1f} µs ({base / pick(times[name]):4.2f}x)"
                     for name in stacks]
            print(f"{scenario:20} {label:6} of {rounds:3} | " + " | ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
