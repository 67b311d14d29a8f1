# tls12fast.loopback: pump() between two sans-IO connections (both twins) and
# memory_handshake() between SSLObjects, including their bounds (a stuck exchange ends).
import ssl

import pytest

import tls12fast
from tls12fast.loopback import memory_handshake, pump

from _pair import make_pair


def test_pump_completes_a_handshake_and_carries_data(pki, twin):
    pair = make_pair(pki, twin)
    assert pump(pair.client, pair.server) is True
    assert pair.client.handshake_complete and pair.server.handshake_complete
    pair.client.send(b"ping")
    events = pair.server.receive_data(pair.client.data_to_send())
    assert tls12fast.ApplicationData(b"ping") in events
    assert pump(pair.client, pair.server) is True  # nothing left to move


def test_pump_stops_after_max_rounds():
    class Chatty:  # always has something to say, never finishes
        def __init__(self):
            self.received = 0

        def data_to_send(self):
            return b"x"

        def receive_data(self, data):
            self.received += len(data)
            return []

    a, b = Chatty(), Chatty()
    assert pump(a, b, max_rounds=3) is False
    assert (a.received, b.received) == (3, 3)


def test_pump_propagates_the_fatal_error(pki, twin):
    pair = make_pair(pki, twin)
    hello = bytearray(pair.client.data_to_send())
    hello[5] = 99  # not a ClientHello: the server fails the handshake

    class Garbled:
        def data_to_send(self):
            return bytes(hello)

        def receive_data(self, data):
            return []

    with pytest.raises(tls12fast.TLSError):
        pump(Garbled(), pair.server)


@pytest.mark.parametrize("ours", [True, False], ids=["tls12fast", "stdlib"])
def test_memory_handshake_and_later_records(pki, ours):
    kind = tls12fast.SSLContext if ours else ssl.SSLContext
    server_ctx = kind(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(pki.rsa_cert, pki.rsa_key)
    client_ctx = kind(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.load_verify_locations(pki.ca_file)
    client_ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    client, server, (client_in, client_out, server_in, server_out) = memory_handshake(client_ctx, server_ctx)
    assert client.version() == server.version() == "TLSv1.2"
    client.write(b"hello")
    server_in.write(client_out.read())
    assert server.read(5) == b"hello"
    server.write(b"back")
    client_in.write(server_out.read())
    assert client.read(4) == b"back"


def test_memory_handshake_bounds_and_errors(pki):
    server_ctx = tls12fast.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(pki.rsa_cert, pki.rsa_key)
    client_ctx = tls12fast.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.load_verify_locations(pki.ca_file)
    with pytest.raises(RuntimeError, match="had not finished after 1 rounds"):
        memory_handshake(client_ctx, server_ctx, max_rounds=1)  # one round is too few for any handshake
    with pytest.raises(ssl.SSLCertVerificationError):
        memory_handshake(client_ctx, server_ctx, server_hostname="wrong.example")
