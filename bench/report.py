"""Run the benchmarks and print a Markdown table of medians for the README.

How this works: runs `pytest bench ... --benchmark-json=<temp file>` in a subprocess (the
JSON goes to a temporary directory, never into the tree), then groups the results by
benchmark group and prints, per group, each implementation's median time, the rate that
median implies, and the ratio of that rate to stdlib ssl's (or, in groups without an ssl
row, to the pure-Python twin's). A header line records machine, Python, OpenSSL and commit.

Usage:
    python bench/report.py                      # everything in bench/
    python bench/report.py -k handshake         # only the handshake groups
    python bench/report.py -- --benchmark-max-time=2   # extra pytest arguments
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import re
import ssl
import subprocess
import sys
import tempfile

BENCH_DIR = pathlib.Path(__file__).resolve().parent
BASELINES = ("stdlib-ssl", "stdlib", "ssl", "python", "tls12fast-python")


def implementation(bench: dict) -> str:
    """The compared system of one result: extra_info["stack"], else the twin parameter."""
    stack = bench.get("extra_info", {}).get("stack")
    if stack:
        return stack
    params = bench.get("params") or {}
    for key in ("stack", "impl", "twin"):
        if key in params:
            return str(params[key])
    m = re.search(r"\[(.*)\]", bench.get("name", ""))
    return m.group(1) if m else bench.get("name", "?")


def fmt_time(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e9:.0f} ns"


def fmt_rate(per_second: float) -> str:
    return f"{per_second:,.0f}/s" if per_second >= 10 else f"{per_second:.1f}/s"


def table(results: dict) -> str:
    """Markdown for a pytest-benchmark JSON document."""
    groups: dict[str, list[dict]] = {}
    for bench in results["benchmarks"]:
        groups.setdefault(bench.get("group") or bench["name"], []).append(bench)
    lines = ["| Benchmark | Implementation | Median | Rate | vs baseline |",
             "|---|---|---:|---:|---:|"]
    for group in sorted(groups):
        rows = [(implementation(b), b["stats"]["median"]) for b in groups[group]]
        medians = dict(rows)
        base_name = next((b for b in BASELINES if b in medians), None)
        for name, median in sorted(rows, key=lambda r: r[1]):
            if base_name is None:
                ratio = ""
            elif name == base_name:
                ratio = f"1.00× ({base_name})"
            else:
                ratio = f"{medians[base_name] / median:.2f}×"
            lines.append(f"| `{group}` | {name} | {fmt_time(median)} | {fmt_rate(1 / median)} | {ratio} |")
    return "\n".join(lines)


def header(results: dict) -> str:
    info = results.get("machine_info", {})
    commit = results.get("commit_info", {}).get("id", "")[:10]
    if not commit:
        try:
            commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                    text=True, cwd=BENCH_DIR, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            commit = "?"
    cpu = info.get("cpu", {}).get("brand_raw") or platform.processor() or platform.machine()
    return (f"Machine: {cpu}, {info.get('system', platform.system())} {info.get('release', '')}; "
            f"Python {info.get('python_version', platform.python_version())}; {ssl.OPENSSL_VERSION}; "
            f"commit {commit}. Medians; rate = 1 / median; ratio = baseline median / median "
            f"(> 1 is faster than the baseline). Handshake times are client + server CPU in one process.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", dest="keyword", help="pytest -k expression (e.g. handshake)")
    parser.add_argument("--json", help="also keep the raw JSON at this path")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tls12fast-bench-") as tmp:
        out = pathlib.Path(tmp) / "bench.json"
        cmd = [sys.executable, "-m", "pytest", str(BENCH_DIR), "-q", "-p", "no:cacheprovider",
               f"--benchmark-json={out}", *args.pytest_args]
        if args.keyword:
            cmd += ["-k", args.keyword]
        proc = subprocess.run(cmd, cwd=BENCH_DIR, env=dict(os.environ))
        if not out.exists():
            print("benchmark run produced no results", file=sys.stderr)
            return proc.returncode or 1
        results = json.loads(out.read_text())
        if args.json:
            pathlib.Path(args.json).write_text(json.dumps(results, indent=1))
    print()
    print(header(results))
    print()
    print(table(results))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
