"""asyncio HTTPS server throughput: stdlib ssl vs tls12fast.SSLContext, driven by openssl s_time.

How this works: the same asyncio server (reads one HTTP request, writes one small
HTTP/1.0 response, closes with close_notify) runs in three child processes: with `ssl=`
a stdlib ssl.SSLContext ("stdlib"), a tls12fast.SSLContext ("tls12fast", through
asyncio's sslproto), and a tls12fast.SSLContext under tls12fast.io.aio.new_event_loop()
("tls12fast-loop": the same code, with TLSProtocol in place of sslproto) — same certificate, TLS 1.2 only, one
pinned suite, OP_NO_TICKET on both so `-reuse` measures session-ID resumption. Clients
are `openssl s_time -www /` processes (separate from the server) on 127.0.0.1 with a
bounded -time: `-new` is a full handshake per connection, `-reuse` resumes the first
connection's session. `-www` matters: without a request/response exchange the server
never sends close_notify and OpenSSL drops such sessions from its cache (ssl_clear_bad_session),
so stdlib "-reuse" silently measured full handshakes.

Reported per server and mode:
  conn/s   connections per wall-clock second, counted by us around the s_time run
           (s_time's own "real seconds" is truncated to whole seconds);
  cpu ms   server process CPU (user+sys, /proc) per connection — the fair number on a
           small or busy machine, where the client competes for the same cores;
  reused   share of connections s_time reports as resumed ('r' marks).
Each round rotates which server goes first and the median round is shown. Ratios are
against stdlib: X/stdlib for conn/s and stdlib/X for CPU (>1 = better than stdlib).
Targets (issue 5): >= 1.2x for -new, >= 2x for -reuse.

--floor N adds the floor: the same server without TLS, N sequential plain-TCP connections
making the same request (server CPU per connection is what any TLS server adds to).

Run: python bench/asyncio_server_bench.py [--time 5] [--rounds 3] [--clients 1] [--ecdsa] [--floor 20000]
"""
from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SERVER = r"""
import asyncio, ssl, sys
import tls12fast, tls12fast.io.aio
kind, cert, key, port, cipher = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
ctx = (ssl.SSLContext if kind == "stdlib" else tls12fast.SSLContext)(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.set_ciphers(cipher)
ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.options |= ssl.OP_NO_TICKET  # s_time -reuse measures session-ID resumption
if kind == "plain-tcp":  # the floor: the same server without TLS
    ctx = None
BODY = b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n"

async def handle(reader, writer):
    try:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(BODY)
        await writer.drain()
    except Exception:
        pass
    writer.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", port, ssl=ctx, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()

# The same server either way; "tls12fast-loop" only swaps the event loop (sslproto -> TLSProtocol).
factory = tls12fast.io.aio.new_event_loop if kind == "tls12fast-loop" else None
with asyncio.Runner(loop_factory=factory) as runner:
    runner.run(main())
"""

# stdlib ssl; tls12fast.SSLContext through asyncio's sslproto; the same with
# tls12fast.io.aio.new_event_loop() (TLSProtocol in place of sslproto).
KINDS = ("stdlib", "tls12fast", "tls12fast-loop")
# --floor: a client process making sequential plain-TCP requests like s_time -www's.
FLOOR_CLIENT = r"""
import socket, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
for _ in range(count):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        while s.recv(4096):
            pass
"""
SUITES = {"rsa": "ECDHE-RSA-AES128-GCM-SHA256", "ecdsa": "ECDHE-ECDSA-AES128-GCM-SHA256"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _s_time(port: int, pid: int, mode: str, seconds: int, cipher: str, clients: int) -> dict:
    """Run `clients` parallel s_time processes; conn/s, server CPU ms/conn, reused share."""
    cmd = ["openssl", "s_time", "-connect", f"127.0.0.1:{port}", mode, "-www", "/", "-time", str(seconds),
           "-tls1_2", "-cipher", cipher]
    cpu0, t0 = _cpu_seconds(pid), time.perf_counter()
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
             for _ in range(clients)]
    outs = [p.communicate(timeout=seconds * 4 + 30)[0] for p in procs]
    wall, cpu = time.perf_counter() - t0, _cpu_seconds(pid) - cpu0
    count = reused = 0
    for out in outs:
        match = re.search(r"(\d+) connections in [\d.]+ real seconds", out)
        count += int(match.group(1)) if match else 0
        reused += sum(line.count("r") for line in out.splitlines() if set(line) <= set("r*t123"))
    return {"rate": count / wall, "cpu_ms": cpu / count * 1000 if count else 0.0,
            "reused": reused / count if count else 0.0}


def _start(kind: str, cert, key, cipher: str):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, kind, str(cert), str(key), str(port), cipher],
                            stdout=subprocess.PIPE, text=True)
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise SystemExit(f"{kind} server did not start")
    return proc, port


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time", type=int, default=5, help="seconds per s_time run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (median shown)")
    parser.add_argument("--clients", type=int, default=1, help="parallel s_time processes")
    parser.add_argument("--ecdsa", action="store_true", help="ECDSA P-256 certificate and suite")
    parser.add_argument("--floor", type=int, default=0, metavar="N",
                        help="also time N plain-TCP connections to the same server without TLS")
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
    from _pki import make_pki

    pki = make_pki(tempfile.mkdtemp(prefix="asyncio-bench-"))
    alg = "ecdsa" if args.ecdsa else "rsa"
    cert, key = (pki.ecdsa_cert, pki.ecdsa_key) if args.ecdsa else (pki.rsa_cert, pki.rsa_key)
    cipher = SUITES[alg]
    servers = {kind: _start(kind, cert, key, cipher) for kind in KINDS}
    runs: dict[tuple[str, str], list[dict]] = {}
    try:
        time.sleep(0.2)
        for rnd in range(args.rounds):
            for mode in ("-new", "-reuse"):
                order = KINDS[rnd % len(KINDS):] + KINDS[:rnd % len(KINDS)]  # rotate who goes first
                for kind in order:
                    print(f"round {rnd + 1}/{args.rounds} {kind} {mode} ...", file=sys.stderr, flush=True)
                    proc, port = servers[kind]
                    runs.setdefault((kind, mode), []).append(
                        _s_time(port, proc.pid, mode, args.time, cipher, args.clients))
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(10)

    if args.floor:
        proc, port = _start("plain-tcp", cert, key, cipher)
        try:
            cpu0, t0 = _cpu_seconds(proc.pid), time.perf_counter()
            subprocess.run([sys.executable, "-c", FLOOR_CLIENT, str(port), str(args.floor)],
                           check=True, timeout=args.floor * 0.05 + 60)
            floor_ms = (_cpu_seconds(proc.pid) - cpu0) / args.floor * 1000
            floor_rate = args.floor / (time.perf_counter() - t0)
        finally:
            proc.terminate()
            proc.wait(10)

    def median(kind, mode, field):
        return statistics.median(r[field] for r in runs[kind, mode])

    print(f"{cipher}, TLS 1.2, {args.clients} s_time client(s), -time {args.time}, median of {args.rounds} "
          f"rounds, {os.cpu_count()} CPUs; ratios against stdlib (>1 = better than stdlib)")
    print(f"{'':8}{'server':>16}{'conn/s':>9}{'ratio':>7}  |{'cpu ms/conn':>12}{'ratio':>7}  |{'reused':>7}")
    for mode in ("-new", "-reuse"):
        base, bcpu = median("stdlib", mode, "rate"), median("stdlib", mode, "cpu_ms")
        for kind in KINDS:
            rate, cpu = median(kind, mode, "rate"), median(kind, mode, "cpu_ms")
            print(f"{mode if kind == 'stdlib' else '':8}{kind:>16}{rate:9.1f}{rate / base if base else 0:6.2f}x  |"
                  f"{cpu:12.3f}{bcpu / cpu if cpu else 0:6.2f}x  |{median(kind, mode, 'reused'):7.0%}")
    if args.floor:
        print(f"floor: the same asyncio server without TLS, {args.floor} sequential connections from a "
              f"Python client: {floor_rate:.0f} conn/s, server CPU {floor_ms:.3f} ms/conn")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
