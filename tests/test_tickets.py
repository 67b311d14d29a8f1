# RFC 5077 ticket keys: seal/unseal, tampering, size limits, rotation driven by an
# injected clock (encrypting -> decrypt-only -> dropped, with the renew flag), and
# from_secret clusters (same secret interoperates, different secret does not, periods).
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tls12fast.errors import ConfigurationError, LocalProtocolError
from tls12fast.tickets import MAX_TICKET_SIZE, TicketKeys

STATE = b"\x01session state bytes" * 5
SECRET = b"cluster-ticket-secret-0123456789"


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture(params=["random", "secret"])
def keys(request):
    if request.param == "random":
        return TicketKeys(clock=Clock())
    return TicketKeys.from_secret(SECRET, clock=Clock())


def test_seal_unseal(keys):
    ticket = keys.seal(STATE)
    assert STATE not in ticket
    assert len(ticket) == 16 + 12 + len(STATE) + 16
    assert keys.unseal(ticket) == (STATE, False)
    assert keys.unseal(bytearray(ticket)) == (STATE, False)
    assert keys.unseal(memoryview(ticket)) == (STATE, False)
    assert keys.seal(STATE) != ticket  # fresh nonce every time
    assert keys.stats() == {"issued": 2, "accepted": 3, "renewed": 0, "rejected": 0,
                            "rotations": 0}


def test_tamper_any_byte_rejected(keys):
    ticket = keys.seal(STATE)
    for i in range(len(ticket)):
        forged = bytearray(ticket)
        forged[i] ^= 0x01
        assert keys.unseal(bytes(forged)) is None
    assert keys.stats()["rejected"] == len(ticket)


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_random_tickets_rejected(ticket):
    keys = TicketKeys(clock=Clock())
    assert keys.unseal(ticket) is None


def test_truncated_oversized_empty_and_non_bytes(keys):
    ticket = keys.seal(STATE)
    for n in range(len(ticket)):
        assert keys.unseal(ticket[:n]) is None
    assert keys.unseal(ticket + b"\x00") is None
    assert keys.unseal(b"") is None
    assert keys.unseal(ticket + b"\x00" * (MAX_TICKET_SIZE + 1 - len(ticket))) is None
    for bad in (None, 42, "text", [ticket]):
        assert keys.unseal(bad) is None
    assert keys.stats()["rejected"] == len(ticket) + 3 + 4


def test_key_name_is_authenticated():
    """Moving a ciphertext under another key's name must fail (AAD = key name)."""
    clock = Clock()
    keys = TicketKeys(rotate_after=10, accept_for=100, clock=clock)
    old = keys.seal(STATE)
    clock.now += 10
    new = keys.seal(STATE)
    assert old[:16] != new[:16]
    assert keys.unseal(new[:16] + old[16:]) is None
    assert keys.unseal(old[:16] + new[16:]) is None


def test_ticket_from_other_instance_rejected():
    a, b = TicketKeys(clock=Clock()), TicketKeys(clock=Clock())
    assert b.unseal(a.seal(STATE)) is None


def test_max_size_ticket_round_trips_and_larger_state_refused():
    keys = TicketKeys(clock=Clock())
    biggest = b"s" * (MAX_TICKET_SIZE - 44)
    ticket = keys.seal(biggest)
    assert len(ticket) == MAX_TICKET_SIZE
    assert keys.unseal(ticket) == (biggest, False)
    with pytest.raises(LocalProtocolError):
        keys.seal(biggest + b"s")
    with pytest.raises(LocalProtocolError):
        keys.seal(b"")


def test_rotation_current_then_decrypt_only_then_dropped():
    clock = Clock(0.0)
    keys = TicketKeys(rotate_after=100, accept_for=200, clock=clock)
    assert keys.lifetime_hint == 300
    t0 = keys.seal(STATE)
    clock.now = 99.9
    assert keys.unseal(t0) == (STATE, False)  # still the encrypting key
    clock.now = 100.0
    t1 = keys.seal(STATE)  # a new key encrypts from now on
    assert t1[:16] != t0[:16]
    assert keys.unseal(t0) == (STATE, True)  # decrypt-only: accepted, renew
    assert keys.unseal(t1) == (STATE, False)
    clock.now = 299.9  # key 0 stopped encrypting at 100, accepted until 300
    assert keys.unseal(t0) == (STATE, True)
    clock.now = 300.0
    assert keys.unseal(t0) is None  # dropped
    assert keys.unseal(t1) == (STATE, True)  # key 1: encrypted 100..200, accepted to 400
    clock.now = 400.0
    assert keys.unseal(t1) is None
    stats = keys.stats()
    assert stats["renewed"] == 3 and stats["rejected"] == 2 and stats["rotations"] == 3
    assert "keys=" in repr(keys)


def test_rotation_without_accept_window_and_key_list_bounded():
    clock = Clock(0.0)
    keys = TicketKeys(rotate_after=10, accept_for=0, clock=clock)
    t0 = keys.seal(STATE)
    clock.now = 10.0
    assert keys.unseal(t0) is None
    keys = TicketKeys(rotate_after=1, accept_for=5, clock=clock)
    for step in range(200):
        clock.now = step * 0.5
        keys.seal(STATE)
        assert len(keys._keys) <= 7


def test_long_idle_gap_drops_all_old_keys():
    clock = Clock(0.0)
    keys = TicketKeys(rotate_after=100, accept_for=100, clock=clock)
    t0 = keys.seal(STATE)
    clock.now = 10_000.0
    assert keys.unseal(t0) is None
    assert keys.unseal(keys.seal(STATE)) == (STATE, False)


def test_lifetime_hint_default_cap_and_override():
    assert TicketKeys().lifetime_hint == 3600 + 7200
    assert TicketKeys(rotate_after=86400, accept_for=86400 * 30).lifetime_hint == 7 * 86400
    assert TicketKeys(lifetime_hint=60).lifetime_hint == 60
    assert TicketKeys.from_secret(SECRET, period=600, accept_periods=2).lifetime_hint == 1800


@pytest.mark.parametrize("kwargs", [
    {"rotate_after": 0}, {"rotate_after": -1}, {"accept_for": -1}, {"lifetime_hint": -1},
    {"lifetime_hint": 2**32}, {"rotate_after": float("inf")}, {"clock": 5},
])
def test_bad_config(kwargs):
    with pytest.raises(ConfigurationError):
        TicketKeys(**kwargs)


def test_thread_safety():
    keys = TicketKeys(rotate_after=0.001, accept_for=60)  # rotates constantly in real time
    failures = []

    def work():
        for _ in range(300):
            got = keys.unseal(keys.seal(STATE))
            if got is None or got[0] != STATE:
                failures.append(got)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not failures
    stats = keys.stats()
    assert stats["issued"] == stats["accepted"] == 2400 and stats["rejected"] == 0


# --- from_secret ----------------------------------------------------------------------------


def test_same_secret_interoperates_across_nodes():
    clock_a, clock_b = Clock(), Clock()
    node_a = TicketKeys.from_secret(SECRET, clock=clock_a)
    node_b = TicketKeys.from_secret(SECRET, clock=clock_b)
    ticket = node_a.seal(STATE)
    assert node_b.unseal(ticket) == (STATE, False)
    assert node_a.unseal(node_b.seal(STATE)) == (STATE, False)
    assert node_a.seal(STATE)[:16] == node_b.seal(STATE)[:16]  # same key name


def test_different_secret_does_not_interoperate():
    a = TicketKeys.from_secret(SECRET, clock=Clock())
    b = TicketKeys.from_secret(SECRET[:-1] + b"!", clock=Clock())
    assert b.unseal(a.seal(STATE)) is None
    assert b.stats()["rejected"] == 1


def test_period_boundaries():
    clock = Clock(7200.0)  # start of period 2 (period=3600)
    issuer = TicketKeys.from_secret(SECRET, period=3600, accept_periods=1, clock=clock)
    checker_clock = Clock(7200.0)
    checker = TicketKeys.from_secret(SECRET, period=3600, accept_periods=1, clock=checker_clock)
    clock.now = 10799.0  # last second of period 2
    ticket = issuer.seal(STATE)
    checker_clock.now = 10799.999
    assert checker.unseal(ticket) == (STATE, False)
    checker_clock.now = 10800.0  # period 3: previous period, still accepted, renew
    assert checker.unseal(ticket) == (STATE, True)
    checker_clock.now = 14399.9
    assert checker.unseal(ticket) == (STATE, True)
    checker_clock.now = 14400.0  # period 4: two periods later, rejected
    assert checker.unseal(ticket) is None
    clock.now = 10800.0
    assert issuer.seal(STATE)[:16] != ticket[:16]  # a new period seals with a new key
    assert checker.stats()["rotations"] == 2


def test_accept_periods_zero_and_future_period():
    clock = Clock(3600.0)
    keys = TicketKeys.from_secret(SECRET, period=3600, accept_periods=0, clock=clock)
    ticket = keys.seal(STATE)
    clock.now = 7200.0
    assert keys.unseal(ticket) is None
    future = keys.seal(STATE)
    clock.now = 3600.0  # a ticket from a period this node has not reached is unknown
    assert keys.unseal(future) is None


def test_derivation_is_pinned():
    """HKDF-SHA256(secret, salt, info="period" || u64 index): the first 16 bytes name the
    key. Pinning it keeps every node and every release deriving the same names."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    keys = TicketKeys.from_secret(SECRET, period=100, clock=Clock(12345.0))
    expected = HKDF(algorithm=hashes.SHA256(), length=48, salt=b"tls12fast ticket keys",
                    info=b"period" + (123).to_bytes(8, "big")).derive(SECRET)
    assert keys.seal(STATE)[:16] == expected[:16]


@pytest.mark.parametrize("args", [
    (b"short",), (b"x" * 15,), ("text-secret-of-20-chars",), (SECRET, 0), (SECRET, -5),
    (SECRET, 3600, -1), (SECRET, 3600, 1.5), (SECRET, 3600, 100_000),
])
def test_from_secret_bad_config(args):
    with pytest.raises(ConfigurationError):
        TicketKeys.from_secret(*args)


def test_reprs_show_no_key_material():
    keys = TicketKeys.from_secret(SECRET, clock=Clock())
    name = keys.seal(STATE)[:16]
    for obj in (keys, TicketKeys(clock=Clock())):
        text = repr(obj)
        assert SECRET.hex() not in text and "cluster-ticket" not in text
        assert name.hex() not in text and repr(name) not in text
