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

The budget: a server on one event loop handles at most 1 / (its CPU per connection)
connections a second, and one s_time client runs one connection at a time, so its own CPU
(the children's rusage) adds to every connection's wall time. A server reaches a conn/s
ratio T against stdlib's measured rate R only if its CPU per connection is at most
    1 / (T * R)                        with --clients 2 or more, and
    1 / (T * R) - s_time's CPU         with one client.
The floor (--floor N, default 5000; 0 skips it) is what any server pays before TLS: the
same asyncio server without TLS, N plain-TCP connections making the same request from
--clients parallel Python clients. For -new the budget must also hold the server's
private-key signature and one X25519 key pair + exchange, timed here in-process through
cryptography (the same OpenSSL).

Run: python bench/asyncio_server_bench.py [--time 5] [--rounds 3] [--clients 1] [--ecdsa] [--floor 5000]
"""
from __future__ import annotations

import argparse
import os
import re
import resource
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


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """A process's (user, system) CPU seconds, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick  # utime, stime


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _s_time(port: int, pid: int, mode: str, seconds: int, cipher: str, clients: int) -> dict:
    """Run `clients` parallel s_time processes: conn/s, server CPU ms/conn (and its
    system part), s_time's own CPU ms/conn, reused share."""
    cmd = ["openssl", "s_time", "-connect", f"127.0.0.1:{port}", mode, "-www", "/", "-time", str(seconds),
           "-tls1_2", "-cipher", cipher]
    (user0, sys0), client0, t0 = _cpu_seconds(pid), _children_cpu(), time.perf_counter()
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
             for _ in range(clients)]
    outs = [p.communicate(timeout=seconds * 4 + 30)[0] for p in procs]
    wall, (user1, sys1) = time.perf_counter() - t0, _cpu_seconds(pid)
    client = _children_cpu() - client0
    count = reused = 0
    for out in outs:
        match = re.search(r"(\d+) connections in [\d.]+ real seconds", out)
        count += int(match.group(1)) if match else 0
        reused += sum(line.count("r") for line in out.splitlines() if set(line) <= set("r*t123"))
    per_conn = 1000 / count if count else 0.0
    return {"rate": count / wall, "cpu_ms": (user1 - user0 + sys1 - sys0) * per_conn,
            "sys_ms": (sys1 - sys0) * per_conn, "client_ms": client * per_conn,
            "reused": reused / count if count else 0.0}



def _floor(cert, key, cipher: str, count: int, clients: int) -> tuple[float, float, float]:
    """The no-TLS server's CPU ms/conn, its system part, and conn/s for `count` connections
    from `clients` parallel clients."""
    proc, port = _start("plain-tcp", cert, key, cipher)
    count -= count % clients
    try:
        (user0, sys0), t0 = _cpu_seconds(proc.pid), time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", FLOOR_CLIENT, str(port), str(count // clients)])
                 for _ in range(clients)]
        if any(p.wait(timeout=count * 0.05 + 60) for p in procs):
            raise SystemExit("a floor client failed")
        rate = count / (time.perf_counter() - t0)
        user1, sys1 = _cpu_seconds(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
    return (user1 - user0 + sys1 - sys0) * 1000 / count, (sys1 - sys0) * 1000 / count, rate


def _public_key_ms(key_path, ecdsa: bool, count: int = 300) -> tuple[float, float]:
    """Median ms of the server's signature and of one X25519 key pair + exchange."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, x25519

    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    data = os.urandom(64)
    peer = x25519.X25519PrivateKey.generate().public_key()

    def sign():
        if ecdsa:
            key.sign(data, ec.ECDSA(hashes.SHA256()))
        else:
            key.sign(data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())

    def exchange():
        ours = x25519.X25519PrivateKey.generate()
        ours.public_key().public_bytes_raw()
        ours.exchange(peer)

    def median_ms(fn):
        times = []
        for _ in range(count):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return statistics.median(times) * 1000

    return median_ms(sign), median_ms(exchange)


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
    parser.add_argument("--floor", type=int, default=5000, metavar="N",
                        help="time N plain-TCP connections to the same server without TLS, for the "
                             "budget (0: skip)")
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

    floor = _floor(cert, key, cipher, args.floor, args.clients) if args.floor else None

    def median(kind, mode, field):
        return statistics.median(r[field] for r in runs[kind, mode])

    print(f"{cipher}, TLS 1.2, {args.clients} s_time client(s), -time {args.time}, median of {args.rounds} "
          f"rounds, {os.cpu_count()} CPUs; ratios against stdlib (>1 = better than stdlib)")
    print(f"{'':8}{'server':>16}{'conn/s':>9}{'ratio':>7}  |{'cpu ms/conn':>12}{'(sys)':>7}{'ratio':>7}  |"
          f"{'s_time ms':>10}  |{'reused':>7}")
    for mode in ("-new", "-reuse"):
        base, bcpu = median("stdlib", mode, "rate"), median("stdlib", mode, "cpu_ms")
        for kind in KINDS:
            rate, cpu = median(kind, mode, "rate"), median(kind, mode, "cpu_ms")
            print(f"{mode if kind == 'stdlib' else '':8}{kind:>16}{rate:9.1f}{rate / base if base else 0:6.2f}x  |"
                  f"{cpu:12.3f}{median(kind, mode, 'sys_ms'):7.3f}{bcpu / cpu if cpu else 0:6.2f}x  |"
                  f"{median(kind, mode, 'client_ms'):10.3f}  |{median(kind, mode, 'reused'):7.0%}")
    if floor is None:
        return 0
    floor_ms, floor_sys, floor_rate = floor
    print(f"floor: the same asyncio server without TLS, {args.floor} connections from {args.clients} "
          f"Python client(s): {floor_rate:.0f} conn/s, server CPU {floor_ms:.3f} ms/conn ({floor_sys:.3f} sys)")
    sign_ms, kx_ms = _public_key_ms(key, args.ecdsa)
    print(f"in-process, through cryptography: {alg.upper()} signature {sign_ms:.3f} ms, "
          f"X25519 key pair + exchange {kx_ms:.3f} ms")
    for mode, target, fixed, what in (("-new", 1.2, floor_ms + sign_ms + kx_ms, "floor + signature + X25519"),
                                      ("-reuse", 2.0, floor_ms, "floor")):
        allowed = 1000 / (target * median("stdlib", mode, "rate"))
        if args.clients == 1:
            allowed -= median("stdlib", mode, "client_ms")
        spent = ", ".join(f"{kind} {median(kind, mode, 'cpu_ms') - fixed:.3f}" for kind in KINDS)
        print(f"budget {mode} (target {target}x): server CPU <= {allowed:.3f} ms/conn; {what} = "
              f"{fixed:.3f}, leaving {allowed - fixed:.3f} ms for TLS (spent now: {spent})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
