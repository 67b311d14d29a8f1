# Load and contention (issue 6 item 4).
#
# test_load_tool_* run tools/load.py in CI size: one tls12fast server process and a client
# process opening 200 concurrent asyncio connections on 127.0.0.1, half of them resuming
# (session ID and ticket), each echoing 1-16 KiB checked by SHA-256. The tool's JSON report
# must show every connection complete and intact and the planned resumption counts on both
# sides. The full-size run (1,000 connections) is `python tools/load.py`; see
# docs/reliability.md.
#
# test_ticket_rotation_during_threaded_handshakes: worker threads run in-memory handshakes
# (full, then resumed by ticket and by session ID) against one ServerConfig whose
# TicketKeys rotate under an injected clock that a separate thread and the workers keep advancing. A
# ticket resumed within its key's accept window (RFC 5077 §5.5 key rotation) must resume;
# one outside it must fall back to a full handshake with a new ticket; nothing may error
# and every payload must arrive intact. The stores' own thread tests are in
# test_sessions.py (_hammer) and test_tickets.py (test_thread_safety).
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import threading
import time

import pytest

import tls12fast as t
from _pair import Pair, server_key

TOOL = pathlib.Path(__file__).resolve().parent.parent / "tools" / "load.py"


def _run_tool(*args: str, timeout: float = 120) -> dict:
    proc = subprocess.run([sys.executable, str(TOOL), "--json", *args], capture_output=True,
                          text=True, timeout=timeout)
    assert proc.stdout, f"load.py printed nothing (rc {proc.returncode}): {proc.stderr[-2000:]}"
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert proc.returncode == (0 if report["ok"] else 1)
    return report


def _check_report(report: dict, n: int) -> None:
    assert report["errors"] == 0, report["error_samples"]
    assert report["server_errors"] == 0, report["server_error_samples"]
    assert report["completed"] == n and report["unfinished"] == 0
    assert report["planned"] == {"full": n // 2, "session_id": n // 4, "ticket": n // 4}
    assert report["resumption"] == report["planned"]
    assert report["not_as_planned"] == 0
    assert report["bytes_echoed"] > n * 1024
    assert report["ok"] is True


def test_load_tool_sans_io_server(twin):
    n = 200
    report = _run_tool("--connections", str(n), "--backend", twin.name, "--max-size", "16384",
                       "--deadline", "60")
    _check_report(report, n)
    server = report["server"]
    # The server saw every resumption of the run plus the primed full handshakes.
    assert server["session_id"] == n // 4 and server["ticket"] == n // 4
    assert server["full"] == n // 2 + report["primed_sessions"]
    assert server["echoed_bytes"] >= report["bytes_echoed"]


@pytest.mark.parametrize("server_api", ["ssl", "loop"])  # sslproto / io.aio.new_event_loop()
def test_load_tool_ssl_context_server(twin, server_api):
    n = 200
    report = _run_tool("--connections", str(n), "--backend", twin.name, "--server-api", server_api,
                       "--max-size", "16384", "--deadline", "60")
    _check_report(report, n)
    assert report["server"]["resumed"] == n // 2


class _Clock:
    """A monotonically advancing fake unix time shared by the ticket keys."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def tick(self, step: float) -> None:
        with self.lock:
            self.now += step


def _exchange(pair: Pair, payload: bytes) -> None:
    """Send `payload` both ways and check it arrives intact."""
    pair.client.send(payload)
    got = b"".join(e.data for e in pair.server.receive_data(pair.client.data_to_send())
                   if isinstance(e, t.ApplicationData))
    assert got == payload
    pair.server.send(payload[::-1])
    got = b"".join(e.data for e in pair.client.receive_data(pair.server.data_to_send())
                   if isinstance(e, t.ApplicationData))
    assert got == payload[::-1]


def test_ticket_rotation_during_threaded_handshakes(pki, twin):
    clock = _Clock()
    rotate_after, accept_for = 5.0, 10.0
    keys = t.TicketKeys(rotate_after=rotate_after, accept_for=accept_for, clock=clock)
    cache = t.MemorySessionCache(max_entries=64)  # small: evictions under contention too
    scfg = t.ServerConfig(certificates=[server_key(pki, "ecdsa")], session_cache=cache,
                          tickets=keys, backend=twin.name)
    ccfgs = {offer: t.ClientConfig(cafile=str(pki.ca_file), session_store=None,
                                   offer_ticket=offer, backend=twin.name)
             for offer in (True, False)}
    stop = threading.Event()
    failures: list[str] = []
    outcomes = {"ticket": 0, "ticket_expired_full": 0, "session_id": 0, "session_id_full": 0}
    count_lock = threading.Lock()

    def rotator() -> None:
        while not stop.is_set():
            clock.tick(1.0)
            time.sleep(0.002)

    def worker(w: int) -> None:
        try:
            for i in range(12):
                offer = (w + i) % 2 == 0
                started = clock()  # <= the time the ticket was sealed
                first = Pair(t.ClientConnection(ccfgs[offer], server_name="localhost"),
                             t.ServerConnection(scfg)).pump()
                issued = clock()  # >= the time the ticket was sealed
                # Time passes: a little usually, past the whole accept window sometimes.
                clock.tick(rotate_after + accept_for + 1 if i % 4 == 3 else (w + i) % 3)
                assert first.client.resumption == first.server.resumption == "full"
                _exchange(first, os.urandom(100 + w * 13 + i))
                session = first.client.session
                assert session is not None
                resuming = clock()  # <= the time the ticket is opened
                again = Pair(t.ClientConnection(ccfgs[offer], server_name="localhost",
                                                session=session), t.ServerConnection(scfg)).pump()
                finished = clock()  # >= the time the ticket was opened
                assert again.client.handshake_complete and again.server.handshake_complete
                assert again.client.resumption == again.server.resumption
                _exchange(again, os.urandom(2000 + i))
                kind = again.client.resumption
                with count_lock:
                    if offer:
                        # A key seals for rotate_after s from its creation and opens
                        # for accept_for s more, so a ticket opens for at least
                        # accept_for s and at most rotate_after + accept_for s.
                        if finished - started < accept_for:
                            assert kind == "ticket", (started, finished)
                        elif resuming - issued >= rotate_after + accept_for:
                            assert kind == "full", (issued, resuming)
                        if kind == "ticket":
                            outcomes["ticket"] += 1
                        else:
                            assert kind == "full" and again.client.session.ticket
                            outcomes["ticket_expired_full"] += 1
                    else:
                        # The ID may have been evicted from the small LRU by other threads.
                        assert kind in ("session_id", "full")
                        outcomes["session_id" if kind == "session_id" else "session_id_full"] += 1
        except BaseException as exc:  # reported by the main thread
            failures.append(f"worker {w}: {type(exc).__name__}: {exc}")

    spinner = threading.Thread(target=rotator)
    spinner.start()
    workers = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    try:
        for th in workers:
            th.start()
        for th in workers:
            th.join(timeout=120)
    finally:
        stop.set()
        spinner.join()
    assert not failures, failures
    assert sum(outcomes.values()) == 8 * 12
    assert outcomes["ticket"] > 0 and outcomes["session_id"] > 0
    assert outcomes["ticket_expired_full"] >= 8  # i % 4 == 3 on ticket-offering workers
    stats = keys.stats()
    assert stats["rotations"] >= 20  # keys really rotated while handshakes ran
    assert stats["accepted"] == outcomes["ticket"]
