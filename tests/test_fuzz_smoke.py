# CI fuzz smoke (a few seconds): every fuzz target in fuzz/targets.py runs in-process on
# both twins for a fixed number of inputs made by a seeded random mutator from the
# target's seeds (fuzz/seeds/<target>/, real messages). Only tls12fast.TLSError may
# escape, never with a masked Python error or internal_error (targets.bug); round trips
# and output invariants are checked by the targets themselves. The long coverage-guided
# run is `make fuzz` (fuzz/README.md).
import random

import pytest
from _fuzz import ROOT, finding, target, targets

ITERATIONS = {"server": 600, "client": 600}  # handshake targets do public-key work
DEFAULT_ITERATIONS = 3000


def _seeds(name, tgt):
    directory = ROOT / "fuzz" / "seeds" / name
    files = sorted(directory.glob("*.bin")) if directory.is_dir() else []
    return [f.read_bytes() for f in files] or tgt.seeds()


@pytest.mark.parametrize("name", targets.TARGETS)
def test_fuzz_smoke(twin, name):
    tgt = target(name, twin)
    seeds = _seeds(name, tgt)
    assert seeds, f"no seeds for {name}"
    rng = random.Random(f"tls12fast-smoke-{name}")
    findings = {}
    rejected = 0
    inputs = seeds + [targets.mutate(rng, rng.choice(seeds))
                      for _ in range(ITERATIONS.get(name, DEFAULT_ITERATIONS))]
    for data in inputs:
        why, raised = finding(tgt, data)
        rejected += raised
        if why is not None:
            findings.setdefault(why.split(" (cause")[0], data)
    assert not findings, "fuzz findings (input hex):\n" + "\n".join(
        f"{why}\n  {data.hex()[:400]}" for why, data in findings.items())
    if name in ("record", "session"):  # the other targets handle TLSError themselves
        assert 0 < rejected < len(inputs), "mutations never (or always) rejected: target inert"
