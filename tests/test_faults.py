# Faults (issue 6 item 6), on both twins.
#
# * Redis killed and restarted while a thread keeps running handshake cycles (full on
#   server A, resumption by session ID on server B, both with their own RedisSessionCache
#   on one real redis-server): every connection completes with its data intact; while
#   Redis is down resumption degrades to full handshakes; after the restart it resumes
#   again. RedisSessionCache never raises (stores/redis.py), so this is the whole contract.
# * Ticket secret rotated mid-run (TicketKeys.from_secret with a new secret, and period
#   roll-over under an injected clock): an old ticket means a full handshake and a new
#   ticket (RFC 5077 §3.4), never an error; tickets still in the accept window resume.
# * A peer that disappears: EOF after every byte offset of the client's flights, of the
#   server's resumed flight (and a sample of offsets of its full flight) and of an
#   application data record, in both directions. The survivor ends with
#   ConnectionClosed(clean=False) or a TLSError — never another exception and never a
#   partial record delivered as ApplicationData (RFC 5246 §6.2). Over asyncio, faulty
#   peers (truncated hello, half a record then FIN or RST) run beside healthy connections
#   on the same event loop, whose echoed data must stay intact.
from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time

import pytest

import tls12fast as t
from _pair import Pair, server_key
from tls12fast.io import aio

SECRET = b"load-and-faults-shared-secret-0123456789"


def _exchange(pair: Pair, payload: bytes) -> None:
    pair.client.send(payload)
    got = b"".join(e.data for e in pair.server.receive_data(pair.client.data_to_send())
                   if type(e) is t.ApplicationData)
    assert got == payload
    pair.server.send(got[::-1])
    back = b"".join(e.data for e in pair.client.receive_data(pair.server.data_to_send())
                    if type(e) is t.ApplicationData)
    assert back == payload[::-1]


def _connect(client_config, server_config, session=None) -> Pair:
    pair = Pair(t.ClientConnection(client_config, server_name="localhost", session=session),
                t.ServerConnection(server_config)).pump()
    assert pair.client.handshake_complete and pair.server.handshake_complete
    assert pair.client.resumption == pair.server.resumption
    _exchange(pair, os.urandom(1500))
    return pair


# ------------------------------------------------------------------ Redis down and back


def test_redis_killed_and_restarted_during_handshakes(pki, twin, redis_server):
    def server_config():
        return t.ServerConfig(certificates=[server_key(pki, "ecdsa")], tickets=None,
                              session_cache=t.RedisSessionCache(redis_server.url, secret=SECRET),
                              backend=twin.name)

    server_a, server_b = server_config(), server_config()
    client = t.ClientConfig(cafile=str(pki.ca_file), session_store=None, offer_ticket=False,
                            backend=twin.name)
    phase = ["up"]
    cycles: list[tuple[str, str, str, str]] = []  # (phase at start, at end, first, resumed)
    failures: list[str] = []
    stop = threading.Event()

    def run() -> None:
        try:
            while not stop.is_set():
                start = phase[0]
                first = _connect(client, server_a)
                again = _connect(client, server_b, session=first.client.session)
                cycles.append((start, phase[0], first.client.resumption,
                               again.client.resumption))
        except BaseException as exc:
            failures.append(f"{type(exc).__name__}: {exc}")

    def wait_for_cycles(n: int, current: str) -> None:
        deadline = time.monotonic() + 30
        while sum(1 for c in cycles if c[0] == c[1] == current) < n:
            assert not failures, failures
            assert time.monotonic() < deadline, f"no progress while {current}"
            time.sleep(0.01)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        wait_for_cycles(5, "up")
        phase[0] = "killing"
        redis_server.kill()
        phase[0] = "down"
        wait_for_cycles(5, "down")
        phase[0] = "restarting"
        redis_server.restart()
        phase[0] = "restarted"
        wait_for_cycles(5, "restarted")
    finally:
        stop.set()
        worker.join(30)
    assert not failures, failures
    by_phase: dict[str, set] = {}
    for start, end, first, resumed in cycles:
        assert first == "full"
        if start == end:
            by_phase.setdefault(start, set()).add(resumed)
    assert by_phase["up"] == {"session_id"}
    assert by_phase["down"] == {"full"}  # Redis unreachable: full handshakes, no errors
    assert by_phase["restarted"] == {"session_id"}
    assert server_a.session_cache.stats()["errors"] > 0
    assert server_b.session_cache.stats()["errors"] > 0


# ------------------------------------------------------------------ ticket secret rotation


class _Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_ticket_secret_rotated_mid_run(pki, twin):
    clock = _Clock()
    client = t.ClientConfig(cafile=str(pki.ca_file), session_store=None, backend=twin.name)

    def cluster(secret: bytes) -> list:
        return [t.ServerConfig(certificates=[server_key(pki, "rsa")], session_cache=None,
                               tickets=t.TicketKeys.from_secret(secret, period=3600,
                                                                accept_periods=1, clock=clock),
                               backend=twin.name) for _ in range(2)]

    node_a, node_b = cluster(SECRET)
    first = _connect(client, node_a)
    old = first.client.session
    assert first.client.resumption == "full" and old.ticket
    assert _connect(client, node_b, session=old).client.resumption == "ticket"

    # The shared secret is replaced on every node: old tickets fail over to a full
    # handshake that issues a ticket under the new secret, which then resumes anywhere.
    node_c, node_d = cluster(SECRET[::-1])
    fallback = _connect(client, node_c, session=old)
    assert fallback.client.resumption == "full"
    new = fallback.client.session
    assert new.ticket and new.ticket != old.ticket
    assert _connect(client, node_d, session=new).client.resumption == "ticket"
    assert node_c.tickets.stats()["rejected"] == 1

    # Period roll-over: the previous period's ticket is still accepted (and renewed),
    # two periods on it is not, and the fresh ticket works again.
    clock.now += 3600
    renewed = _connect(client, node_d, session=new)
    assert renewed.client.resumption == "ticket"
    assert renewed.client.session.ticket != new.ticket
    clock.now += 2 * 3600
    expired = _connect(client, node_c, session=new)
    assert expired.client.resumption == "full"
    assert _connect(client, node_d, session=expired.client.session).client.resumption == "ticket"


# ------------------------------------------------------------------ EOF at every offset


def _configs(pki, twin):
    server = t.ServerConfig(certificates=[server_key(pki, "rsa")], backend=twin.name)
    client = t.ClientConfig(cafile=str(pki.ca_file), session_store=None, backend=twin.name)
    return server, client


def _eof_after(conn, data: bytes) -> list:
    """Feed `data` then EOF; the outcome must be a TLSError or an unclean close."""
    events = []
    try:
        if data:
            events += conn.receive_data(data)
        events += conn.receive_data(b"")
    except t.TLSError as exc:
        assert conn.closed
        return [exc]
    assert events and events[-1] == t.ConnectionClosed(clean=False), events
    assert conn.closed and conn.receive_data(b"more") == []
    conn.data_to_send()  # whatever is queued can still be taken
    return events


def _offsets(flight: bytes, sample: bool) -> list[int]:
    if not sample:
        return list(range(len(flight)))
    keep = set(range(0, min(len(flight), 64)))
    pos = 0
    while pos + 5 <= len(flight):  # every record boundary +-1 (RFC 5246 §6.2.1 header)
        keep.update((pos - 1, pos, pos + 1, pos + 5))
        pos += 5 + int.from_bytes(flight[pos + 3:pos + 5], "big")
    keep.update(range(64, len(flight), 37))
    return sorted(k for k in keep if 0 <= k < len(flight))


def _fresh(server_config, client_config, session):
    return (t.ClientConnection(client_config, server_name="localhost", session=session),
            t.ServerConnection(server_config))


@pytest.mark.parametrize("resumed", [False, True], ids=["full", "resumed"])
def test_eof_at_every_offset_of_client_flights(pki, twin, resumed):
    server_config, client_config = _configs(pki, twin)
    session = _connect(client_config, server_config).client.session if resumed else None

    client, _ = _fresh(server_config, client_config, session)
    hello = client.data_to_send()
    for k in range(len(hello)):  # the ClientHello cut after k bytes
        _eof_after(t.ServerConnection(server_config), hello[:k])
    length = None
    k = 0
    while length is None or k < length:  # CKE + CCS + Finished (or CCS + Finished) cut
        client, server = _fresh(server_config, client_config, session)
        server.receive_data(client.data_to_send())
        client.receive_data(server.data_to_send())
        second = client.data_to_send()
        length = length or len(second)
        assert len(second) == length and second
        outcome = _eof_after(server, second[:k])
        assert not server.handshake_complete
        assert not any(type(e) is t.HandshakeComplete for e in outcome)
        k += 1


@pytest.mark.parametrize("resumed", [False, True], ids=["full", "resumed"])
def test_eof_at_offsets_of_server_flight(pki, twin, resumed):
    # Every offset of the resumed flight; for the ~3 KB full flight every offset of the
    # first 64 bytes, every record boundary +-1 and every 37th byte.
    server_config, client_config = _configs(pki, twin)
    session = _connect(client_config, server_config).client.session if resumed else None

    def server_flight():
        client, server = _fresh(server_config, client_config, session)
        server.receive_data(client.data_to_send())
        return client, server.data_to_send()

    _, flight = server_flight()
    for k in _offsets(flight, sample=not resumed):
        client, flight = server_flight()
        outcome = _eof_after(client, flight[:k])
        assert not client.handshake_complete
        assert not any(type(e) is t.HandshakeComplete for e in outcome)


@pytest.mark.parametrize("direction", ["client_to_server", "server_to_client"])
def test_eof_at_every_offset_of_a_data_record(pki, twin, direction):
    server_config, client_config = _configs(pki, twin)
    session = _connect(client_config, server_config).client.session
    payload = os.urandom(300)
    k = 0
    length = None
    while length is None or k <= length:
        pair = Pair(*_fresh(server_config, client_config, session)).pump()
        assert pair.client.resumption == "ticket"
        sender, receiver = ((pair.client, pair.server) if direction == "client_to_server"
                            else (pair.server, pair.client))
        sender.send(payload)
        record = sender.data_to_send()
        length = length or len(record)
        outcome = _eof_after(receiver, record[:k])
        data = [e.data for e in outcome if type(e) is t.ApplicationData]
        # A record is delivered whole or not at all (RFC 5246 §6.2.3 authenticates it).
        assert data == ([payload] if k == length else [])
        k += 1


# ------------------------------------------------------------------ asyncio neighbours


async def _raw_handshake(port: int, client_config):
    """A TLS client over raw streams, so the test controls every byte it writes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    conn = t.ClientConnection(client_config, server_name="localhost")
    writer.write(conn.data_to_send())
    while not conn.handshake_complete:
        data = await reader.read(65536)
        assert data
        conn.receive_data(data)
        out = conn.data_to_send()
        if out:
            writer.write(out)
    await writer.drain()
    return reader, writer, conn


def test_vanishing_peers_do_not_disturb_other_connections(pki, twin):
    server_config, client_config = _configs(pki, twin)
    hello = t.ClientConnection(client_config, server_name="localhost").data_to_send()

    async def main():
        loop = asyncio.get_running_loop()
        loop_errors: list = []
        loop.set_exception_handler(lambda _loop, context: loop_errors.append(context))
        handshake_errors: list = []
        received: dict[int, bytes] = {}
        peer_clean: dict[int, bool] = {}

        async def handler(stream):
            tag = None
            data = bytearray()
            while True:
                chunk = await stream.recv()
                if not chunk:
                    break
                data += chunk
                if tag is None and len(data) >= 4:
                    tag = int.from_bytes(data[:4], "big")
                if tag is not None and tag < 100:  # healthy clients: echo as it comes
                    await stream.send(chunk)
            received[tag] = bytes(data)
            peer_clean[tag] = stream.conn.closed
            await stream.aclose()

        server = await aio.start_server(handler, "127.0.0.1", 0, server_config,
                                        on_error=handshake_errors.append,
                                        handshake_timeout=10)
        port = server.sockets[0].getsockname()[1]

        async def healthy(tag: int) -> bool:
            stream = await aio.open_connection("127.0.0.1", port, client_config,
                                               server_name="localhost")
            sent = hashlib.sha256()
            got = bytearray()
            first = tag.to_bytes(4, "big")
            for i in range(20):
                chunk = (first if i == 0 else b"") + os.urandom(997 * (i + 1))
                sent.update(chunk)
                await stream.send(chunk)
                await asyncio.sleep(0.005)
            total = sum(997 * (i + 1) for i in range(20)) + 4
            while len(got) < total:
                data = await stream.recv()
                assert data, "healthy connection lost its echo"
                got += data
            await stream.aclose()
            return hashlib.sha256(got).digest() == sent.digest()

        async def truncated_hello(cut: int) -> None:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(hello[:cut])
            await writer.drain()
            writer.close()

        async def half_record(tag: int, abort: bool) -> None:
            reader, writer, conn = await _raw_handshake(port, client_config)
            conn.send(tag.to_bytes(4, "big") + b"complete record")
            conn.send(b"x" * 500)
            data = conn.data_to_send()
            cut = len(data) - 250  # the first record whole, half of the second
            writer.write(data[:cut])
            await writer.drain()
            await asyncio.sleep(0.05)
            if abort:
                writer.transport.abort()  # RST
            else:
                writer.close()  # FIN

        faulty = [truncated_hello(cut) for cut in (0, 1, 5, 6, 60, len(hello) - 1)]
        faulty += [half_record(100 + i, abort=bool(i % 2)) for i in range(4)]
        results = await asyncio.wait_for(
            asyncio.gather(*(healthy(i) for i in range(5)), *faulty), 60)
        await asyncio.sleep(0.2)  # let the server handlers see the EOFs/RSTs
        server.close()
        await server.wait_closed()
        return results[:5], loop_errors, handshake_errors, received

    healthy_ok, loop_errors, handshake_errors, received = asyncio.run(main())
    assert healthy_ok == [True] * 5
    assert not loop_errors, loop_errors
    # Truncated hellos end their handshakes with an unclean EOF, nothing else.
    assert len(handshake_errors) == 6
    assert all(isinstance(e, (t.TLSError, ConnectionError, asyncio.IncompleteReadError))
               for e in handshake_errors), handshake_errors
    # Half-record peers: the whole first record arrived, nothing of the cut one.
    for tag in range(100, 104):
        assert received[tag] == tag.to_bytes(4, "big") + b"complete record"
