"""Full TLS 1.2 handshakes in memory: tls12fast (compiled, pure) vs stdlib ssl vs tlslite-ng.

How this works: each benchmark runs ONE complete handshake per iteration, client and server
in the same process and thread, so the time is both sides' CPU per handshake (the number a
server operator pays is roughly half of it, the server side being the more expensive half
for RSA key exchange). Scenario names follow rustls ci-bench; every scenario is one
pytest-benchmark group with the four stacks side by side:

  handshake.full.ecdhe_rsa    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, RSA-2048 cert, x25519
  handshake.full.ecdhe_ecdsa  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, P-256 cert, x25519
  handshake.full.rsa          TLS_RSA_WITH_AES_128_GCM_SHA256 (RSA key transport), RSA-2048
  handshake.full.dhe_rsa      TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, ffdhe2048 (RFC 7919)
  handshake.resumed.session_id / .ticket   ECDHE-RSA session resumed by ID / RFC 5077 ticket

Fairness: same certificates (leaf + intermediate from tests/_pki.py), same suite, TLS 1.2,
extended master secret on, session tickets off and no session resumption. tls12fast and
stdlib ssl both verify the server chain and host name (ssl: CERT_REQUIRED +
check_hostname). tlslite-ng cannot verify X.509 chains, so its rows do no verification (and
it runs over a non-blocking socketpair with its generator handshake API, since it has no
memory-BIO mode). stdlib ssl's server keeps its internal session-ID cache (Python cannot
turn it off); nothing ever resumes from it in the full-handshake groups. In the resumed
groups the ssl server sends close_notify (OpenSSL evicts sessions whose connection was freed
without one), a few microseconds the other stacks do not spend.
"""
from __future__ import annotations

import pathlib
import socket
import ssl
import sys

import pytest

import tls12fast as t
from tls12fast.loopback import memory_handshake

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
from _pki import make_pki  # noqa: E402  (the test PKI, shared with the interop tests)

SCENARIOS = {
    # name: (suite, cert kind, tls12fast groups, OpenSSL cipher name)
    "ecdhe_rsa": ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "rsa", ["x25519"], "ECDHE-RSA-AES128-GCM-SHA256"),
    "ecdhe_ecdsa": ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ecdsa", ["x25519"],
                    "ECDHE-ECDSA-AES128-GCM-SHA256"),
    "rsa": ("TLS_RSA_WITH_AES_128_GCM_SHA256", "rsa", None, "AES128-GCM-SHA256"),
    "dhe_rsa": ("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "rsa", ["ffdhe2048"], "DHE-RSA-AES128-GCM-SHA256"),
}
STACKS = ["tls12fast-cython", "tls12fast-python", "stdlib-ssl", "tlslite-ng"]


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("bench-pki"))


@pytest.fixture(scope="module")
def ffdhe2048_pem(tmp_path_factory) -> str:
    """RFC 7919 ffdhe2048 as PKCS#3 PEM, for stdlib ssl's load_dh_params."""
    from cryptography.hazmat.primitives.asymmetric import dh
    from cryptography.hazmat.primitives.serialization import Encoding, ParameterFormat

    from tls12fast.crypto import FFDHE2048_P

    p = FFDHE2048_P if isinstance(FFDHE2048_P, int) else int.from_bytes(FFDHE2048_P, "big")
    params = dh.DHParameterNumbers(p, 2).parameters()
    path = tmp_path_factory.mktemp("dh") / "ffdhe2048.pem"
    path.write_bytes(params.parameter_bytes(Encoding.PEM, ParameterFormat.PKCS3))
    return str(path)


# ---------------------------------------------------------------------------------------
# One handshake per stack. Each factory returns a zero-argument callable doing a handshake.


def tls12fast_runner(pki, scenario, backend, chain_cache=True):
    suite, kind, groups, _ = SCENARIOS[scenario]
    key = t.CertifiedKey.load(str(getattr(pki, f"{kind}_cert")), str(getattr(pki, f"{kind}_key")))
    scfg = t.ServerConfig([key], cipher_suites=[suite], groups=groups, session_cache=None, tickets=None,
                          backend=backend)
    ccfg = t.ClientConfig(cafile=str(pki.ca_file), cipher_suites=[suite], groups=groups,
                          session_store=None, offer_ticket=False, backend=backend)
    if not chain_cache:  # verify the chain on every handshake, as stdlib ssl does
        from tls12fast.certs import load_trust_store

        ccfg.trust = load_trust_store(cafile=str(pki.ca_file), cache_size=0)

    def run():
        client = t.ClientConnection(ccfg, server_name="localhost")
        server = t.ServerConnection(scfg)
        data = client.data_to_send()
        for _ in range(10):
            server.receive_data(data)
            client.receive_data(server.data_to_send())
            data = client.data_to_send()
            if not data:
                break
        assert client.handshake_complete and server.handshake_complete
        return client

    return run


def ssl_runner(pki, scenario, dh_pem):
    suite, kind, _, openssl_name = SCENARIOS[scenario]
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(str(getattr(pki, f"{kind}_cert")), str(getattr(pki, f"{kind}_key")))
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED + check_hostname
    cctx.load_verify_locations(str(pki.ca_file))
    for ctx in (sctx, cctx):
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(openssl_name)
        ctx.options |= ssl.OP_NO_TICKET
    if scenario == "dhe_rsa":
        sctx.load_dh_params(dh_pem)

    def run():
        client, _, _ = memory_handshake(cctx, sctx)
        assert client.cipher() is not None
        return client

    return run


def tlslite_runner(pki, scenario):
    from tlslite.api import TLSConnection

    from _tlslite_peer import tlslite_credentials, tlslite_settings

    suite, kind, groups, _ = SCENARIOS[scenario]
    chain, key = tlslite_credentials(getattr(pki, f"{kind}_cert"), getattr(pki, f"{kind}_key"))
    if scenario == "dhe_rsa":
        settings = tlslite_settings(suite, dh_groups=groups)
    else:
        settings = tlslite_settings(suite, curves=["x25519", "secp256r1"])

    def run():
        a, b = socket.socketpair()
        with a, b:
            a.setblocking(False)
            b.setblocking(False)
            client, server = TLSConnection(a), TLSConnection(b)
            steps = [client.handshakeClientCert(settings=settings, serverName="localhost", async_=True),
                     server.handshakeServerAsync(certChain=chain, privateKey=key, settings=settings)]
            while steps:
                for step in list(steps):
                    try:
                        next(step)
                    except StopIteration:
                        steps.remove(step)
        assert client.session.cipherSuite
        return client

    return run


@pytest.fixture(params=STACKS)
def stack(request):
    name = request.param
    if name == "tls12fast-cython":
        from tls12fast import _speedups

        if _speedups.NO_EXTENSIONS:
            pytest.skip("COMPILED TWIN DISABLED: TLS12FAST_NO_EXTENSIONS is set")
    if name == "tlslite-ng":
        pytest.importorskip("tlslite", reason="TLSLITE-NG NOT INSTALLED: pip install tlslite-ng")
    return name


def make_runner(stack, pki, scenario, dh_pem):
    if stack.startswith("tls12fast"):
        return tls12fast_runner(pki, scenario, stack.split("-")[1])
    if stack == "stdlib-ssl":
        return ssl_runner(pki, scenario, dh_pem)
    return tlslite_runner(pki, scenario)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def bench_handshake_full(benchmark, pki, ffdhe2048_pem, stack, scenario):
    benchmark.group = f"handshake.full.{scenario}"
    benchmark.extra_info["stack"] = stack
    benchmark.extra_info["scenario"] = f"handshake.full.{scenario}"
    run = make_runner(stack, pki, scenario, ffdhe2048_pem)
    run()  # warm up (and fail loudly before timing if the handshake does not work)
    benchmark(run)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def bench_handshake_full_no_chain_cache(benchmark, pki, scenario):
    """The compiled row again with the client's verified-chain cache off (like for like)."""
    from tls12fast import _speedups

    if _speedups.NO_EXTENSIONS:
        pytest.skip("COMPILED TWIN DISABLED: TLS12FAST_NO_EXTENSIONS is set")
    benchmark.group = f"handshake.full.{scenario}"
    benchmark.extra_info["stack"] = "tls12fast-cython-no-chain-cache"
    benchmark.extra_info["scenario"] = f"handshake.full.{scenario}"
    run = tls12fast_runner(pki, scenario, "cython", chain_cache=False)
    run()
    benchmark(run)


# ---------------------------------------------------------------------------------------
# Resumed handshakes (RFC 5246 §7.4.1.3 session ID, RFC 5077 ticket): ECDHE-RSA suite,
# the client offers the session of one earlier full handshake every time; each iteration
# is one abbreviated handshake (new connection objects on both sides).

RESUME_SCENARIO = "ecdhe_rsa"


def tls12fast_resume_runner(pki, kind, backend):
    suite, _, groups, _ = SCENARIOS[RESUME_SCENARIO]
    key = t.CertifiedKey.load(str(pki.rsa_cert), str(pki.rsa_key))
    scfg = t.ServerConfig([key], cipher_suites=[suite], groups=groups, backend=backend,
                          session_cache=t.MemorySessionCache() if kind == "session_id" else None,
                          tickets=t.TicketKeys() if kind == "ticket" else None)
    ccfg = t.ClientConfig(cafile=str(pki.ca_file), cipher_suites=[suite], groups=groups,
                          session_store=None, offer_ticket=kind == "ticket", backend=backend)

    def handshake(session):
        client = t.ClientConnection(ccfg, server_name="localhost", session=session)
        server = t.ServerConnection(scfg)
        data = client.data_to_send()
        for _ in range(10):
            # Only bytes are delivered: receive_data(b"") would mean EOF (closing the client).
            server.receive_data(data)
            reply = server.data_to_send()
            if reply:
                client.receive_data(reply)
            data = client.data_to_send()
            if not data:
                break
        assert client.handshake_complete and server.handshake_complete
        return client

    session = handshake(None).session
    assert handshake(session).resumption == kind, f"tls12fast did not resume by {kind}"

    def run():
        client = handshake(session)
        assert client.resumption == kind, f"expected a {kind} resumption, got {client.resumption}"
        return client

    return run


def ssl_resume_runner(pki, kind):
    _, _, _, openssl_name = SCENARIOS[RESUME_SCENARIO]
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(str(pki.rsa_cert), str(pki.rsa_key))
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(str(pki.ca_file))
    for ctx in (sctx, cctx):
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(openssl_name)
        if kind == "session_id":
            ctx.options |= ssl.OP_NO_TICKET

    def handshake(session):
        client, server, _ = memory_handshake(cctx, sctx, session=session)
        # OpenSSL drops a session from the server cache when its connection is freed
        # without close_notify (ssl_clear_bad_session), so the server closes cleanly.
        try:
            server.unwrap()
        except ssl.SSLWantReadError:
            pass
        return client

    session = handshake(None).session

    def run():
        client = handshake(session)
        assert client.session_reused
        return client

    return run


def tlslite_resume_runner(pki, kind):
    from tlslite.api import SessionCache, TLSConnection

    from _tlslite_peer import tlslite_credentials, tlslite_settings

    suite, _, _, _ = SCENARIOS[RESUME_SCENARIO]
    chain, key = tlslite_credentials(pki.rsa_cert, pki.rsa_key)
    settings = tlslite_settings(suite, curves=["x25519"])
    if kind == "ticket":
        settings.ticketKeys = [bytes(range(32))]
    cache = SessionCache() if kind == "session_id" else None

    def handshake(session):
        a, b = socket.socketpair()
        with a, b:
            a.setblocking(False)
            b.setblocking(False)
            client, server = TLSConnection(a), TLSConnection(b)
            steps = [client.handshakeClientCert(settings=settings, serverName="localhost", session=session,
                                                async_=True),
                     server.handshakeServerAsync(certChain=chain, privateKey=key, settings=settings,
                                                 sessionCache=cache)]
            while steps:
                for step in list(steps):
                    try:
                        next(step)
                    except StopIteration:
                        steps.remove(step)
        return client

    session = handshake(None).session

    def run():
        client = handshake(session)
        if not client.resumed:
            pytest.skip(f"tlslite-ng did not resume by {kind} in TLS 1.2")
        return client

    return run


@pytest.mark.parametrize("kind", ["session_id", "ticket"])
def bench_handshake_resumed(benchmark, pki, stack, kind):
    benchmark.group = f"handshake.resumed.{kind}"
    benchmark.extra_info["stack"] = stack
    benchmark.extra_info["scenario"] = f"handshake.resumed.{kind}"
    if stack.startswith("tls12fast"):
        run = tls12fast_resume_runner(pki, kind, stack.split("-")[1])
    elif stack == "stdlib-ssl":
        run = ssl_resume_runner(pki, kind)
    else:
        run = tlslite_resume_runner(pki, kind)
    run()
    benchmark(run)
