# CI fuzz smoke (a few seconds): every fuzz target in fuzz/targets.py runs in-process on
# both twins for a fixed number of inputs made by a seeded random mutator from the
# target's seeds (fuzz/seeds/<target>/, real messages). Only tls12fast.TLSError may
# escape, never with a masked Python error or internal_error (targets.bug); round trips
# and output invariants are checked by the targets themselves. The long coverage-guided
# run is `make fuzz` (fuzz/README.md).
import random

import pytest
from _fuzz import ROOT, finding, target, targets

# handshake targets do public-key work
ITERATIONS = {"server": 600, "client": 600, "client_verify": 400, "server_client_auth": 300,
              "server_resume": 1500, "client_resume": 1500}
DEFAULT_ITERATIONS = 3000


def _seeds(name, tgt):
    directory = ROOT / "fuzz" / "seeds" / name
    files = sorted(directory.glob("*.bin")) if directory.is_dir() else []
    return [f.read_bytes() for f in files] or tgt.seeds()


@pytest.mark.parametrize("name", targets.TARGETS)
def test_fuzz_smoke(twin, name):
    tgt = target(name, twin)
    seeds = _seeds(name, tgt)
    assert seeds, f"no seeds for {name}"
    rng = random.Random(f"tls12fast-smoke-{name}")
    findings = {}
    rejected = 0
    inputs = seeds + [targets.mutate(rng, rng.choice(seeds))
                      for _ in range(ITERATIONS.get(name, DEFAULT_ITERATIONS))]
    for data in inputs:
        why, raised = finding(tgt, data)
        rejected += raised
        if why is not None:
            findings.setdefault(why.split(" (cause")[0], data)
    assert not findings, "fuzz findings (input hex):\n" + "\n".join(
        f"{why}\n  {data.hex()[:400]}" for why, data in findings.items())
    if name in ("record", "session"):  # the other targets handle TLSError themselves
        assert 0 < rejected < len(inputs), "mutations never (or always) rejected: target inert"


# The seed files of the PKI-backed targets (fuzz/targets_pki.py) replay real flights; they
# are only worth fuzzing from while they still get that far (a fixed PKI and pinned
# randomness keep them valid). These tests fail when they go stale.


def _drive(conn, stream: bytes):
    for record in targets._chunks(stream[1:], stream[0]):
        conn.receive_data(record)
    return conn


def test_client_verify_seeds_pass_chain_verification(twin):
    tgt = target("client_verify", twin)
    reached = []
    for data in _seeds("client_verify", tgt):
        client = targets._client(tgt.config)
        client.data_to_send()
        try:
            _drive(client, data)
        except targets_tls_error() as exc:
            reached.append(exc.alert.name)
            continue
        reached.append("verified" if client.data_to_send() else "stuck")
    assert reached.count("verified") == 3 and "unknown_ca" in reached, reached


def test_server_client_auth_seeds_complete_with_client_certificates(twin):
    tgt = target("server_client_auth", twin)
    done = 0
    for data in _seeds("server_client_auth", tgt):
        server = tgt._server(data[0])
        server.data_to_send()
        try:
            _drive(server, data[1:])
        except targets_tls_error():
            continue
        done += server.handshake_complete and bool(server.peer_certificates)
    assert done == 8, f"{done} seeds completed a client-certificate handshake (expected 8)"


def test_client_resume_seeds_resume(twin):
    tgt = target("client_resume", twin)
    kinds = []
    for data in _seeds("client_resume", tgt):
        client = tgt._client(data[0])
        client.data_to_send()
        kinds.append(_drive(client, data[1:]).resumption)
    assert sorted(kinds) == ["session_id", "ticket"]


@pytest.fixture
def resumed_checks(monkeypatch):
    import targets_pki

    seen = []
    check = targets_pki.ServerResumeTarget._check_resumed
    monkeypatch.setattr(targets_pki.ServerResumeTarget, "_check_resumed",
                        lambda self, presented, sid: seen.append(presented or sid)
                        or check(self, presented, sid))
    return seen


def test_server_resume_seeds_resume_by_ticket_and_id(twin, resumed_checks):
    tgt = target("server_resume", twin)
    for data in _seeds("server_resume", tgt):
        assert finding(tgt, data)[0] is None
    assert tgt.ticket in resumed_checks and tgt.SESSION_ID in resumed_checks


def test_server_resume_invariant_catches_foreign_session_ids(twin, monkeypatch):
    """The invariant is live: a cache that answers every ID must be reported."""
    tgt = target("server_resume", twin)
    monkeypatch.setattr(type(tgt.config.session_cache), "get", lambda self, sid: tgt.state)
    data = _seeds("server_resume", tgt)[1]  # empty ticket extension + the cached ID
    forged = data[:2] + bytes(32) + data[34:]
    why, _ = finding(tgt, forged)
    assert why is not None and "never issued" in why


def test_server_resume_invariant_catches_forged_tickets(twin, monkeypatch):
    tgt = target("server_resume", twin)
    real = tgt.config.tickets.unseal(tgt.ticket)
    monkeypatch.setattr(type(tgt.config.tickets), "unseal", lambda self, ticket: real)
    data = _seeds("server_resume", tgt)[5]  # mode 3: forged under another key
    why, _ = finding(tgt, data)
    assert why is not None and "never issued" in why


def targets_tls_error():
    from tls12fast.errors import TLSError

    return TLSError
