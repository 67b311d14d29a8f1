# tls12fast.io.aio.new_event_loop(): unchanged asyncio `ssl=` code, with tls12fast.SSLContext
# connections run by TLSProtocol instead of sslproto - against stdlib ssl (through sslproto
# on the same loop), itself and `openssl s_client`, including flow control, closes,
# truncation, a handshake timeout and garbage.
import asyncio
import gc
import socket
import ssl
import weakref

import pytest

import tls12fast
from tls12fast.io import aio
from tls12fast.io.aio_loop import TLSProtocol, TLSTransport

from _peers import require_openssl, run_openssl_client
from test_compat import client_ctx, server_ctx


def run(coro):
    with asyncio.Runner(loop_factory=aio.new_event_loop) as runner:
        return runner.run(coro)


async def _echo(reader, writer):
    line = await reader.readline()
    writer.write(b"echo " + line)
    await writer.drain()
    writer.close()


async def _serve(handler, pki, ours=True, **kw):
    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=server_ctx(pki, ours), **kw)
    return server, server.sockets[0].getsockname()[1]


@pytest.mark.interop
@pytest.mark.parametrize("ours", ["client", "server", "both"])
def test_echo_against_stdlib_and_itself(pki, ours):
    seen = {}

    async def handler(reader, writer):
        seen["server_transport"] = type(writer.transport)
        seen["server_object"] = writer.get_extra_info("ssl_object")
        await _echo(reader, writer)

    async def main():
        server, port = await _serve(handler, pki, ours in ("server", "both"))
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx(pki, ours in ("client", "both")), server_hostname="localhost")
        writer.write(b"hello\n")
        data = await reader.read()
        info = {name: writer.get_extra_info(name) for name in ("cipher", "peercert", "ssl_object", "sslcontext",
                                                               "peername", "socket")}
        transport = type(writer.transport)
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return data, info, transport

    data, info, transport = run(main())
    assert data == b"echo hello\n"
    assert info["cipher"][1] == "TLSv1.2"
    assert info["peercert"]["subject"]  # verified: the ssl-style dict
    assert info["peername"][0] == "127.0.0.1" and info["socket"] is not None
    client_ours, server_ours = ours in ("client", "both"), ours in ("server", "both")
    assert (transport is TLSTransport) == client_ours
    assert isinstance(info["ssl_object"], tls12fast.SSLObject) == client_ours
    assert isinstance(info["sslcontext"], tls12fast.SSLContext) == client_ours
    assert (seen["server_transport"] is TLSTransport) == server_ours
    assert isinstance(seen["server_object"], tls12fast.SSLObject) == server_ours


@pytest.mark.interop
def test_large_transfer_both_ways_with_flow_control(pki):
    payload = bytes(range(256)) * 8192  # 2 MiB
    pauses = []

    async def handler(reader, writer):
        # A small read limit makes the StreamReader pause and resume reading; starting
        # late (and a small client send buffer) makes the client's writes back up, so its
        # writing is paused and resumed too.
        await asyncio.sleep(0.2)
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    async def main():
        server, port = await _serve(handler, pki, limit=4096)
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx(pki), server_hostname="localhost", limit=4096)
        protocol = writer.transport.get_protocol()
        real_pause = protocol.pause_writing

        def pause_writing():
            pauses.append(1)
            real_pause()

        protocol.pause_writing = pause_writing
        writer.transport.set_write_buffer_limits(high=16384)
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)

        async def send():
            for i in range(0, len(payload), 100_000):
                writer.write(payload[i:i + 100_000])
                await writer.drain()

        sender = asyncio.create_task(send())
        received = bytearray()
        while len(received) < len(payload):
            chunk = await reader.read(65536)
            assert chunk, "connection closed early"
            received += chunk
        await sender
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return bytes(received)

    assert run(main()) == payload
    assert pauses, "the client was never asked to pause writing"


@pytest.mark.interop
def test_other_contexts_still_use_sslproto(pki):
    async def main():
        server, port = await _serve(_echo, pki, ours=False)
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx(pki, ours=False), server_hostname="localhost")
        writer.write(b"x\n")
        data = await reader.read()
        kind = type(writer.transport)
        writer.close()
        server.close()
        await server.wait_closed()
        return data, kind

    data, kind = run(main())
    assert data == b"echo x\n"
    assert kind is asyncio.sslproto._SSLProtocolTransport


def test_transport_api(pki):
    async def main():
        server, port = await _serve(_echo, pki)
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx(pki), server_hostname="localhost")
        transport = writer.transport
        assert not transport.can_write_eof()
        with pytest.raises(NotImplementedError):
            transport.write_eof()
        with pytest.raises(TypeError):
            transport.write("text")
        assert transport.get_protocol() is writer._protocol
        assert transport.is_reading() and not transport.is_closing()
        transport.pause_reading()
        assert not transport.is_reading()
        transport.resume_reading()
        transport.writelines([b"multi", b"part\n"])
        data = await reader.read()
        transport.close()
        assert transport.is_closing()
        transport.write(b"after close")  # dropped, like sslproto
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return data

    assert run(main()) == b"echo multipart\n"


@pytest.mark.interop
def test_truncation_reaches_the_app_as_ssl_eof_error(pki):
    # RFC 5246 §7.2.1: EOF without close_notify is not a clean end of data.
    outcome = asyncio.Event()
    result = {}

    async def handler(reader, writer):
        try:
            result["data"] = await reader.read()
        except Exception as exc:
            result["error"] = exc
        outcome.set()
        writer.close()

    async def main():
        server, port = await _serve(handler, pki)
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx(pki, ours=False), server_hostname="localhost")
        writer.write(b"partial")
        await writer.drain()
        writer.transport.abort()  # no close_notify
        await asyncio.wait_for(outcome.wait(), 10)
        server.close()
        await server.wait_closed()

    run(main())
    assert isinstance(result.get("error"), ssl.SSLEOFError), result


def test_handshake_timeout_garbage_and_the_server_survives(pki):
    async def main():
        server, port = await _serve(_echo, pki, ssl_handshake_timeout=0.3)
        # A client that never speaks: closed once the handshake timeout passes.
        silent_r, silent_w = await asyncio.open_connection("127.0.0.1", port)
        start = asyncio.get_running_loop().time()
        assert await asyncio.wait_for(silent_r.read(), 10) == b""
        waited = asyncio.get_running_loop().time() - start
        silent_w.close()
        # Garbage instead of a ClientHello: a fatal alert record, then the close.
        raw_r, raw_w = await asyncio.open_connection("127.0.0.1", port)
        raw_w.write(b"GET / HTTP/1.0\r\n\r\n")
        reply = await asyncio.wait_for(raw_r.read(), 10)
        raw_w.close()
        # A real client afterwards is served normally.
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx(pki), server_hostname="localhost")
        writer.write(b"still here\n")
        data = await reader.read()
        writer.close()
        server.close()
        await server.wait_closed()
        return waited, reply, data

    waited, reply, data = run(main())
    assert 0.25 <= waited < 5
    assert reply[:1] == b"\x15" and reply[5] == 2  # alert record, fatal level
    assert data == b"echo still here\n"


def test_finished_connections_are_freed_without_gc(pki):
    refs = []

    async def handler(reader, writer):
        refs.append(weakref.ref(writer.transport))
        refs.append(weakref.ref(writer.transport._tls))
        await _echo(reader, writer)

    async def main():
        server, port = await _serve(handler, pki)
        for _ in range(3):
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=client_ctx(pki), server_hostname="localhost")
            refs.append(weakref.ref(writer.transport._tls))
            writer.write(b"x\n")
            await reader.read()
            writer.close()
            await writer.wait_closed()
            del reader, writer
        await asyncio.sleep(0.05)
        server.close()
        await server.wait_closed()

    gc.collect()
    gc.disable()
    try:
        run(main())
        alive = [ref() for ref in refs if ref() is not None]
    finally:
        gc.enable()
    assert len(refs) == 9
    assert not alive, alive


@pytest.mark.interop
def test_openssl_s_client_and_resumption(pki, tmp_path):
    require_openssl()
    sess = tmp_path / "session.pem"

    async def main():
        ctx = server_ctx(pki)
        ctx.options |= ssl.OP_NO_TICKET  # session IDs; tickets are covered by the engine tests
        server = await asyncio.start_server(_echo, "127.0.0.1", 0, ssl=ctx)
        port = server.sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        results = []
        for kw in ({"sess_out": sess}, {"sess_in": sess}):
            results.append(await loop.run_in_executor(None, lambda kw=kw: run_openssl_client(
                port, cafile=pki.ca_file, data=b"hi\n", expect=b"echo hi", **kw)))
        server.close()
        await server.wait_closed()
        return results, ctx.session_stats()

    (first, second), stats = run(main())
    assert "echo hi" in first.stdout and first.reused is False, first.describe()
    assert "echo hi" in second.stdout and second.reused is True, second.describe()
    assert stats["hits"] >= 1


def test_policy_makes_tls_loops():
    policy = aio.TLSEventLoopPolicy()
    loop = policy.new_event_loop()
    try:
        assert isinstance(loop, aio.TLSEventLoop)
    finally:
        loop.close()
    # TLSProtocol receives through get_buffer() into the loop's one shared buffer (no recv(256 KiB)).
    assert issubclass(TLSProtocol, asyncio.BufferedProtocol)


def test_buffered_protocol_app(pki):
    # An asyncio.BufferedProtocol app gets the plaintext through get_buffer/buffer_updated.
    class Collect(asyncio.BufferedProtocol):
        def __init__(self):
            self.buf = bytearray(7)  # smaller than the reply: several buffer rounds
            self.got = bytearray()
            self.done = asyncio.get_running_loop().create_future()

        def get_buffer(self, sizehint):
            return self.buf

        def buffer_updated(self, nbytes):
            self.got += self.buf[:nbytes]

        def eof_received(self):
            self.done.set_result(bytes(self.got))

    async def main():
        server, port = await _serve(_echo, pki)
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_connection(
            Collect, "127.0.0.1", port, ssl=client_ctx(pki), server_hostname="localhost")
        transport.write(b"buffered protocol\n")
        data = await asyncio.wait_for(protocol.done, 10)
        transport.close()
        server.close()
        await server.wait_closed()
        return data

    assert run(main()) == b"echo buffered protocol\n"


def test_response_and_close_notify_leave_in_one_write(pki):
    # Corking: app writes wait for the loop's next turn, so write() + close() is one
    # socket write (one segment) carrying the records and the close_notify alert.
    raw_writes = []

    async def handler(reader, writer):
        await reader.readline()
        raw = writer.transport._tls._transport
        real_write = raw.write

        def counting_write(data):
            raw_writes.append(bytes(data))
            real_write(data)

        raw.write = counting_write
        writer.write(b"HTTP/1.0 200 OK\r\n\r\n")
        writer.write(b"body\n")
        writer.close()

    async def main():
        server, port = await _serve(handler, pki)
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx(pki, ours=False), server_hostname="localhost")
        writer.write(b"GET\n")
        data = await reader.read()
        writer.close()
        server.close()
        await server.wait_closed()
        return data

    assert run(main()) == b"HTTP/1.0 200 OK\r\n\r\nbody\n"
    assert len(raw_writes) == 1
    records = raw_writes[0]
    assert records[0] == 23 and records[-31] == 21  # application data first, the alert last
