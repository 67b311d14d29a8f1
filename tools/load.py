#!/usr/bin/env python3
"""Load test: many concurrent asyncio TLS connections against ONE tls12fast server process.

How this works. The client (this process) starts the server as a child process
(`load.py --serve`, which prints its port as a JSON line), primes a few sessions of each
kind (session ID with offer_ticket=False, RFC 5077 ticket with offer_ticket=True), then
opens --connections connections at once: the first --resume-share of them resume (split
evenly between the two kinds, each handed one of the primed sessions via `session=`), the
rest do full handshakes. Every connection sends a 4-byte length plus a random payload
(--min-size..--max-size bytes); the server echoes it; the client checks the SHA-256 of
what came back and closes with close_notify. The server counts the resumption kind of
every handshake it completed and, when the client closes its stdin, prints those counts
as a JSON line and exits. Everything runs under a hard deadline (--deadline seconds): the
client gives up, kills the server by its PID and reports what finished.

Both sides use the public API: tls12fast.io.aio (open_connection / start_server around
the sans-IO ClientConnection / ServerConnection), or with --server-api ssl the server is
`asyncio.start_server(..., ssl=tls12fast.SSLContext(...))`, and with --server-api loop the
same on tls12fast.io.aio.new_event_loop() (TLSProtocol instead of asyncio's sslproto).

Usage:
    python tools/load.py                          # 1,000 connections, half resuming
    python tools/load.py --connections 200 --backend python --json
Exit status 0 only if every connection completed, echoed intact, resumed as planned,
and the server saw the same counts and no errors.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time

import tls12fast as t
from tls12fast.io import aio

HEADER = struct.Struct("!I")
SERVER_NAME = "localhost"


# ---------------------------------------------------------------------------- server


async def _serve(args) -> None:
    counts = {"full": 0, "session_id": 0, "ticket": 0, "resumed": 0, "echoed_bytes": 0}
    errors: list[str] = []
    cert, key, _ = _certificate(args.pki_dir)
    backend = None if args.backend == "default" else args.backend

    async def echo(read_exact, write, close) -> None:
        (size,) = HEADER.unpack(await read_exact(HEADER.size))
        remaining = size
        while remaining:
            chunk = await read_exact(min(remaining, 16384))
            await write(chunk)
            remaining -= len(chunk)
        counts["echoed_bytes"] += size
        await close()

    if args.server_api in ("ssl", "loop"):
        ctx = t.SSLContext(t.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)

        async def handle(reader, writer):
            try:
                ssl_object = writer.get_extra_info("ssl_object")
                counts["resumed" if ssl_object.session_reused else "full"] += 1

                async def write(data):
                    writer.write(data)
                    await writer.drain()

                async def close():
                    await reader.read()  # the client's close_notify / EOF
                    writer.close()

                await echo(reader.readexactly, write, close)
            except Exception as exc:  # counted and reported, never silently dropped
                errors.append(f"{type(exc).__name__}: {exc}")
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", args.port, ssl=ctx,
                                            backlog=4096)
    else:
        config = t.ServerConfig(certificates=[t.CertifiedKey.load(cert, key)], backend=backend,
                                session_cache=t.MemorySessionCache(), tickets=t.TicketKeys())

        async def handle(stream):
            counts[stream.conn.resumption] += 1
            buf = bytearray()

            async def read_exact(n):
                while len(buf) < n:
                    data = await stream.recv()
                    if not data:
                        raise EOFError(f"peer closed with {len(buf)} of {n} bytes buffered")
                    buf.extend(data)
                out = bytes(buf[:n])
                del buf[:n]
                return out

            async def close():
                while await stream.recv():  # until close_notify / EOF
                    pass
                await stream.aclose()

            try:
                await echo(read_exact, stream.send, close)
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")

        server = await aio.start_server(handle, "127.0.0.1", args.port, config,
                                        on_error=lambda exc: errors.append(repr(exc)),
                                        backlog=4096)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port}), flush=True)
    loop = asyncio.get_running_loop()
    stdin_closed = loop.run_in_executor(None, sys.stdin.buffer.read)
    try:
        await asyncio.wait_for(stdin_closed, args.deadline)
    except TimeoutError:
        errors.append("server deadline reached")
    server.close()
    print(json.dumps({"server": counts, "errors": errors[:20], "error_count": len(errors)}),
          flush=True)
    os._exit(0)  # do not wait for the stdin reader thread


# ---------------------------------------------------------------------------- client


def _certificate(directory: str) -> tuple[str, str, str]:
    from tls12fast.cli import self_signed

    return self_signed(directory)


async def _one(i: int, kind: str, config, session, payload: bytes, timeout: float) -> dict:
    """One connection: handshake, echo `payload`, close. Never raises."""
    result = {"i": i, "planned": kind, "resumption": None, "ok": False, "error": None,
              "handshake": None}
    start = time.perf_counter()
    stream = None
    try:
        async with asyncio.timeout(timeout):
            stream = await aio.open_connection("127.0.0.1", _PORT, config, server_name=SERVER_NAME,
                                               session=session, handshake_timeout=None)
            result["handshake"] = time.perf_counter() - start
            result["resumption"] = stream.conn.resumption
            result["session"] = stream.conn.session
            await stream.send(HEADER.pack(len(payload)) + payload)
            echoed = bytearray()
            while len(echoed) < len(payload):
                data = await stream.recv()
                if not data:
                    raise EOFError(f"server closed after {len(echoed)} of {len(payload)} bytes")
                echoed += data
            result["ok"] = hashlib.sha256(echoed).digest() == hashlib.sha256(payload).digest()
            if not result["ok"]:
                result["error"] = "echo mismatch"
            await stream.aclose()
    except Exception as exc:  # reported per connection
        result["error"] = f"{type(exc).__name__}: {exc}"
        if stream is not None:
            stream.writer.close()
    return result


_PORT = 0


async def _client(args, ca: str) -> dict:
    backend = None if args.backend == "default" else args.backend
    configs = {
        kind: t.ClientConfig(cafile=ca, backend=backend, session_store=None, offer_ticket=ticket)
        for kind, ticket in (("session_id", False), ("ticket", True))
    }
    rng = random.Random(args.seed)
    prime_n = max(1, args.prime)
    primed: dict[str, list] = {}
    for kind, config in configs.items():  # full handshakes whose sessions the rest resume
        primed[kind] = []
        for i in range(prime_n):
            r = await _one(-1, "full", config, None, os.urandom(64), args.timeout)
            if r["error"] or r.get("session") is None:
                raise SystemExit(f"priming a {kind} session failed: {r['error']}")
            primed[kind].append(r["session"])

    n = args.connections
    n_resume = round(n * args.resume_share)
    plan = []
    for i in range(n):
        if i < n_resume:
            kind = "session_id" if i % 2 == 0 else "ticket"
            plan.append((kind, configs[kind], primed[kind][i % prime_n]))
        else:
            plan.append(("full", configs["ticket" if i % 2 else "session_id"], None))
    rng.shuffle(plan)
    payloads = [rng.randbytes(rng.randint(args.min_size, args.max_size)) for _ in range(n)]

    start = time.perf_counter()
    tasks = [asyncio.create_task(_one(i, kind, cfg, sess, payloads[i], args.timeout))
             for i, (kind, cfg, sess) in enumerate(plan)]
    done, pending = await asyncio.wait(tasks, timeout=args.deadline)
    for task in pending:
        task.cancel()
    duration = time.perf_counter() - start
    results = [task.result() for task in done]
    hs = sorted(r["handshake"] for r in results if r["handshake"] is not None)
    planned = {k: sum(1 for p in plan if p[0] == k) for k in ("full", "session_id", "ticket")}
    got = {k: sum(1 for r in results if r["ok"] and r["resumption"] == k)
           for k in ("full", "session_id", "ticket")}
    wrong = sum(1 for r in results if r["ok"] and r["resumption"] != r["planned"])
    errors = [f"#{r['i']} {r['error']}" for r in results if r["error"]]

    def pct(q):
        return round(hs[min(len(hs) - 1, int(q * len(hs)))] * 1000, 1) if hs else None

    return {
        "connections": n, "completed": sum(1 for r in results if r["ok"]),
        "unfinished": len(pending), "planned": planned, "resumption": got,
        "not_as_planned": wrong, "errors": len(errors), "error_samples": errors[:10],
        "bytes_echoed": sum(len(payloads[r["i"]]) for r in results if r["ok"]),
        "duration_s": round(duration, 2), "handshake_ms_p50": pct(0.50),
        "handshake_ms_p99": pct(0.99), "primed_sessions": 2 * prime_n,
    }


def _run_client(args) -> int:
    global _PORT
    with tempfile.TemporaryDirectory(prefix="tls12fast-load-") as pki_dir:
        _, _, ca = _certificate(pki_dir)
        cmd = [sys.executable, os.path.abspath(__file__), "--serve", "--pki-dir", pki_dir,
               "--backend", args.backend, "--server-api", args.server_api,
               "--deadline", str(args.deadline + 30)]
        server = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            _PORT = json.loads(server.stdout.readline())["port"]
            report = asyncio.run(_client(args, ca))
            server.stdin.close()
            line = server.stdout.readline()
            server_report = json.loads(line) if line else {"server": None, "error_count": -1}
        finally:
            if server.poll() is None:
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
    report["server"] = server_report["server"]
    report["server_errors"] = server_report["error_count"]
    report["server_error_samples"] = server_report.get("errors", [])
    report["backend"] = args.backend if args.backend != "default" else t.BACKEND
    report["server_api"] = args.server_api
    s = report["server"] or {}
    resumed = report["resumption"]["session_id"] + report["resumption"]["ticket"]
    server_resumed = s.get("resumed", 0) + s.get("session_id", 0) + s.get("ticket", 0)
    report["ok"] = (report["completed"] == report["connections"] and report["errors"] == 0
                    and report["not_as_planned"] == 0 and report["server_errors"] == 0
                    and report["resumption"] == report["planned"]
                    # the server also saw the priming handshakes (all full)
                    and server_resumed == resumed)
    if args.json:
        print(json.dumps(report))
    else:
        print(f"backend {report['backend']}, server API {args.server_api}")
        print(f"connections {report['connections']} (concurrent), completed {report['completed']}, "
              f"unfinished {report['unfinished']}, errors {report['errors']}")
        print(f"resumed: session_id {report['resumption']['session_id']}, ticket "
              f"{report['resumption']['ticket']}; full {report['resumption']['full']} "
              f"(planned {report['planned']}); server saw {s}")
        print(f"bytes echoed intact {report['bytes_echoed']}, duration {report['duration_s']} s, "
              f"handshake latency p50 {report['handshake_ms_p50']} ms, p99 {report['handshake_ms_p99']} ms")
        for line in report["error_samples"] + report["server_error_samples"]:
            print("  error:", line)
        print("OK" if report["ok"] else "FAILED")
    return 0 if report["ok"] else 1


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--connections", type=int, default=1000)
    p.add_argument("--resume-share", type=float, default=0.5)
    p.add_argument("--prime", type=int, default=8, help="sessions primed per resumption kind")
    p.add_argument("--min-size", type=int, default=1024)
    p.add_argument("--max-size", type=int, default=65536)
    p.add_argument("--backend", choices=("default", "cython", "python"), default="default")
    p.add_argument("--server-api", choices=("aio", "ssl", "loop"), default="aio")
    p.add_argument("--deadline", type=float, default=120.0, help="hard bound for the whole run (s)")
    p.add_argument("--timeout", type=float, default=60.0, help="per-connection bound (s)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="print one JSON report line")
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--pki-dir", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve:
        factory = aio.new_event_loop if args.server_api == "loop" else None
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(_serve(args))
        return 0
    return _run_client(args)


if __name__ == "__main__":
    sys.exit(main())
