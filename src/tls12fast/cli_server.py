# `tls12fast server`: a small HTTPS/1.1 server on tls12fast + asyncio, for curl,
# `openssl s_client` and `openssl s_time -new/-reuse`.
#
# How this works: the options become one ServerConfig (certificate, session cache —
# in memory, off, or Redis shared by a cluster —, ticket keys — random per process or
# derived from a shared secret file with TicketKeys.from_secret —, key log). Each worker
# process runs io.aio.start_server(): the handshake must finish within
# --handshake-timeout (a slowloris trickle or a half-open client is dropped), the
# request head is read (at most 16 KiB, same deadline), a short HTTP/1.1 response names
# the handshake kind, then close_notify and close. --workers N forks N processes that
# bind the same port with SO_REUSEPORT and share the ticket secret (and a Redis cache if
# given), so a session made on one worker resumes on any other.
from __future__ import annotations

import asyncio
import copy
import dataclasses
import errno
import os
import signal
import sys

from .cli import CliError, self_signed

__all__ = ["run_server", "build_config"]

_MAX_HEAD = 16384


def build_config(args):
    """The ServerConfig for the parsed `server` options; CliError on bad input."""
    from .certs import CertifiedKey
    from .config import ServerConfig
    from .errors import TLSError
    from .sessions import MemorySessionCache
    from .tickets import TicketKeys

    if (args.cert is None) != (args.key is None) and args.cert is None:
        raise CliError("--key needs --cert")
    cert, key = (args.cert, args.key) if args.cert else self_signed()[:2]
    try:
        certified = CertifiedKey.load(cert, key)
    except (TLSError, OSError, ValueError) as exc:
        raise CliError(f"cannot load certificate/key: {exc}") from None
    secret = None
    if args.ticket_secret_file:
        try:
            with open(args.ticket_secret_file, "rb") as f:
                secret = f.read().strip()
        except OSError as exc:
            raise CliError(f"cannot read {args.ticket_secret_file}: {exc.strerror}") from None
        if len(secret) < 16:
            raise CliError(f"{args.ticket_secret_file}: the ticket secret must be at least 16 bytes")
    elif args.workers > 1:
        secret = os.urandom(32)  # made before forking, so every worker derives the same keys
    spec = args.session_cache
    if spec == "memory":
        cache = MemorySessionCache()
    elif spec == "none":
        cache = None
    elif spec.startswith(("redis://", "rediss://", "unix://")):
        cache = _redis_cache(spec, secret)
    else:
        raise CliError(f"--session-cache must be memory, none or redis://…, not {spec!r}")
    tickets = None if args.no_tickets else (TicketKeys.from_secret(secret) if secret else TicketKeys())
    try:
        return ServerConfig([certified], session_cache=cache, tickets=tickets, keylog=args.keylog,
                            alpn_protocols=("http/1.1",))
    except (TLSError, OSError, ValueError) as exc:
        raise CliError(str(exc)) from None


def _redis_cache(url: str, secret):
    from .errors import TLSError
    from .stores.redis import RedisSessionCache

    try:
        import redis
    except ImportError:
        raise CliError("redis session cache needs redis-py: pip install 'tls12fast[redis]'") from None
    try:
        probe = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    except ValueError as exc:
        raise CliError(f"cannot reach Redis at {url}: {exc}") from None
    try:
        probe.ping()
    except (redis.RedisError, OSError) as exc:
        raise CliError(f"cannot reach Redis at {url}: {exc}") from None
    finally:
        probe.close()
    try:
        return RedisSessionCache(url, secret=secret)
    except TLSError as exc:
        raise CliError(str(exc)) from None


def _flip(events):
    """Server-side trace → client-perspective events, for ladder drawing."""
    swap = {"send": "recv", "recv": "send"}
    return [dataclasses.replace(e, direction=swap[e.direction]) for e in events]


async def _serve(args, config, listen_sock=None) -> None:
    from .io.aio import TLSStream
    from .ladder import Ladder, render_text
    from .server.connection import ServerConnection
    from .errors import TLSError

    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    loop = asyncio.get_running_loop()

    async def handle(reader, writer):
        events: list = []
        conn_config = config
        if args.trace:  # a per-connection tracer: a shallow copy shares caches and keys
            conn_config = copy.copy(config)
            conn_config.tracer = events.append
        stream = TLSStream(ServerConnection(conn_config), reader, writer)
        start = loop.time()
        try:
            async with asyncio.timeout(args.handshake_timeout):
                await stream.handshake(None)
                elapsed = loop.time() - start
                head = bytearray()
                while b"\r\n\r\n" not in head and len(head) < _MAX_HEAD:
                    chunk = await stream.recv()
                    if not chunk:
                        break
                    head += chunk
            conn = stream.conn
            body = (f"Hello from tls12fast: {conn.resumption} handshake, {conn.cipher_suite}, "
                    f"EMS {'yes' if conn.extended_master_secret else 'no'}\n").encode()
            await stream.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                              b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            if args.trace:
                peer = writer.get_extra_info("peername")
                ladder = Ladder(f"{peer[0]}:{peer[1]} (pid {os.getpid()})", _flip(events), conn.cipher_suite,
                                conn.extended_master_secret, conn.resumption, elapsed)
                print(render_text(ladder, colour=colour) + "\n", flush=True)
            await stream.aclose()
        except (TLSError, OSError, TimeoutError, ConnectionError) as exc:
            if args.trace:
                print(f"connection failed: {type(exc).__name__}: {exc}", flush=True)
            writer.close()

    if listen_sock is not None:
        server = await asyncio.start_server(handle, sock=listen_sock, backlog=1024)
    else:
        server = await asyncio.start_server(handle, args.host, args.port, backlog=1024)
    async with server:
        await server.serve_forever()


def _listen(args, reuse_port: bool):
    import socket

    try:
        infos = socket.getaddrinfo(args.host, args.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise CliError(f"cannot resolve {args.host}: {exc.strerror}") from None
    family, _, _, _, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(addr)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        why = "port already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise CliError(f"cannot listen on {args.host}:{args.port}: {why}") from None
    sock.setblocking(False)
    return sock


def run_server(args) -> int:
    """Run `tls12fast server` until SIGINT/SIGTERM; returns the exit status."""
    if not 0 < args.port < 65536:
        raise CliError(f"--port must be 1..65535, not {args.port}")
    if not 1 <= args.workers <= 256:
        raise CliError("--workers must be 1..256")
    config = build_config(args)
    reuse = args.workers > 1
    socks = [_listen(args, reuse) for _ in range(args.workers)]
    cache = "off" if config.session_cache is None else type(config.session_cache).__name__
    tickets = "off" if config.tickets is None else ("shared secret" if args.ticket_secret_file or reuse else "random key")
    print(f"tls12fast server on https://{args.host}:{args.port}/ — {args.workers} worker(s), "
          f"session cache: {cache}, tickets: {tickets}, backend: {_backend()}", flush=True)
    if args.cert is None:
        print(f"  self-signed certificate; trust it with: curl --cacert {self_signed()[2]} "
              f"https://localhost:{args.port}/", flush=True)
    if args.workers == 1:
        _run_worker(args, config, socks[0])
        return 0
    children = []
    for sock in socks:
        pid = os.fork()
        if pid == 0:
            for other in socks:
                if other is not sock:
                    other.close()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            _run_worker(args, config, sock)
            os._exit(0)
        children.append(pid)
        sock.close()

    def stop(signum, frame):
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for pid in children:
        while True:
            try:
                os.waitpid(pid, 0)
                break
            except ChildProcessError:
                break
            except InterruptedError:
                continue
    return 0


def _run_worker(args, config, sock) -> None:
    try:
        asyncio.run(_serve(args, config, sock))
    except KeyboardInterrupt:
        pass


def _backend() -> str:
    import tls12fast

    return tls12fast.BACKEND
