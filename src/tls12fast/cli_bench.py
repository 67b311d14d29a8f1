# `tls12fast bench`: in-memory handshakes and record throughput, each stack side by side.
#
# How this works: every stack runs the same three handshakes (full ECDHE-RSA x25519
# AES-128-GCM, resumed by session ID, resumed by ticket) and a 1 MiB transfer in 16 KiB
# records, client and server in this process, bytes carried by loopback.py; each case is
# timed for a fixed span and reported as a rate with its ratio to stdlib ssl. A stack that
# answers a resumption attempt with a full handshake shows "n/a" rather than a wrong rate.
from __future__ import annotations

import os
import ssl
import sys
import time

from .cli import _make_self_signed
from .loopback import memory_handshake, pump

__all__ = ["run_bench"]


class _NotResumed(Exception):
    """The engine answered a resumption attempt with a full handshake."""


def _rate(fn, seconds: float) -> float:
    """Calls per second of fn() over about `seconds` (at least 3 calls)."""
    fn()  # warm-up
    count, start = 0, time.perf_counter()
    while True:
        fn()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and count >= 3:
            return count / elapsed


def _tls12fast_cases(backend: str, cert_pem: bytes, key_pem: bytes, ca_pem: bytes) -> dict:
    from .certs import CertifiedKey
    from .client.connection import ClientConnection
    from .config import ClientConfig, ServerConfig
    from .server.connection import ServerConnection
    from .sessions import MemorySessionCache
    from .tickets import TicketKeys

    suite = ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]
    key = CertifiedKey.from_pem(cert_pem, key_pem)

    def configs(cache, tickets):
        return (ServerConfig([key], cipher_suites=suite, groups=["x25519"], backend=backend,
                             session_cache=MemorySessionCache() if cache else None,
                             tickets=TicketKeys() if tickets else None),
                ClientConfig(cadata=ca_pem, cipher_suites=suite, groups=["x25519"], backend=backend,
                             session_store=None, offer_ticket=tickets))

    def handshake(pair, session=None):
        server = ServerConnection(pair[0])
        client = ClientConnection(pair[1], server_name="localhost", session=session)
        pump(client, server)
        return client, server

    cases = {"full": lambda full=configs(False, False): handshake(full)}
    for kind, cache, tickets in (("session_id", True, False), ("ticket", False, True)):
        pair = configs(cache, tickets)
        first, _ = handshake(pair)

        def resumed(pair=pair, session=first.session, kind=kind):
            client, _ = handshake(pair, session)
            if client.resumption != kind:
                raise _NotResumed(kind)
        cases[kind] = resumed
    client, server = handshake(configs(False, False))
    block = os.urandom(16384)

    def transfer():  # 1 MiB client -> server in 16 KiB records
        for _ in range(64):
            client.send(block)
            server.receive_data(client.data_to_send())
    cases["throughput"] = transfer
    return cases


def _stdlib_cases(cert_file: str, key_file: str, ca_file: str) -> dict:
    def contexts(tickets):
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(cert_file, key_file)
        server.maximum_version = ssl.TLSVersion.TLSv1_2
        server.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
        server.set_ecdh_curve("X25519") if hasattr(server, "set_ecdh_curve") else None
        if not tickets:
            server.options |= ssl.OP_NO_TICKET
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.load_verify_locations(ca_file)
        client.maximum_version = ssl.TLSVersion.TLSv1_2
        return server, client

    def handshake(ctxs, session=None):
        client, server, bios = memory_handshake(ctxs[1], ctxs[0], session=session)
        try:  # OpenSSL drops a session from its cache if the SSL is freed before close_notify
            server.unwrap()
        except ssl.SSLWantReadError:
            pass
        return client, server, bios

    full = contexts(False)
    cases = {"full": lambda: handshake(full)}
    for kind, tickets in (("session_id", False), ("ticket", True)):
        ctxs = contexts(tickets)
        first, _, _ = handshake(ctxs)

        def resumed(ctxs=ctxs, session=first.session, kind=kind):
            client, _, _ = handshake(ctxs, session)
            if not client.session_reused:
                raise _NotResumed(kind)
        cases[kind] = resumed
    client, server, bios = handshake(full)
    block = os.urandom(16384)
    buf = bytearray(16384)

    server_in, client_out = bios[2], bios[1]

    def transfer():
        for _ in range(64):
            client.write(block)
            server_in.write(client_out.read())
            while server.pending() or server_in.pending:
                server.read(16384, buf)
    cases["throughput"] = transfer
    return cases


def run_bench(quick: bool = False, out=None) -> int:
    """`tls12fast bench`: handshakes/s and MB/s, side by side, with ratios to stdlib ssl."""
    import tempfile

    from . import _speedups

    out = out or sys.stdout
    seconds = 0.3 if quick else 1.5
    cert_pem, key_pem, ca_pem = _make_self_signed()
    stacks: dict[str, dict] = {}
    if _speedups.CYTHON is not None:
        stacks["tls12fast (compiled)"] = _tls12fast_cases("cython", cert_pem, key_pem, ca_pem)
    stacks["tls12fast (pure)"] = _tls12fast_cases("python", cert_pem, key_pem, ca_pem)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, data in (("cert.pem", cert_pem), ("key.pem", key_pem), ("ca.pem", ca_pem)):
            paths.append(os.path.join(tmp, name))
            with open(paths[-1], "wb") as f:
                f.write(data)
        stacks["stdlib ssl"] = _stdlib_cases(*paths)
    rows = [("full", "full handshake /s"), ("session_id", "resumed (ID) /s"), ("ticket", "resumed (ticket) /s"),
            ("throughput", "record MB/s")]
    results: dict[tuple[str, str], float | None] = {}
    total, done = len(rows) * len(stacks), 0
    for stack, cases in stacks.items():
        for key, _ in rows:
            done += 1
            print(f"\r[{done}/{total}] {stack}: {key} ...".ljust(60), end="", file=sys.stderr, flush=True)
            try:
                results[stack, key] = _rate(cases[key], seconds)  # throughput: 1 call = 1 MiB
            except _NotResumed:
                results[stack, key] = None
    print("\r" + " " * 60 + "\r", end="", file=sys.stderr, flush=True)
    names = list(stacks)
    width = max(len(n) for n in names) + 2
    print("in-memory, one process, ECDHE-RSA x25519 AES-128-GCM, TLS 1.2 "
          f"({'quick' if quick else 'full'} run); ratio = vs stdlib ssl", file=out)
    print("".ljust(22) + "".join(n.rjust(width + 8) for n in names), file=out)
    for key, label in rows:
        base = results["stdlib ssl", key]
        cells = []
        for n in names:
            value = results[n, key]
            text = "n/a (no resumption)" if value is None else f"{value:.0f} ({value / base:.2f}x)"
            cells.append(text.rjust(width + 8))
        print(label.ljust(22) + "".join(cells), file=out)
    try:
        import tlslite  # noqa: F401
        print("tlslite-ng: installed but not measured here; see bench/bench_handshake.py", file=out)
    except ImportError:
        print("tlslite-ng: not installed", file=out)
    return 0
