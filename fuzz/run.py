"""Coverage-guided fuzzing driver for tls12fast (atheris / libFuzzer; see fuzz/README.md).

One target on one twin, in this process:
    python fuzz/run.py --target record --twin cython --runs 200000 --max-seconds 120 \
        [--corpus DIR] [--build build/debug] [--stop-on-crash]
Every target x twin, each in its own subprocess, bounded in count and time:
    python fuzz/run.py --all --runs 120000 --max-seconds 240 [--jobs 2] [--build build/debug]
Write the seed files (fuzz/seeds/<target>/*.bin) from real messages:
    python fuzz/run.py --make-seeds [--targets client_verify,server_resume]

How this works: a child imports tls12fast under atheris' bytecode instrumentation (so the
pure twin and the connection code are coverage-guided; the compiled twins are not
instrumented but are fed the corpus the pure twin grew, which --all shares per target),
optionally loading the compiled twins from --build (e.g. the bounds-checked debug build),
runs every seed once, records RSS, then lets libFuzzer mutate. Findings (see
targets.bug) are saved once per distinct (exception, source line) under
build/fuzz-crashes/ and fuzzing continues, unless --stop-on-crash. When libFuzzer exits,
a C-level exit hook prints one `FUZZ-RESULT {json}` line: executions, exec/s, RSS at
start and end, peak RSS, findings. Without atheris the same loop runs on a seeded random
mutator (not coverage-guided). --all runs children with a hard wall-clock kill, parses
their result lines, prints a table, and exits 1 on any finding, hang or child failure.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import ctypes
import hashlib
import importlib
import importlib.util
import json
import os
import pkgutil
import random
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEEDS = os.path.join(HERE, "seeds")
CORPUS = os.path.join(HERE, "corpus")
CRASHES = os.path.join(ROOT, "build", "fuzz-crashes")
SKIP_MODULES = ("tls12fast.cli", "tls12fast.compat", "tls12fast.io", "tls12fast.stores",
                "tls12fast.__main__")

sys.path.insert(0, HERE)


def rss_kb() -> tuple[int, int]:
    """(current RSS, peak RSS) of this process in KiB, from /proc/self/status."""
    values = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                values[line[:5]] = int(line.split()[1])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def activate_build(build_dir: str) -> None:
    """Import tls12fast with `build_dir`/tls12fast searched first for the compiled twins.

    Must run before anything imports tls12fast. tools/build_one.py --out DIR writes there.
    """
    if "tls12fast" in sys.modules:
        raise RuntimeError("tls12fast was imported before --build could take effect")
    pkg = os.path.join(os.path.abspath(build_dir), "tls12fast")
    if not os.path.isdir(pkg):
        sys.exit(f"no build in {pkg}; run: make debug-build")
    spec = importlib.util.find_spec("tls12fast")
    spec.submodule_search_locations.insert(0, pkg)
    module = importlib.util.module_from_spec(spec)
    sys.modules["tls12fast"] = module
    spec.loader.exec_module(module)


def import_all() -> None:
    """Import every tls12fast module a target can reach (so atheris instruments them)."""
    import tls12fast

    for info in pkgutil.walk_packages(tls12fast.__path__, "tls12fast."):
        if info.name.startswith(SKIP_MODULES) or info.name.endswith("_c"):
            continue
        try:
            importlib.import_module(info.name)
        except ImportError:
            pass


class Runner:
    """Calls one target per input, classifies exceptions and keeps the counters."""

    def __init__(self, target, twin: str, stop_on_crash: bool):
        import targets

        self.target = target
        self.label = f"{target.name}-{twin}"
        self.stop = stop_on_crash
        self.bug = targets.bug
        self.execs = 0
        self.findings: dict[str, dict] = {}
        self.start = time.monotonic()
        self.rss_start = rss_kb()[0]
        self.rss_samples: list[int] = []

    def __call__(self, data: bytes) -> None:
        self.execs += 1
        if not self.execs & 0x1FFF:
            self.rss_samples.append(rss_kb()[0])
        try:
            self.target.run(data)
        except Exception as exc:
            reason = self.bug(exc)
            if reason is None:
                return
            self.record(data, exc, reason)
            if self.stop:
                raise

    def record(self, data: bytes, exc: BaseException, reason: str) -> None:
        frames = traceback.extract_tb(exc.__traceback__)
        inner = exc
        while inner.__cause__ is not None:  # locate the original error, not the wrapper
            inner = inner.__cause__
            frames = traceback.extract_tb(inner.__traceback__) or frames
        where = next((f"{os.path.basename(f.filename)}:{f.lineno}" for f in reversed(frames)
                      if "tls12fast" in f.filename), "?")
        signature = f"{type(inner).__name__}@{where}"
        if signature in self.findings:
            self.findings[signature]["count"] += 1
            return
        os.makedirs(CRASHES, exist_ok=True)
        digest = hashlib.sha1(data).hexdigest()[:12]
        path = os.path.join(CRASHES, f"{self.label}-{digest}.bin")
        with open(path, "wb") as f:
            f.write(data)
        text = "".join(traceback.format_exception(exc))
        with open(path[:-4] + ".txt", "w") as f:
            f.write(f"target {self.label}: {reason}\n{text}")
        self.findings[signature] = {"reason": reason, "input": os.path.relpath(path, ROOT),
                                    "count": 1, "exception": f"{type(exc).__name__}: {exc}"}
        print(f"\n=== FINDING {self.label}: {reason} [{signature}] -> {path}\n{text}",
              file=sys.stderr, flush=True)

    def result(self) -> dict:
        seconds = max(time.monotonic() - self.start, 1e-9)
        rss, peak = rss_kb()
        return {"target": self.target.name, "twin": self.target.twin.name,
                "executions": self.execs, "seconds": round(seconds, 1),
                "exec_per_s": round(self.execs / seconds), "rss_start_kb": self.rss_start,
                "rss_end_kb": rss, "rss_peak_kb": peak,
                # first sample after 8192 fuzzed inputs: libFuzzer's own tables are in by then
                "rss_8k_kb": self.rss_samples[0] if self.rss_samples else rss,
                "findings": self.findings}


def load_seeds(dirs: list[str]) -> list[bytes]:
    out = []
    for d in dirs:
        if os.path.isdir(d):
            for name in sorted(os.listdir(d)):
                with open(os.path.join(d, name), "rb") as f:
                    out.append(f.read())
    return out


def fuzz_one(args) -> None:
    """Fuzz one target on one twin in this process; prints FUZZ-RESULT at exit."""
    try:
        import atheris
    except ImportError:
        atheris = None
    if atheris is not None:
        with atheris.instrument_imports(include=["tls12fast"]):
            if args.build:
                activate_build(args.build)
            import_all()
    else:
        if args.build:
            activate_build(args.build)
        import_all()
    import targets
    from tls12fast import _speedups

    _speedups.backend(args.twin)  # imports that twin now: a missing build fails here, loudly
    compiled = sys.modules.get("tls12fast._record_c")
    print(f"fuzz {args.target} on {args.twin} twin; compiled twins from "
          f"{os.path.dirname(compiled.__file__) if compiled else '-'}", file=sys.stderr)
    target = targets.make(args.target, args.twin)
    seed_dirs = [os.path.join(SEEDS, args.target)]
    corpus = args.corpus or os.path.join(CORPUS, args.target)
    os.makedirs(corpus, exist_ok=True)
    seeds = load_seeds(seed_dirs) or target.seeds()
    runner = Runner(target, args.twin, args.stop_on_crash)
    for seed in seeds + load_seeds([corpus])[:2000]:  # warm-up: RSS start is after it
        runner(seed)
    runner.execs = 0
    runner.start = time.monotonic()
    runner.rss_start = rss_kb()[0]

    def report(_arg=None) -> None:
        result = runner.result()
        print("FUZZ-RESULT " + json.dumps(result), flush=True)
        if result["findings"]:
            os._exit(1)

    if atheris is None:
        rng = random.Random(args.seed)
        pool = seeds[:] or [b""]
        deadline = time.monotonic() + args.max_seconds
        while runner.execs < args.runs and time.monotonic() < deadline:
            runner(targets.mutate(rng, rng.choice(pool)))
        report()
        return
    # libFuzzer ends with exit(), which skips Python's atexit: hook C's exit instead.
    hook = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(report)
    ctypes.CDLL(None).__cxa_atexit(hook, None, None)
    runner._hook = hook  # keep the callback alive until exit
    argv = [sys.argv[0], f"-runs={args.runs}", f"-max_total_time={args.max_seconds}",
            "-timeout=10", "-rss_limit_mb=2048", "-max_len=4096", f"-seed={args.seed}",
            f"-artifact_prefix={CRASHES}/{args.target}-{args.twin}-", "-print_final_stats=1",
            corpus, *[d for d in seed_dirs if os.path.isdir(d)]]
    os.makedirs(CRASHES, exist_ok=True)
    atheris.Setup(argv, runner)
    atheris.Fuzz()


def make_seeds(names: list[str] | None = None) -> None:
    import targets

    for name in names or targets.TARGETS:
        target = targets.make(name, "python")
        out = os.path.join(SEEDS, name)
        os.makedirs(out, exist_ok=True)
        for i, seed in enumerate(target.seeds()):
            with open(os.path.join(out, f"seed-{i:02d}.bin"), "wb") as f:
                f.write(seed)
        print(f"{name}: {i + 1} seeds in {os.path.relpath(out, ROOT)}")


def child(target: str, twin: str, args) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--target", target, "--twin", twin,
           "--runs", str(args.runs), "--max-seconds", str(args.max_seconds),
           "--seed", str(args.seed)]
    if args.build:
        cmd += ["--build", args.build]
    log = os.path.join(ROOT, "build", "fuzz-logs", f"{target}-{twin}.log")
    os.makedirs(os.path.dirname(log), exist_ok=True)
    started = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=out)
        try:  # hard bound: libFuzzer's own limits plus setup slack
            stdout, _ = proc.communicate(timeout=args.max_seconds + 120)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, _ = proc.communicate()
            return {"target": target, "twin": twin, "error": f"killed after {args.max_seconds + 120}s",
                    "log": log}
    line = next((ln for ln in stdout.decode(errors="replace").splitlines()
                 if ln.startswith("FUZZ-RESULT ")), None)
    if line is None:
        return {"target": target, "twin": twin, "log": os.path.relpath(log, ROOT),
                "error": f"no result (exit {proc.returncode}; libFuzzer crash, hang or OOM)"}
    result = json.loads(line[len("FUZZ-RESULT "):])
    result["wall"] = round(time.monotonic() - started, 1)
    result["log"] = os.path.relpath(log, ROOT)
    return result


def fuzz_all(args) -> int:
    import targets

    chains = [[(name, twin) for twin in (("python",) if name in targets.TWIN_INDEPENDENT
                                          else ("python", "cython"))]
              for name in (args.targets.split(",") if args.targets else targets.TARGETS)]

    def run_chain(chain):  # pure twin first: the compiled twin inherits its corpus
        return [child(t, w, args) for t, w in chain]

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = [r for chain in pool.map(run_chain, chains) for r in chain]
    total, bad = 0, 0
    print(f"{'target':18} {'twin':7} {'executions':>10} {'exec/s':>7} {'RSS start':>10} "
          f"{'@8k execs':>10} {'RSS end':>9} {'peak':>8}  findings")
    for r in results:
        if "error" in r:
            bad += 1
            print(f"{r['target']:18} {r['twin']:7} ERROR: {r['error']} (log {r['log']})")
            continue
        total += r["executions"]
        bad += bool(r["findings"])
        twin = r["twin"] if r["target"] not in targets.TWIN_INDEPENDENT else "(any)"
        print(f"{r['target']:18} {twin:7} {r['executions']:>10} {r['exec_per_s']:>7} "
              f"{r['rss_start_kb'] // 1024:>8}MB {r['rss_8k_kb'] // 1024:>8}MB "
              f"{r['rss_end_kb'] // 1024:>7}MB "
              f"{r['rss_peak_kb'] // 1024:>6}MB  {len(r['findings']) or 'none'}")
        for sig, f in r["findings"].items():
            print(f"    {sig}: {f['reason']} x{f['count']} -> {f['input']}\n      {f['exception']}")
    print(f"total executions: {total}; targets with findings or errors: {bad}")
    return 1 if bad else 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target")
    p.add_argument("--twin", choices=("cython", "python"), default="python")
    p.add_argument("--all", action="store_true", help="every target x twin in subprocesses")
    p.add_argument("--targets", help="with --all or --make-seeds: comma-separated subset")
    p.add_argument("--runs", type=int, default=10000)
    p.add_argument("--max-seconds", type=int, default=60)
    p.add_argument("--corpus", help="corpus directory (default fuzz/corpus/<target>)")
    p.add_argument("--build", default=os.environ.get("TLS12FAST_FUZZ_BUILD"),
                   help="load compiled twins from this build dir (tools/build_one.py --out)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--stop-on-crash", action="store_true")
    p.add_argument("--make-seeds", action="store_true")
    args = p.parse_args(argv)
    if args.make_seeds:
        make_seeds(args.targets.split(",") if args.targets else None)
        return 0
    if args.all:
        return fuzz_all(args)
    if not args.target:
        p.error("--target, --all or --make-seeds is required")
    fuzz_one(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
