#!/usr/bin/env python3
"""Soak test: many in-memory handshakes in one process; is memory flat after warm-up?

How this works. One ServerConfig (MemorySessionCache + TicketKeys) and two ClientConfigs
(offering tickets or not) on the chosen twin. Handshake i is a full handshake when
i % --full-every == 0, else a resumption, alternating session ID (RFC 5246 §7.4.1.3) and
ticket (RFC 5077), each resuming one of a small pool of sessions that every handshake
refreshes; every --fail-every-th handshake is a full one whose client Finished is
corrupted in flight (the server fails with bad_record_mac, the client gets the fatal
alert). Each successful connection echoes --payload bytes both ways and ends with
close_notify in both directions (RFC 5246 §7.2.1).

Measured: after --warmup handshakes the bounded caches (--cache-size) are full and the cyclic GC is switched
off (unless --keep-gc), then VmRSS (/proc/self/status) and tracemalloc's current traced
size are sampled ten times up to the end. At the end gc.collect() counts the objects that
only the cyclic collector could free (reference cycles left behind); every finished
ClientConnection/ServerConnection is also checked through a weakref right after its last
reference went away, so a connection kept alive by a cycle is counted as a survivor.
The run stops by itself at --deadline seconds (reported as stopped_early).

Usage:
    python tools/soak.py --backend cython --n 100000
    python tools/soak.py --backend python --n 100000 --json
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
import tracemalloc
import weakref

import tls12fast as t
from tls12fast.loopback import pump

SERVER_NAME = "localhost"


def rss_kib() -> int:
    """Resident set size of this process in KiB (VmRSS)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def _read(events) -> bytes:
    return b"".join(e.data for e in events if type(e) is t.ApplicationData)


class Soak:
    """The configs, session pools and counters of one soak run."""

    def __init__(self, backend: str | None, payload: int, pki_dir: str, cache_size: int = 256):
        from tls12fast.cli import self_signed

        cert, key, ca = self_signed(pki_dir)
        self.server_config = t.ServerConfig(
            certificates=[t.CertifiedKey.load(cert, key)], backend=backend,
            session_cache=t.MemorySessionCache(max_entries=cache_size), tickets=t.TicketKeys())
        self.client_configs = {
            offer: t.ClientConfig(cafile=ca, backend=backend, session_store=None,
                                  offer_ticket=offer)
            for offer in (False, True)}
        self.pools: dict[bool, list] = {False: [], True: []}
        self.payload = os.urandom(payload)
        self.counts = {"full": 0, "session_id": 0, "ticket": 0, "failed": 0, "survivors": 0,
                       "not_as_planned": 0}

    def one(self, i: int, full_every: int, fail_every: int) -> None:
        """Run handshake number i (see the module comment) and check its refs are gone."""
        refs = self._connection(i, full_every, fail_every)
        for ref in refs:
            if ref() is not None:
                self.counts["survivors"] += 1

    def _connection(self, i: int, full_every: int, fail_every: int) -> tuple:
        offer = bool((i // max(1, full_every)) % 2) if i % full_every == 0 else bool(i % 2)
        pool = self.pools[offer]
        fail = fail_every > 0 and i % fail_every == fail_every - 1
        full = fail or i % full_every == 0 or len(pool) < 16
        session = None if full else pool[i % len(pool)]
        client = t.ClientConnection(self.client_configs[offer], server_name=SERVER_NAME,
                                    session=session)
        server = t.ServerConnection(self.server_config)
        refs = (weakref.ref(client), weakref.ref(server))
        if fail:  # a full handshake whose client Finished arrives corrupted
            server.receive_data(client.data_to_send())  # ClientHello
            client.receive_data(server.data_to_send())  # ServerHello ... ServerHelloDone
            flight = client.data_to_send()  # ClientKeyExchange, CCS, Finished
            try:
                server.receive_data(flight[:-1] + bytes((flight[-1] ^ 1,)))
            except t.TLSError:
                try:
                    client.receive_data(server.data_to_send())
                except t.PeerAlertError:
                    self.counts["failed"] += 1
            return refs
        pump(client, server)
        kind = client.resumption
        self.counts[kind] += 1
        planned = "full" if full else ("ticket" if offer else "session_id")
        if kind != planned or server.resumption != kind:
            self.counts["not_as_planned"] += 1
        client.send(self.payload)
        data = _read(server.receive_data(client.data_to_send()))
        server.send(data)
        if _read(client.receive_data(server.data_to_send())) != self.payload:
            raise AssertionError(f"handshake {i}: payload corrupted")
        client.close()
        closed = server.receive_data(client.data_to_send())
        client.receive_data(server.data_to_send())
        if not (closed and type(closed[-1]) is t.ConnectionClosed and closed[-1].clean):
            raise AssertionError(f"handshake {i}: no clean close")
        if full:
            if len(pool) < 16:
                pool.append(client.session)
            else:
                pool[i % 16] = client.session
        elif client.session is not None:
            pool[i % len(pool)] = client.session  # renewed tickets replace the old ones
        return refs


def soak(n: int = 100_000, backend: str | None = None, *, full_every: int = 10,
         fail_every: int = 1000, warmup: int | None = None, payload: int = 1024,
         cache_size: int = 256,
         deadline: float = 1800.0, trace: bool = True, keep_gc: bool = False,
         progress=None) -> dict:
    """Run the soak and return its report (see the module comment for the fields)."""
    warmup = min(n // 2, max(2000, n // 10)) if warmup is None else warmup
    gc_was_enabled = gc.isenabled()
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    samples: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="tls12fast-soak-") as pki_dir:
        run = Soak(backend, payload, pki_dir, cache_size)
        try:
            i = 0
            for i in range(n):
                if i == warmup:
                    gc.collect()
                    if not keep_gc:
                        gc.disable()
                    survivors_at_warmup = run.counts["survivors"]
                    samples.append(_sample(i, start, trace))
                elif i > warmup and (i - warmup) % max(1, (n - warmup) // 10) == 0:
                    samples.append(_sample(i, start, trace))
                    if progress:
                        progress(samples[-1])
                if time.perf_counter() - start > deadline:
                    break
                run.one(i, full_every, fail_every)
            else:
                i = n
            samples.append(_sample(i, start, trace))
            cyclic = gc.collect()
            after_collect = _sample(i, start, trace)
        finally:
            if gc_was_enabled:
                gc.enable()
            if trace:
                tracemalloc.stop()
    first, last = samples[0], samples[-1]
    measured = max(1, last["handshakes"] - first["handshakes"])
    return {
        "backend": backend or t.BACKEND, "handshakes": i, "stopped_early": i < n,
        "warmup": warmup, "duration_s": round(time.perf_counter() - start, 1),
        "counts": run.counts, "survivors_after_warmup": run.counts["survivors"] - survivors_at_warmup,
        "rss_kib_warm": first["rss_kib"], "rss_kib_end": last["rss_kib"],
        "traced_kib_warm": first["traced_kib"], "traced_kib_end": last["traced_kib"],
        "traced_kib_end_after_collect": after_collect["traced_kib"],
        "rss_bytes_per_handshake": round((last["rss_kib"] - first["rss_kib"]) * 1024 / measured, 2),
        "traced_bytes_per_handshake": (round((last["traced_kib"] - first["traced_kib"]) * 1024
                                             / measured, 2) if trace else None),
        "gc_cyclic_objects": cyclic, "gc_cyclic_per_handshake": round(cyclic / measured, 4),
        "gc_disabled_after_warmup": not keep_gc, "samples": samples,
    }


def _sample(i: int, start: float, trace: bool) -> dict:
    return {"handshakes": i, "seconds": round(time.perf_counter() - start, 1),
            "rss_kib": rss_kib(),
            "traced_kib": round(tracemalloc.get_traced_memory()[0] / 1024, 1) if trace else None}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=100_000, help="handshakes")
    p.add_argument("--backend", choices=("default", "cython", "python"), default="default")
    p.add_argument("--full-every", type=int, default=10, help="every k-th handshake is full")
    p.add_argument("--fail-every", type=int, default=1000, help="every k-th fails (0: never)")
    p.add_argument("--warmup", type=int, default=None, help="default: n/10, at least 2000")
    p.add_argument("--cache-size", type=int, default=256, help="server session cache entries")
    p.add_argument("--payload", type=int, default=1024, help="bytes echoed per connection")
    p.add_argument("--deadline", type=float, default=1800.0, help="stop after this many seconds")
    p.add_argument("--no-tracemalloc", action="store_true")
    p.add_argument("--keep-gc", action="store_true", help="leave the cyclic GC on")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    backend = None if args.backend == "default" else args.backend

    def progress(s):
        if not args.json:
            print(f"  {s['handshakes']:>7} handshakes {s['seconds']:>7} s  RSS {s['rss_kib']} KiB"
                  f"  traced {s['traced_kib']} KiB", flush=True)

    r = soak(args.n, backend, full_every=args.full_every, fail_every=args.fail_every,
             warmup=args.warmup, payload=args.payload, cache_size=args.cache_size, deadline=args.deadline,
             trace=not args.no_tracemalloc, keep_gc=args.keep_gc, progress=progress)
    ok = (not r["stopped_early"] and r["counts"]["not_as_planned"] == 0
          and r["survivors_after_warmup"] == 0 and r["gc_cyclic_objects"] == 0)
    r["ok"] = ok
    if args.json:
        print(json.dumps(r))
    else:
        c = r["counts"]
        print(f"backend {r['backend']}: {r['handshakes']} handshakes in {r['duration_s']} s "
              f"(full {c['full']}, session_id {c['session_id']}, ticket {c['ticket']}, "
              f"failed {c['failed']}; warm-up {r['warmup']})")
        print(f"RSS {r['rss_kib_warm']} -> {r['rss_kib_end']} KiB "
              f"({r['rss_bytes_per_handshake']} B/handshake)")
        print(f"tracemalloc {r['traced_kib_warm']} -> {r['traced_kib_end']} KiB "
              f"({r['traced_bytes_per_handshake']} B/handshake); "
              f"after gc.collect {r['traced_kib_end_after_collect']} KiB")
        print(f"cyclic garbage {r['gc_cyclic_objects']} objects; connections kept alive "
              f"after their last reference: {r['survivors_after_warmup']} "
              f"(not as planned: {c['not_as_planned']})")
        print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
