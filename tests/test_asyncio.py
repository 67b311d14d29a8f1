# tls12fast.SSLContext as `ssl=` for asyncio (start_server, open_connection, and start_tls
# on asyncio's loop and on new_event_loop()), against stdlib ssl and itself; and the io.aio
# helpers with their handshake timeout.
import asyncio
import ssl

import pytest

import tls12fast
from tls12fast.io import aio
from tls12fast.io.aio_loop import TLSTransport

from test_compat import client_ctx, server_ctx


async def _echo(reader, writer):
    line = await reader.readline()
    writer.write(b"echo " + line)
    await writer.drain()
    writer.close()


@pytest.mark.interop
@pytest.mark.parametrize("ours", ["client", "server", "both"])
def test_start_server_open_connection(pki, ours):
    async def main():
        server = await asyncio.start_server(_echo, "127.0.0.1", 0,
                                            ssl=server_ctx(pki, ours in ("server", "both")))
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx(pki, ours in ("client", "both")), server_hostname="localhost")
        writer.write(b"hello\n")
        data = await reader.read()
        cipher = writer.get_extra_info("cipher")
        obj = writer.get_extra_info("ssl_object")
        writer.close()
        server.close()
        await server.wait_closed()
        return data, cipher, obj

    data, cipher, obj = asyncio.run(main())
    assert data == b"echo hello\n"
    assert cipher[1] == "TLSv1.2"
    assert isinstance(obj, tls12fast.SSLObject) == (ours != "server")


LOOPS = pytest.mark.parametrize("loop_factory", [None, aio.new_event_loop], ids=["asyncio-loop", "tls12fast-loop"])


async def _agree_on_starttls(reader, writer):
    """Server side of the plaintext prelude: read STARTTLS, answer GO."""
    assert await reader.readline() == b"STARTTLS\n"
    writer.write(b"GO\n")
    await writer.drain()


async def _starttls_client(handle):
    """A plaintext server running `handle`, and a client past the STARTTLS prelude."""
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
    writer.write(b"STARTTLS\n")
    assert await reader.readline() == b"GO\n"
    return server, reader, writer


@pytest.mark.interop
@LOOPS
@pytest.mark.parametrize("ours", ["client", "server", "both"])
def test_start_tls_upgrade(pki, ours, loop_factory):
    # STARTTLS: a plaintext exchange, then StreamWriter.start_tls() on both sides. On
    # new_event_loop() a tls12fast.SSLContext side gets a TLSTransport; sslproto otherwise.
    seen = {}

    async def handle(reader, writer):
        await _agree_on_starttls(reader, writer)
        await writer.start_tls(server_ctx(pki, ours in ("server", "both")))
        seen["server"] = type(writer.transport)
        line = await reader.readline()
        writer.write(b"secret " + line)
        await writer.drain()
        writer.close()

    async def main():
        server, reader, writer = await _starttls_client(handle)
        await writer.start_tls(client_ctx(pki, ours in ("client", "both")), server_hostname="localhost")
        seen["client"] = type(writer.transport)
        cipher = writer.get_extra_info("cipher")
        writer.write(b"x\n")
        data = await reader.read()
        writer.close()
        server.close()
        await server.wait_closed()
        return data, cipher

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        data, cipher = runner.run(main())
    assert data == b"secret x\n"
    assert cipher[1] == "TLSv1.2"
    for side in ("client", "server"):
        ours_here = loop_factory is not None and ours in (side, "both")
        assert (seen[side] is TLSTransport) == ours_here, side


@LOOPS
def test_start_tls_failure_raises_and_closes(pki, loop_factory):
    # The server's certificate does not match the name: start_tls() raises the
    # verification error and closes the transport; the server sees its handshake fail.
    failures = []

    async def handle(reader, writer):
        await _agree_on_starttls(reader, writer)
        try:
            await writer.start_tls(server_ctx(pki))
        except (ssl.SSLError, ConnectionError) as exc:
            failures.append(exc)
        writer.close()

    async def main():
        server, reader, writer = await _starttls_client(handle)
        with pytest.raises(ssl.SSLCertVerificationError):
            await writer.start_tls(client_ctx(pki), server_hostname="wrong.example")
        assert writer.transport.is_closing()
        for _ in range(100):  # the server's start_tls() fails once our alert arrives
            if failures:
                break
            await asyncio.sleep(0.01)
        server.close()
        await server.wait_closed()

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main())
    assert len(failures) == 1


@pytest.mark.interop
@LOOPS
def test_asyncio_untrusted_raises_cert_error(pki, loop_factory):
    async def main():
        sctx = tls12fast.SSLContext(tls12fast.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(pki.untrusted_cert, pki.untrusted_key)
        server = await asyncio.start_server(_echo, "127.0.0.1", 0, ssl=sctx)
        port = server.sockets[0].getsockname()[1]
        try:
            with pytest.raises(ssl.SSLCertVerificationError):
                await asyncio.open_connection("127.0.0.1", port, ssl=client_ctx(pki), server_hostname="localhost")
        finally:
            server.close()
            await server.wait_closed()

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main())


def test_aio_helpers_and_handshake_timeout(pki):
    async def main():
        scfg = tls12fast.ServerConfig([tls12fast.CertifiedKey.load(pki.rsa_cert, pki.rsa_key)])
        ccfg = tls12fast.ClientConfig(cafile=str(pki.ca_file))
        failures = []

        async def handler(stream):
            data = await stream.recv()
            await stream.send(data.upper())
            await stream.aclose()

        server = await aio.start_server(handler, "127.0.0.1", 0, scfg, handshake_timeout=0.5,
                                        on_error=failures.append)
        port = server.sockets[0].getsockname()[1]
        stream = await aio.open_connection("127.0.0.1", port, ccfg, server_name="localhost")
        await stream.send(b"abc")
        assert await stream.recv() == b"ABC"
        assert await stream.recv() == b""
        await stream.aclose()
        # slowloris: a client that sends one byte and stalls is dropped after the timeout
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"\x16")
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
        server.close()
        await server.wait_closed()
        return failures

    failures = asyncio.run(main())
    assert any(isinstance(f, TimeoutError) for f in failures)
