# Leaks (issue 6 item 5), on both twins.
#
# test_soak_memory_flat runs tools/soak.py in CI size in this process: after warm-up
# (bounded caches full, cyclic GC off) the traced heap may grow only by a small bound per
# handshake, no connection may outlive its last reference, and gc.collect() at the end
# must find no cyclic garbage. The 100,000-handshake runs are `python tools/soak.py`; see
# docs/reliability.md.
#
# The other tests check that a finished ClientConnection and ServerConnection — full,
# resumed by session ID or ticket, closed with close_notify, or after a failed handshake —
# is freed by reference counting alone: with the cyclic GC disabled, a weakref to it is
# dead as soon as the last reference is dropped. A reference cycle through a connection
# (typically an exception kept in a local of a frame its own traceback holds) keeps the
# connection, its keys and buffers alive until the next full GC pass.
from __future__ import annotations

import contextlib
import gc
import importlib.util
import pathlib
import weakref

import pytest

import tls12fast as t
from _pair import Pair, make_pair, server_key

TOOLS = pathlib.Path(__file__).resolve().parent.parent / "tools"


def _load_soak():
    spec = importlib.util.spec_from_file_location("tls12fast_soak_tool", TOOLS / "soak.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _no_cyclic_gc():
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def test_soak_memory_flat(twin):
    soak = _load_soak()
    report = soak.soak(3000, twin.name, warmup=1500, cache_size=64, fail_every=250,
                       deadline=120)
    assert not report["stopped_early"]
    counts = report["counts"]
    assert counts["not_as_planned"] == 0
    assert counts["failed"] == 12
    assert counts["session_id"] > 1000 and counts["ticket"] > 1000 and counts["full"] > 250
    assert report["survivors_after_warmup"] == 0
    assert report["gc_cyclic_objects"] == 0
    # A leaked connection costs kilobytes and a leaked session hundreds of bytes; what
    # remains is dict churn in the bounded caches (tens of bytes per handshake).
    assert report["traced_bytes_per_handshake"] < 100, report["samples"]


def _assert_freed(pair: Pair) -> None:
    """Drop the pair's references and check both connections died without the GC."""
    refs = (weakref.ref(pair.client), weakref.ref(pair.server))
    pair.client = pair.server = None
    pair.flights.clear()
    pair.client_events.clear()
    pair.server_events.clear()
    alive = [("client", "server")[i] for i, ref in enumerate(refs) if ref() is not None]
    assert not alive, f"{alive} connection kept alive by a reference cycle"


@pytest.mark.parametrize("offer_ticket", [False, True], ids=["session_id", "ticket"])
def test_finished_connections_freed_by_refcount(pki, twin, offer_ticket):
    server_config = t.ServerConfig(certificates=[server_key(pki, "rsa")], backend=twin.name)
    client_config = t.ClientConfig(cafile=str(pki.ca_file), backend=twin.name,
                                   session_store=t.ClientSessionStore(),
                                   offer_ticket=offer_ticket)
    with _no_cyclic_gc():
        for expected in ("full", "ticket" if offer_ticket else "session_id"):
            pair = Pair(t.ClientConnection(client_config, server_name="localhost"),
                        t.ServerConnection(server_config)).pump()
            assert pair.client.resumption == pair.server.resumption == expected
            pair.client.send(b"ping" * 5000)
            pair.server.send(b"pong" * 5000)
            pair.client.close()
            pair.pump()
            assert pair.server_events[-1] == t.ConnectionClosed(clean=True)
            assert pair.client_events[-1] == t.ConnectionClosed(clean=True)
            _assert_freed(pair)


def _flip_last_byte_of_second_client_flight():
    seen = []

    def tamper(direction, data):
        if direction == "c2s":
            seen.append(data)
            if len(seen) == 2:
                return data[:-1] + bytes((data[-1] ^ 1,))
        return data
    return tamper


def _run_failing(pair: Pair, tamper=None) -> list:
    """Pump until quiet, catching each side's TLSError; returns the exception types."""
    raised = []
    for _ in range(10):
        moved = False
        for src, dst in ((pair.client, pair.server), (pair.server, pair.client)):
            data = src.data_to_send()
            if data:
                moved = True
                if tamper is not None and src is pair.client:
                    data = tamper("c2s", data)
                try:
                    dst.receive_data(data)
                except t.TLSError as exc:
                    raised.append(type(exc))
        if not moved:
            break
    return raised


FAILURES = {
    # name: (client_kw, server_kw, tamper factory, server_name, exceptions expected)
    "bad_client_finished": ({}, {}, _flip_last_byte_of_second_client_flight, "localhost",
                            [t.BadRecordMac, t.PeerAlertError]),
    "no_common_suite": ({"cipher_suites": ["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"]},
                        {"cipher_suites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]}, None,
                        "localhost", [t.HandshakeFailure, t.PeerAlertError]),
    "untrusted_ca": ({"cafile": None, "cadata": None}, {}, None, "localhost",
                     [t.CertificateError, t.PeerAlertError]),
    "wrong_hostname": ({}, {}, None, "wrong.example", [t.CertificateError, t.PeerAlertError]),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_failed_handshake_connections_freed_by_refcount(pki, twin, failure):
    client_kw, server_kw, tamper, server_name, expected = FAILURES[failure]
    client_kw = dict(client_kw, session_store=None)
    if failure == "untrusted_ca":
        client_kw["cafile"] = str(pki.untrusted_cert)  # trusts only a different root
    with _no_cyclic_gc():
        pair = make_pair(pki, twin, client_kw=client_kw, server_kw=server_kw,
                         server_name=server_name, certs=("rsa",))
        raised = _run_failing(pair, tamper() if tamper else None)
        assert sorted(e.__name__ for e in raised) == sorted(e.__name__ for e in expected)
        assert pair.client.closed and pair.server.closed
        _assert_freed(pair)


def test_eof_mid_handshake_connections_freed_by_refcount(pki, twin):
    with _no_cyclic_gc():
        pair = make_pair(pki, twin, client_kw={"session_store": None})
        hello = pair.client.data_to_send()
        events = pair.server.receive_data(hello[: len(hello) // 2])
        events += pair.server.receive_data(b"")
        assert events == [t.ConnectionClosed(clean=False)]
        assert pair.client.receive_data(b"") == [t.ConnectionClosed(clean=False)]
        _assert_freed(pair)


def test_wrapped_internal_error_freed_by_refcount(pki, twin):
    # receive_data() turns a non-TLSError raised while processing (here by the user's
    # tracer) into DecodeError/InternalError; that path must not leave a cycle either.
    def tracer(event):
        if event.direction == "recv":
            raise ValueError("tracer failed")

    with _no_cyclic_gc():
        pair = make_pair(pki, twin, client_kw={"session_store": None},
                         server_kw={"tracer": tracer})
        raised = _run_failing(pair)
        assert raised and issubclass(raised[0], t.TLSError)
        _assert_freed(pair)
