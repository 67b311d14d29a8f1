"""asyncio HTTPS server throughput: stdlib ssl vs tls12fast.SSLContext, driven by openssl s_time.

How this works: the same asyncio server (one small HTTP/1.0 response per connection) is
started in a child process with `ssl=` a stdlib ssl.SSLContext or a tls12fast.SSLContext
(same certificate, TLS 1.2, ECDHE-RSA-AES128-GCM-SHA256). `openssl s_time -new` (a full
handshake per connection) and `-reuse` (session-ID resumption) run for a bounded time from
a separate process; connections/s and the tls12fast/stdlib ratio are printed.
Targets (issue 5): >= 1.2x for -new, >= 2x for -reuse.

Run: python bench/asyncio_server_bench.py [--time 5]
"""
from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

SERVER = r"""
import asyncio, ssl, sys
import tls12fast
kind, cert, key, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ctx = (tls12fast.SSLContext if kind == "tls12fast" else ssl.SSLContext)(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
if kind == "stdlib":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.options |= ssl.OP_NO_TICKET  # s_time -reuse measures session-ID resumption
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

asyncio.run(main())
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _s_time(port: int, mode: str, seconds: int) -> float:
    out = subprocess.run(["openssl", "s_time", "-connect", f"127.0.0.1:{port}", mode, "-time", str(seconds),
                          "-tls1_2"], capture_output=True, text=True, timeout=seconds * 4 + 30).stdout
    match = re.search(r"(\d+) connections in ([\d.]+) real seconds", out)
    if not match:
        return 0.0
    return int(match.group(1)) / float(match.group(2))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time", type=int, default=5, help="seconds per s_time run")
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
    from _pki import make_pki

    pki = make_pki(tempfile.mkdtemp(prefix="asyncio-bench-"))
    results = {}
    for kind in ("stdlib", "tls12fast"):
        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-c", SERVER, kind, str(pki.rsa_cert), str(pki.rsa_key), str(port)],
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(0.2)
            for mode in ("-new", "-reuse"):
                print(f"{kind} {mode} ...", file=sys.stderr, flush=True)
                results[kind, mode] = _s_time(port, mode, args.time)
        finally:
            proc.terminate()
            proc.wait(10)
    print(f"{'':10}{'stdlib ssl':>14}{'tls12fast':>14}{'ratio':>8}   (connections/s, openssl s_time -time {args.time})")
    for mode in ("-new", "-reuse"):
        base, ours = results["stdlib", mode], results["tls12fast", mode]
        ratio = f"{ours / base:.2f}x" if base else "n/a"
        print(f"{mode:10}{base:14.1f}{ours:14.1f}{ratio:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
