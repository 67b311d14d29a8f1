# A server cluster in one process (issue 4 item 7): servers with SEPARATE configs that share
# only a Redis URL (session IDs, RFC 5246 §7.4.1.3, through RedisSessionCache and a real
# redis-server started by the `redis_server` fixture) or only a ticket secret (RFC 5077
# tickets through TicketKeys.from_secret) resume each other's sessions. Redis killed in the
# middle: handshakes continue as full ones (the failures are counted), and resumption comes
# back once Redis is restarted. Both twins.
from __future__ import annotations

import tls12fast as t

from _pair import Pair, server_key

SECRET = b"cluster secret: 32 bytes or so!!"


def node(pki, twin, **kw):
    """One cluster node: its own ServerConfig, certificate objects and stores."""
    kw.setdefault("session_cache", None)
    kw.setdefault("tickets", None)
    return t.ServerConfig([server_key(pki, "rsa")], backend=twin.name, **kw)


def redis_node(pki, twin, redis_server):
    return node(pki, twin, session_cache=redis_server.cache(secret=SECRET))


def connect(ccfg, scfg) -> Pair:
    pair = Pair(t.ClientConnection(ccfg, server_name="localhost"), t.ServerConnection(scfg)).pump()
    assert pair.client.handshake_complete and pair.server.handshake_complete
    return pair


def client(pki, twin, **kw):
    return t.ClientConfig(cafile=str(pki.ca_file), backend=twin.name,
                          session_store=t.ClientSessionStore(), **kw)


def test_session_ids_shared_through_redis(pki, twin, redis_server):
    a, b = redis_node(pki, twin, redis_server), redis_node(pki, twin, redis_server)
    ccfg = client(pki, twin, offer_ticket=False)
    first = connect(ccfg, a)
    assert first.server.resumption == "full"
    assert connect(ccfg, b).server.resumption == "session_id"  # issued by a, resumed on b
    assert connect(ccfg, a).server.resumption == "session_id"
    assert b.session_cache.stats()["hits"] == 1 and a.session_cache.stats()["stores"] == 1
    # A node with another secret cannot read the records: full handshakes, counted errors.
    stranger = node(pki, twin, session_cache=redis_server.cache(secret=b"x" * 32))
    assert connect(ccfg, stranger).server.resumption == "full"
    assert stranger.session_cache.stats()["errors"] == 1


def test_tickets_shared_through_a_secret(pki, twin):
    a = node(pki, twin, tickets=t.TicketKeys.from_secret(SECRET, period=3600))
    b = node(pki, twin, tickets=t.TicketKeys.from_secret(SECRET, period=3600))
    ccfg = client(pki, twin)
    assert connect(ccfg, a).server.resumption == "full"
    assert connect(ccfg, b).server.resumption == "ticket"
    assert connect(ccfg, a).server.resumption == "ticket"
    assert a.tickets.stats()["issued"] == 1 and a.tickets.stats()["accepted"] == 1
    assert b.tickets.stats()["accepted"] == 1
    other = node(pki, twin, tickets=t.TicketKeys.from_secret(b"another secret!!" * 2, period=3600))
    pair = connect(ccfg, other)  # a ticket from another cluster: full handshake + new ticket
    assert pair.server.resumption == "full" and other.tickets.stats()["rejected"] == 1
    assert ccfg.session_store.get("localhost").ticket == pair.client.session.ticket


def test_tickets_across_key_periods(pki, twin):
    now = [1_000_000.0]
    clock = lambda: now[0]  # noqa: E731
    a = node(pki, twin, tickets=t.TicketKeys.from_secret(SECRET, period=60, clock=clock))
    b = node(pki, twin, tickets=t.TicketKeys.from_secret(SECRET, period=60, clock=clock))
    ccfg = client(pki, twin)
    connect(ccfg, a)
    old = ccfg.session_store.get("localhost").ticket
    now[0] += 60  # next period on both nodes: b still opens it and renews it
    assert connect(ccfg, b).server.resumption == "ticket"
    assert b.tickets.stats()["renewed"] == 1
    assert ccfg.session_store.get("localhost").ticket != old
    assert connect(ccfg, a).server.resumption == "ticket"


def test_redis_killed_mid_test(pki, twin, redis_server):
    a, b = redis_node(pki, twin, redis_server), redis_node(pki, twin, redis_server)
    ccfg = client(pki, twin, offer_ticket=False)
    connect(ccfg, a)
    assert connect(ccfg, b).server.resumption == "session_id"
    redis_server.kill()
    for scfg in (a, b, a):  # every lookup and every store fails: full handshakes continue
        pair = connect(ccfg, scfg)
        assert pair.server.resumption == "full"
        pair.client.send(b"still serving")
        pair.pump()
        assert t.ApplicationData(b"still serving") in pair.server_events
    errors = a.session_cache.stats()["errors"] + b.session_cache.stats()["errors"]
    assert errors >= 6  # three failed lookups and three failed stores
    redis_server.restart()
    resumed = []
    for scfg in (a, b, a, b):  # a pooled connection may fail once; then sessions flow again
        resumed.append(connect(ccfg, scfg).server.resumption)
    assert resumed[-2:] == ["session_id", "session_id"]
