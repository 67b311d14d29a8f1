# Session resumption in memory, on both twins (issue 4): session ID (RFC 5246 §7.4.1.3),
# tickets (RFC 5077), both in one ClientHello (§3.4), EMS rules (RFC 7627 §5.3), suite /
# SNI / expiry checks, fatal alerts, client fallback, stats and the abbreviated message
# sequence. Real connections on both sides; hostile variants are made by handing the client
# a doctored SessionState, by rewriting a ClientHello before it is encoded, or by
# rewriting bytes on the wire.
from __future__ import annotations

import dataclasses
import os
import time

import pytest

import tls12fast as t
from tls12fast.client.connection import ClientConnection
from tls12fast.enums import AlertDescription as AD
from tls12fast.enums import ExtensionType as ET

from _pair import Pair, server_key

T0 = time.time()


class Clock:
    """An injectable clock: call it for the time, set .now to move it."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class SpyCache(t.MemorySessionCache):
    """A MemorySessionCache that records every session ID it is asked for."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.gets: list[bytes] = []

    def get(self, session_id):
        self.gets.append(bytes(session_id))
        return super().get(session_id)


def server_cfg(pki, twin, **kw):
    kw.setdefault("certificates", [server_key(pki, "rsa"), server_key(pki, "ecdsa"),
                                   server_key(pki, "other")])
    kw.setdefault("session_cache", None)
    kw.setdefault("tickets", None)
    return t.ServerConfig(backend=twin.name, **kw)


def client_cfg(pki, twin, **kw):
    kw.setdefault("session_store", t.ClientSessionStore())
    return t.ClientConfig(cafile=str(pki.ca_file), backend=twin.name, **kw)


def connect(ccfg, scfg, server_name="localhost", tamper=None, **kw) -> Pair:
    client = t.ClientConnection(ccfg, server_name=server_name, **kw)
    return Pair(client, t.ServerConnection(scfg)).pump(tamper)


def first_message(twin, pair: Pair, direction: str):
    """Decode the first (plaintext) handshake message sent in `direction`."""
    data = next(d for way, d in pair.flights if way == direction)
    raw = data[5:]
    return twin.codec.decode_handshake(raw[0], raw[4:4 + int.from_bytes(raw[1:4], "big")], None)


def assert_resumed(pair: Pair, kind: str) -> None:
    assert pair.client.resumption == pair.server.resumption == kind
    assert pair.client_events[0] == t.HandshakeComplete(kind)
    assert pair.server_events[0] == t.HandshakeComplete(kind)
    pair.client.send(b"ping")
    pair.server.send(b"pong")
    pair.pump()
    assert t.ApplicationData(b"ping") in pair.server_events
    assert t.ApplicationData(b"pong") in pair.client_events


@pytest.fixture
def force_offer(monkeypatch):
    """Make the client offer whatever session it is given (to test the server's checks)."""
    def offer(self, session):
        if session is None:
            return None, None
        if session.ticket and self._config.offer_ticket:
            return session, "ticket"
        return session, "session_id"
    monkeypatch.setattr(ClientConnection, "_offerable", offer)


# --------------------------------------------------------------------------- session ID


def test_session_id_hit_and_miss(pki, twin):
    cache = t.MemorySessionCache()
    scfg = server_cfg(pki, twin, session_cache=cache)
    ccfg = client_cfg(pki, twin)
    first = connect(ccfg, scfg)
    assert first.client.resumption == "full"
    session = first.client.session
    assert len(session.session_id) == 32 and session.session_id == first.server.session.session_id
    assert ccfg.session_store.get("localhost") == session
    second = connect(ccfg, scfg)
    assert_resumed(second, "session_id")
    assert first_message(twin, second, "s2c").session_id == session.session_id
    assert second.client.cipher_suite == first.client.cipher_suite
    assert second.client.peer_certificates == first.client.peer_certificates
    assert second.client.session is session and second.server.session == first.server.session
    # A different server (its own empty cache): miss -> full handshake and a new ID.
    third = connect(ccfg, server_cfg(pki, twin, session_cache=t.MemorySessionCache()))
    assert third.client.resumption == third.server.resumption == "full"
    new = ccfg.session_store.get("localhost")
    assert len(new.session_id) == 32 and new.session_id != session.session_id
    assert cache.stats()["hits"] == 1 and cache.stats()["stores"] == 1


def test_explicit_session_and_session_key(pki, twin):
    scfg = server_cfg(pki, twin, session_cache=t.MemorySessionCache(), tickets=t.TicketKeys())
    plain = client_cfg(pki, twin, session_store=None)
    first = connect(plain, scfg)
    assert_resumed(connect(plain, scfg, session=first.client.session), "ticket")
    ccfg = client_cfg(pki, twin, offer_ticket=False)
    connect(ccfg, scfg, session_key="pool-a")
    assert ccfg.session_store.get("pool-a") is not None and ccfg.session_store.get("localhost") is None
    assert connect(ccfg, scfg).client.resumption == "full"  # other key: nothing to offer
    assert_resumed(connect(ccfg, scfg, session_key="pool-a"), "session_id")
    with pytest.raises(t.ConfigurationError):
        t.ClientConnection(plain, server_name="localhost", session=b"not a session")


@pytest.mark.parametrize("suite", ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                                   "TLS_RSA_WITH_AES_256_CBC_SHA256",
                                   "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"])
@pytest.mark.parametrize("kind", ["session_id", "ticket"])
def test_resumption_across_suites(pki, twin, suite, kind):
    scfg = server_cfg(pki, twin, session_cache=t.MemorySessionCache(),
                      tickets=t.TicketKeys() if kind == "ticket" else None)
    ccfg = client_cfg(pki, twin, cipher_suites=[suite], groups=["x25519", "ffdhe2048"])
    connect(ccfg, scfg)
    pair = connect(ccfg, scfg)
    assert_resumed(pair, kind)
    assert pair.client.cipher_suite == suite
    assert pair.client.export_keying_material(b"EXPORTER-x", 16) == \
        pair.server.export_keying_material(b"EXPORTER-x", 16)


def test_abbreviated_message_sequence(pki, twin):
    client_seen, server_seen = [], []
    keys = t.TicketKeys(rotate_after=10, accept_for=100, clock=(clock := Clock()))
    scfg = server_cfg(pki, twin, tickets=keys, tracer=server_seen.append)
    ccfg = client_cfg(pki, twin, tracer=client_seen.append)
    connect(ccfg, scfg)
    clock.now += 20  # the ticket's key no longer encrypts: resumed AND renewed
    del client_seen[:], server_seen[:]
    pair = connect(ccfg, scfg)
    assert_resumed(pair, "ticket")
    assert [(e.direction, e.msg_type) for e in server_seen] == [
        ("recv", "client_hello"), ("send", "server_hello"), ("send", "new_session_ticket"),
        ("send", "change_cipher_spec"), ("send", "finished"),
        ("recv", "change_cipher_spec"), ("recv", "finished")]
    assert [(e.direction, e.msg_type) for e in client_seen] == [
        ("send", "client_hello"), ("recv", "server_hello"), ("recv", "new_session_ticket"),
        ("recv", "change_cipher_spec"), ("recv", "finished"),
        ("send", "change_cipher_spec"), ("send", "finished")]
    # Without renewal: ServerHello, CCS, Finished, and no SessionTicket extension.
    del server_seen[:]
    pair = connect(ccfg, scfg)
    assert [e.msg_type for e in server_seen if e.direction == "send"] == [
        "server_hello", "change_cipher_spec", "finished"]
    assert first_message(twin, pair, "s2c").find(ET.session_ticket) is None


# --------------------------------------------------------------------------- tickets


def test_ticket_full_then_resumed(pki, twin):
    cache = SpyCache()
    keys = t.TicketKeys()
    scfg = server_cfg(pki, twin, session_cache=cache, tickets=keys)
    ccfg = client_cfg(pki, twin)
    first = connect(ccfg, scfg)
    sh = first_message(twin, first, "s2c")
    # RFC 5077 §3.2/§3.4: empty SessionTicket extension, and (our choice) an empty ID.
    assert sh.find(ET.session_ticket) is not None and sh.session_id == b""
    session = ccfg.session_store.get("localhost")
    assert session.ticket and session.ticket_lifetime_hint == keys.lifetime_hint
    assert cache.stats()["stores"] == 0
    second = connect(ccfg, scfg)
    assert_resumed(second, "ticket")
    ch = first_message(twin, second, "c2s")
    assert len(ch.session_id) == 32 and ch.find(ET.session_ticket).ticket == session.ticket
    assert first_message(twin, second, "s2c").session_id == ch.session_id  # echoed
    assert cache.gets == []
    assert keys.stats() | {"rotations": 0} == {"issued": 1, "accepted": 1, "renewed": 0,
                                                "rejected": 0, "rotations": 0}


def test_ticket_renewed_with_older_key(pki, twin):
    clock = Clock()
    keys = t.TicketKeys(rotate_after=10, accept_for=100, clock=clock)
    ccfg = client_cfg(pki, twin)
    scfg = server_cfg(pki, twin, tickets=keys)
    connect(ccfg, scfg)
    old = ccfg.session_store.get("localhost")
    clock.now += 20
    assert_resumed(connect(ccfg, scfg), "ticket")
    renewed = ccfg.session_store.get("localhost")
    assert renewed.ticket != old.ticket and renewed.master_secret == old.master_secret
    assert keys.stats()["renewed"] == 1 and keys.stats()["issued"] == 2
    assert_resumed(connect(ccfg, scfg), "ticket")
    assert keys.stats()["renewed"] == 1 and ccfg.session_store.get("localhost") == renewed


def _bad_ticket(kind: str, session, pki, twin):
    ticket = session.ticket
    if kind == "forged":
        return os.urandom(len(ticket))
    if kind == "truncated":
        return ticket[:20]
    if kind == "bit_flip":
        return ticket[:-1] + bytes((ticket[-1] ^ 1,))
    if kind == "oversized":
        return ticket + os.urandom(60000)
    if kind == "unknown_key":  # a well-formed ticket sealed by another server's keys
        return t.TicketKeys().seal(dataclasses.replace(session, ticket=b"").to_bytes())
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["forged", "truncated", "bit_flip", "oversized", "unknown_key"])
def test_bad_ticket_means_full_handshake_and_new_ticket(pki, twin, kind):
    keys = t.TicketKeys()
    scfg = server_cfg(pki, twin, tickets=keys)
    ccfg = client_cfg(pki, twin)
    good = connect(ccfg, scfg).client.session
    bad = good.with_ticket(_bad_ticket(kind, good, pki, twin), 300)
    pair = connect(ccfg, scfg, session=bad)
    assert pair.client.resumption == pair.server.resumption == "full"
    assert pair.client.session.ticket not in (good.ticket, bad.ticket)
    assert pair.client.session.master_secret != good.master_secret
    assert keys.stats()["rejected"] == 1 and keys.stats()["issued"] == 2


@pytest.mark.parametrize("what", ["key_retired", "session_lifetime"])
def test_expired_ticket_means_full_handshake(pki, twin, what):
    clock = Clock()
    if what == "key_retired":
        keys = t.TicketKeys(rotate_after=10, accept_for=10, lifetime_hint=1000, clock=clock)
    else:  # the key still opens it, but the sealed session outlived its lifetime
        keys = t.TicketKeys(rotate_after=1000, accept_for=1000, lifetime_hint=30, clock=clock)
    scfg = server_cfg(pki, twin, tickets=keys, clock=clock)
    plain = client_cfg(pki, twin, session_store=None)
    session = connect(plain, scfg).client.session
    clock.now += 40
    pair = connect(plain, scfg, session=session)
    assert pair.client.resumption == pair.server.resumption == "full"
    assert pair.client.session.ticket and pair.client.session.ticket != session.ticket


def test_tickets_off_on_server(pki, twin):
    scfg = server_cfg(pki, twin, session_cache=t.MemorySessionCache(), tickets=None)
    ccfg = client_cfg(pki, twin)
    first = connect(ccfg, scfg)
    assert first_message(twin, first, "s2c").find(ET.session_ticket) is None
    assert first.client.session.ticket == b"" and len(first.client.session.session_id) == 32
    assert_resumed(connect(ccfg, scfg), "session_id")


# ------------------------------------------------------- ID and ticket in one ClientHello


def _with_session_id(monkeypatch, session_id: bytes) -> None:
    """Make the client put `session_id` (a real cached ID) next to its ticket."""
    original = ClientConnection._client_hello

    def hello(self, offered, kind):
        msg = original(self, offered, kind)
        msg.session_id = session_id
        return msg
    monkeypatch.setattr(ClientConnection, "_client_hello", hello)


@pytest.mark.parametrize("ticket_ok", [True, False])
def test_ticket_and_cached_id_in_one_hello(pki, twin, monkeypatch, ticket_ok):
    cache = SpyCache()
    keys = t.TicketKeys()
    scfg = server_cfg(pki, twin, session_cache=cache, tickets=keys)
    by_id = connect(client_cfg(pki, twin, offer_ticket=False), scfg).client.session
    plain = client_cfg(pki, twin, session_store=None)
    by_ticket = connect(plain, scfg).client.session
    offered = by_ticket if ticket_ok else by_ticket.with_ticket(os.urandom(100), 300)
    _with_session_id(monkeypatch, by_id.session_id)
    cache.gets.clear()
    pair = connect(plain, scfg, session=offered)
    assert cache.gets == []  # RFC 5077 §3.4: with a ticket, never a lookup by ID
    if ticket_ok:
        assert_resumed(pair, "ticket")
        assert first_message(twin, pair, "s2c").session_id == by_id.session_id
        assert pair.client.session.master_secret == by_ticket.master_secret
    else:
        assert pair.client.resumption == pair.server.resumption == "full"
        assert pair.client.session.master_secret not in (by_id.master_secret,
                                                          by_ticket.master_secret)
        assert pair.client.session.ticket and keys.stats()["rejected"] == 1


# --------------------------------------------------------------------------- EMS (RFC 7627 §5.3)


def test_ems_session_without_ems_aborts(pki, twin, force_offer):
    scfg = server_cfg(pki, twin, session_cache=t.MemorySessionCache())
    session = connect(client_cfg(pki, twin), scfg).client.session
    assert session.extended_master_secret
    pair = Pair(t.ClientConnection(client_cfg(pki, twin, extended_master_secret=False),
                                   server_name="localhost", session=session),
                t.ServerConnection(scfg))
    with pytest.raises(t.HandshakeFailure) as info:
        pair.pump()
    assert info.value.alert == AD.handshake_failure


def test_non_ems_session_with_ems_gets_full_handshake(pki, twin):
    scfg = server_cfg(pki, twin, session_cache=t.MemorySessionCache())
    old = connect(client_cfg(pki, twin, extended_master_secret=False), scfg).client.session
    assert not old.extended_master_secret
    pair = connect(client_cfg(pki, twin), scfg, session=old)
    assert pair.client.resumption == pair.server.resumption == "full"
    assert pair.client.extended_master_secret and pair.client.session.extended_master_secret


def test_client_refuses_to_offer_ems_session_without_ems(pki, twin):
    scfg = server_cfg(pki, twin, session_cache=t.MemorySessionCache())
    session = connect(client_cfg(pki, twin), scfg).client.session
    pair = connect(client_cfg(pki, twin, extended_master_secret=False), scfg, session=session)
    assert first_message(twin, pair, "c2s").session_id == b""
    assert pair.client.resumption == "full"


def test_client_aborts_when_resumed_ems_state_differs(pki, twin):
    # The client believes its session was non-EMS; the server resumes it with EMS.
    scfg = server_cfg(pki, twin, session_cache=t.MemorySessionCache())
    session = connect(client_cfg(pki, twin), scfg).client.session
    lying = dataclasses.replace(session, extended_master_secret=False)
    pair = Pair(t.ClientConnection(client_cfg(pki, twin), server_name="localhost", session=lying),
                t.ServerConnection(scfg))
    with pytest.raises(t.HandshakeFailure):
        pair.pump()


def _drop_ems_from_server_hello(direction, data):
    if direction != "s2c" or data[5] != 2:
        return data
    data = bytearray(data)
    sid_len = data[5 + 4 + 34]
    ext_len_pos = 5 + 4 + 35 + sid_len + 3
    ems = bytes((0, 0x17, 0, 0))
    pos = data.index(ems, ext_len_pos + 2)
    del data[pos:pos + 4]
    for at, width in ((3, 2), (6, 3), (ext_len_pos, 2)):
        value = int.from_bytes(data[at:at + width], "big") - 4
        data[at:at + width] = value.to_bytes(width, "big")
    return bytes(data)


def test_client_aborts_when_server_resumes_ems_session_without_ems(pki, twin):
    scfg = server_cfg(pki, twin, session_cache=t.MemorySessionCache())
    ccfg = client_cfg(pki, twin)
    connect(ccfg, scfg)
    pair = Pair(t.ClientConnection(ccfg, server_name="localhost"), t.ServerConnection(scfg))
    with pytest.raises(t.HandshakeFailure) as info:
        pair.pump(_drop_ems_from_server_hello)
    assert info.value.alert == AD.handshake_failure
    assert ccfg.session_store.get("localhost") is None  # the failed session is dropped


# --------------------------------------------------------------- suite, SNI, expiry (server)


def test_suite_no_longer_offered_or_allowed(pki, twin, force_offer):
    gcm, chacha = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
    cache = t.MemorySessionCache()
    scfg = server_cfg(pki, twin, session_cache=cache)
    session = connect(client_cfg(pki, twin, cipher_suites=[gcm]), scfg).client.session
    # The client no longer offers the session's suite (RFC 5246 §7.4.1.2): full handshake.
    pair = connect(client_cfg(pki, twin, cipher_suites=[chacha]), scfg, session=session)
    assert pair.server.resumption == "full" and pair.client.cipher_suite == chacha
    # The server no longer allows it: full handshake too.
    narrowed = server_cfg(pki, twin, session_cache=cache, cipher_suites=[chacha])
    pair = connect(client_cfg(pki, twin, cipher_suites=[gcm, chacha]), narrowed, session=session)
    assert pair.server.resumption == "full" and pair.client.cipher_suite == chacha


def test_client_rejects_resumption_with_another_suite(pki, twin):
    scfg = server_cfg(pki, twin, session_cache=t.MemorySessionCache())
    ccfg = client_cfg(pki, twin)
    connect(ccfg, scfg)
    offered = ccfg.session_store.get("localhost")
    other = next(s for s in ccfg.suites if s.code != offered.cipher_suite)

    def swap_suite(direction, data):
        if direction == "s2c" and data[5] == 2:
            data = bytearray(data)
            pos = 5 + 4 + 35 + data[5 + 4 + 34]
            data[pos:pos + 2] = other.code.to_bytes(2, "big")
        return bytes(data)
    pair = Pair(t.ClientConnection(ccfg, server_name="localhost"), t.ServerConnection(scfg))
    with pytest.raises(t.IllegalParameter):
        pair.pump(swap_suite)


def test_sni_mismatch_means_full_handshake(pki, twin, force_offer, monkeypatch):
    scfg = server_cfg(pki, twin, session_cache=t.MemorySessionCache(),
                      certificates=[server_key(pki, "rsa"), server_key(pki, "other")])
    session = connect(client_cfg(pki, twin), scfg).client.session
    pair = connect(client_cfg(pki, twin), scfg, server_name="other.example", session=session)
    assert pair.server.resumption == "full" and pair.server.server_name == "other.example"
    # The client itself does not offer a session made for another name (RFC 6066 §3).
    monkeypatch.undo()
    pair = connect(client_cfg(pki, twin), scfg, server_name="other.example", session=session)
    assert first_message(twin, pair, "c2s").session_id == b""


def test_server_sends_no_server_name_when_resuming(pki, twin):
    scfg = server_cfg(pki, twin, session_cache=t.MemorySessionCache())
    ccfg = client_cfg(pki, twin)
    first = connect(ccfg, scfg)
    assert first_message(twin, first, "s2c").find(ET.server_name) is not None
    second = connect(ccfg, scfg)
    assert second.server.resumption == "session_id"
    assert first_message(twin, second, "s2c").find(ET.server_name) is None  # RFC 6066 §3


def test_expired_sessions(pki, twin):
    clock = Clock()
    cache = t.MemorySessionCache(lifetime=60, clock=clock)
    scfg = server_cfg(pki, twin, session_cache=cache, clock=clock)
    ccfg = client_cfg(pki, twin, session_store=t.ClientSessionStore(clock=clock), clock=clock)
    connect(ccfg, scfg)
    clock.now += 30
    assert connect(ccfg, scfg).server.resumption == "session_id"
    clock.now += 40  # past the server cache's lifetime; the client still offers it
    pair = connect(ccfg, scfg)
    assert first_message(twin, pair, "c2s").session_id != b""
    assert pair.server.resumption == "full" and cache.stats()["expired"] == 1
    clock.now += 301  # past the client's own lifetime: not offered at all
    pair = connect(ccfg, scfg)
    assert first_message(twin, pair, "c2s").session_id == b""


# ------------------------------------------------------------ fatal alerts and fallback


def _corrupt_last_record(direction, data):
    return data[:-1] + bytes((data[-1] ^ 1,))


@pytest.mark.parametrize("resumed", [False, True])
def test_fatal_alert_removes_server_session(pki, twin, resumed):
    cache = t.MemorySessionCache()
    scfg = server_cfg(pki, twin, session_cache=cache)
    ccfg = client_cfg(pki, twin)
    pair = connect(ccfg, scfg)
    session_id = pair.server.session.session_id
    if resumed:
        pair = connect(ccfg, scfg)
        assert pair.server.resumption == "session_id"
    pair.client.send(b"x")
    with pytest.raises(t.BadRecordMac):
        pair.server.receive_data(_corrupt_last_record("c2s", pair.client.data_to_send()))
    assert cache.get(session_id) is None  # RFC 5246 §7.2.2


def test_fatal_alert_in_resumed_handshake_drops_both_sides(pki, twin):
    cache = t.MemorySessionCache()
    scfg = server_cfg(pki, twin, session_cache=cache)
    ccfg = client_cfg(pki, twin)
    session_id = connect(ccfg, scfg).server.session.session_id
    pair = Pair(t.ClientConnection(ccfg, server_name="localhost"), t.ServerConnection(scfg))

    def break_client_finished(direction, data):
        return _corrupt_last_record(direction, data) if direction == "c2s" and data[0] == 20 else data
    with pytest.raises(t.BadRecordMac):
        pair.pump(break_client_finished)
    assert cache.get(session_id) is None
    with pytest.raises(t.PeerAlertError):
        pair.client.receive_data(pair.server.data_to_send())
    assert ccfg.session_store.get("localhost") is None


def test_client_peer_alert_after_handshake_drops_session(pki, twin):
    scfg = server_cfg(pki, twin, session_cache=t.MemorySessionCache())
    ccfg = client_cfg(pki, twin)
    pair = connect(ccfg, scfg)
    assert ccfg.session_store.get("localhost") is not None
    pair.server.send(b"y")
    with pytest.raises(t.BadRecordMac):
        pair.client.receive_data(_corrupt_last_record("s2c", pair.server.data_to_send()))
    assert ccfg.session_store.get("localhost") is None


@pytest.mark.parametrize("kind", ["session_id", "ticket"])
def test_client_falls_back_to_full_handshake(pki, twin, kind):
    ccfg = client_cfg(pki, twin)
    old_server = server_cfg(pki, twin, session_cache=t.MemorySessionCache(),
                            tickets=t.TicketKeys() if kind == "ticket" else None)
    stale = connect(ccfg, old_server).client.session
    # A new server that knows neither the ID nor the ticket key, with only session IDs.
    new_server = server_cfg(pki, twin, session_cache=t.MemorySessionCache())
    pair = connect(ccfg, new_server)
    assert pair.client.resumption == pair.server.resumption == "full"
    fresh = ccfg.session_store.get("localhost")
    assert fresh is not None and fresh != stale and fresh.ticket == b""
    assert_resumed(connect(ccfg, new_server), "session_id")


# ------------------------------------------------------------------------ stats, bad input


def test_stats_count(pki, twin):
    cache = t.MemorySessionCache()
    keys = t.TicketKeys()
    scfg = server_cfg(pki, twin, session_cache=cache, tickets=keys)
    by_id = client_cfg(pki, twin, offer_ticket=False)
    by_ticket = client_cfg(pki, twin)
    for _ in range(3):
        connect(by_id, scfg)
        connect(by_ticket, scfg)
    connect(client_cfg(pki, twin, offer_ticket=False), scfg,
            session=by_id.session_store.get("localhost").with_session_id(os.urandom(32)))
    connect(client_cfg(pki, twin), scfg,
            session=by_ticket.session_store.get("localhost").with_ticket(os.urandom(80), 9))
    assert {k: cache.stats()[k] for k in ("hits", "misses", "stores")} == \
        {"hits": 2, "misses": 1, "stores": 2}
    assert {k: keys.stats()[k] for k in ("issued", "accepted", "renewed", "rejected")} == \
        {"issued": 2, "accepted": 2, "renewed": 0, "rejected": 1}
    assert by_id.session_store.stats()["hits"] == 3 and by_id.session_store.stats()["stores"] == 1


class GarbageCache(t.MemorySessionCache):
    """A cache returning what a corrupted or hostile store might."""

    def __init__(self, value) -> None:
        super().__init__()
        self.value = value

    def get(self, session_id):
        return self.value


@pytest.mark.parametrize("value", [b"\x01garbage", "text", 42])
def test_corrupted_store_record_means_full_handshake(pki, twin, value):
    scfg = server_cfg(pki, twin, session_cache=GarbageCache(value))
    ccfg = client_cfg(pki, twin)
    connect(ccfg, scfg)
    pair = connect(ccfg, scfg)
    assert pair.client.resumption == pair.server.resumption == "full"


@pytest.mark.parametrize("session_id", [b"", os.urandom(1), os.urandom(32)])
def test_unknown_session_ids_are_misses(pki, twin, force_offer, session_id):
    scfg = server_cfg(pki, twin, session_cache=t.MemorySessionCache())
    session = connect(client_cfg(pki, twin), scfg).client.session
    pair = connect(client_cfg(pki, twin), scfg, session=session.with_session_id(session_id))
    assert pair.server.resumption == "full"


def test_oversized_session_id_is_decode_error(pki, twin, monkeypatch):
    scfg = server_cfg(pki, twin, session_cache=t.MemorySessionCache())
    session = connect(client_cfg(pki, twin), scfg).client.session
    client = t.ClientConnection(client_cfg(pki, twin), server_name="localhost", session=session)
    data = bytearray(client.data_to_send())
    sid_at = 5 + 4 + 34
    assert data[sid_at] == 32
    data[sid_at] = 33  # one byte too long (RFC 5246 §7.4.1.2: SessionID<0..32>)
    server = t.ServerConnection(scfg)
    with pytest.raises(t.DecodeError):
        server.receive_data(bytes(data))
    assert server.resumption is None
