# The `tls12fast` command (also `python -m tls12fast`).
#
# How this works: one argparse parser with four sub-commands. `demo` (the default) runs
# real handshakes between a tls12fast client and a tls12fast server over TCP sockets on
# 127.0.0.1 and draws each from the client's TraceEvents (ladder.py): full RSA key
# exchange, full ECDHE (RFC 5246 §7.3), resumption by session ID (§7.4.1.3), by ticket
# (RFC 5077 §3.1) and a ClientHello carrying both (RFC 5077 §3.4). A scenario the
# engine cannot perform is reported as unavailable, never drawn from imagination.
# `server` lives in cli_server.py and `bench` (in-memory handshakes and record throughput,
# each stack side by side) in cli_bench.py, both imported on demand.
#
# Errors the user can cause (bad arguments, unreadable files, occupied ports, an
# unreachable peer) end as one line on stderr and a non-zero exit status, no traceback.
from __future__ import annotations

import argparse
import os
import socket
import sys
import time

__all__ = ["main", "self_signed", "CliError"]


class CliError(Exception):
    """A user-facing error: printed as one line, exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not usage + error
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def cache_dir() -> str:
    """Where the self-signed certificate lives ($XDG_CACHE_HOME/tls12fast)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tls12fast")


def _make_self_signed() -> tuple[bytes, bytes, bytes]:
    """(leaf chain PEM, leaf key PEM, CA PEM): a throwaway CA that signed a "localhost" leaf."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def build(cn, key, issuer, signer, ca):
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        builder = (x509.CertificateBuilder().subject_name(subject)
                   .issuer_name(issuer.subject if issuer else subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=825))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
                                  critical=False))
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        else:
            builder = (builder.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
        return builder.sign(signer, hashes.SHA256())

    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = build("tls12fast local CA", ca_key, None, ca_key, True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = build("localhost", key, ca, ca_key, False)
    pem = serialization.Encoding.PEM
    return (leaf.public_bytes(pem),
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
            ca.public_bytes(pem))


def self_signed(directory: str | None = None) -> tuple[str, str, str]:
    """Paths (cert, key, CA) of a "localhost"/127.0.0.1 RSA certificate from a local CA, made on first use."""
    directory = directory or cache_dir()
    names = ("localhost-cert.pem", "localhost-key.pem", "localhost-ca.pem")
    cert, key, ca = (os.path.join(directory, n) for n in names)
    if not all(os.path.exists(p) for p in (cert, key, ca)):
        try:
            os.makedirs(directory, exist_ok=True)
            cert_pem, key_pem, ca_pem = _make_self_signed()
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(key_pem)
            for path, data in ((cert, cert_pem), (ca, ca_pem)):
                with open(path, "wb") as f:
                    f.write(data)
        except OSError as exc:
            raise CliError(f"cannot write the self-signed certificate into {directory}: {exc.strerror}") from None
    return cert, key, ca


# ---------------------------------------------------------------------------- demo

_REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"


def _serve(listener: socket.socket, config, count: int, errors: list) -> None:
    from .io import blocking

    for _ in range(count):
        try:
            tls = blocking.accept(listener, config, timeout=10)
        except Exception as exc:  # reported by the client side; keep serving
            errors.append(exc)
            continue
        with tls:
            try:
                tls.recv()
                tls.send(_RESPONSE)
            except Exception as exc:
                errors.append(exc)


def _connect(port: int, config, session=None):
    """One real TCP + TLS connection; returns (ClientConnection, events, seconds)."""
    from .io.blocking import TLSSocket
    from .client.connection import ClientConnection

    events: list = []
    config.tracer = events.append
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    start = time.perf_counter()
    tls = TLSSocket(sock, ClientConnection(config, server_name="localhost", session=session))
    tls.handshake(10)
    elapsed = time.perf_counter() - start
    with tls:
        tls.send(_REQUEST)
        tls.recv()
    return tls.conn, events, elapsed


def _hello_notes(events) -> list[str]:
    notes = []
    for event in events:
        if event.msg_type in ("client_hello", "server_hello"):
            who = "ClientHello" if event.msg_type == "client_hello" else "ServerHello"
            notes.append(f"{who}: {event.summary}")
    return notes


def _store_counts(cache, tickets) -> dict:
    counts = {}
    if cache is not None:
        stats = cache.stats()
        counts["session-cache lookups"] = stats["hits"] + stats["misses"]
        counts["session-cache hits"] = stats["hits"]
    if tickets is not None:
        stats = tickets.stats()
        counts["tickets accepted"] = stats["accepted"]
        counts["tickets issued"] = stats["issued"]
    return counts


def _store_note(before: dict, after: dict) -> str:
    """What the server's stores did during the resumed handshake (RFC 5077 §3.4: with a
    ticket present the session cache is not consulted at all)."""
    parts = [f"{name} +{after[name] - before[name]}" for name in after]
    return "Server stores during this handshake: " + ", ".join(parts)


def run_demo(svg_dir: str | None = None, colour: bool = False, verbose: bool = False, out=None) -> int:
    """Run the five scenarios on 127.0.0.1 and print their ladders; returns an exit code."""
    import threading

    from .certs import CertifiedKey
    from .config import ClientConfig, ServerConfig
    from .ladder import Ladder, render_svg, render_text
    from .sessions import ClientSessionStore, MemorySessionCache
    from .tickets import TicketKeys

    out = out or sys.stdout
    cert_pem, key_pem, ca_pem = _make_self_signed()
    key = CertifiedKey.from_pem(cert_pem, key_pem)
    ecdhe, rsa_kx = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256"
    # (title, suite, server cache?, server tickets?, client offers tickets?, expected resumption)
    scenarios = [
        ("Full handshake, RSA key exchange (RFC 5246 §7.3)", rsa_kx, False, False, False, "full"),
        ("Full handshake, ECDHE key exchange (RFC 5246 §7.3, RFC 8422)", ecdhe, False, False, False, "full"),
        ("Resumption by session ID (RFC 5246 §7.4.1.3)", ecdhe, True, False, False, "session_id"),
        ("Resumption by session ticket (RFC 5077 §3.1)", ecdhe, False, True, True, "ticket"),
        ("ClientHello carrying a session ID and a ticket: the ticket wins (RFC 5077 §3.4)", ecdhe, True, True,
         True, "ticket"),
    ]
    unavailable = 0
    if svg_dir:
        os.makedirs(svg_dir, exist_ok=True)
    print(f"tls12fast demo: real handshakes over TCP on 127.0.0.1 (backend: {_backend_name()})\n", file=out)
    for number, (title, suite, cache, tickets, offer, expected) in enumerate(scenarios, 1):
        session_cache = MemorySessionCache() if cache else None
        ticket_keys = TicketKeys() if tickets else None
        server_config = ServerConfig([key], cipher_suites=[suite], session_cache=session_cache,
                                     tickets=ticket_keys)
        client_config = ClientConfig(cadata=ca_pem, cipher_suites=[suite], offer_ticket=offer,
                                     session_store=ClientSessionStore() if expected != "full" else None)
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        rounds = 1 if expected == "full" else 2
        errors: list = []
        thread = threading.Thread(target=_serve, args=(listener, server_config, rounds, errors), daemon=True)
        thread.start()
        try:
            conn, events, elapsed = _connect(port, client_config)
            if expected != "full":
                before = _store_counts(session_cache, ticket_keys)
                conn, events, elapsed = _connect(port, client_config, session=conn.session)
        finally:
            thread.join(10)
            listener.close()
        heading = f"── {number}. "
        if conn.resumption != expected:
            unavailable += 1
            print(f"{heading}{title}\n   UNAVAILABLE: the engine answered with a "
                  f"{conn.resumption} handshake instead of {expected}; nothing drawn.\n", file=out)
            continue
        notes = []
        if expected != "full":
            notes = _hello_notes(events) + [_store_note(before, _store_counts(session_cache, ticket_keys))]
        ladder = Ladder(title, events, conn.cipher_suite, conn.extended_master_secret, conn.resumption,
                        elapsed, notes=notes)
        print(heading + render_text(ladder, colour=colour, verbose=verbose), file=out)
        print(file=out)
        if svg_dir:
            path = os.path.join(svg_dir, f"{number}-{expected}-{suite.split('_')[1].lower()}.svg")
            with open(path, "w", encoding="utf-8") as f:
                f.write(render_svg(ladder))
            print(f"   wrote {path}\n", file=out)
    if unavailable:
        print(f"{unavailable} of {len(scenarios)} scenarios unavailable.", file=out)
        return 1
    return 0


def _backend_name() -> str:
    import tls12fast

    return tls12fast.BACKEND


# ---------------------------------------------------------------------------- client

def _parse_target(target: str) -> tuple[str, int]:
    host, sep, port = target.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CliError(f"expected HOST:PORT, got {target!r}")
    return host.strip("[]"), int(port)


def run_client(args, out=None) -> int:
    """`tls12fast client HOST:PORT`: GET /, optionally --resume N times."""
    from .config import ClientConfig
    from .errors import TLSError
    from .io.blocking import TLSSocket
    from .client.connection import ClientConnection
    from .ladder import Ladder, render_text
    from .sessions import ClientSessionStore

    out = out or sys.stdout
    host, port = _parse_target(args.target)
    server_name = args.server_name or host
    try:
        config = ClientConfig(cafile=args.cafile, verify=not args.insecure, check_hostname=not args.insecure,
                              offer_ticket=not args.no_ticket, keylog=args.keylog,
                              session_store=ClientSessionStore())
    except (TLSError, OSError) as exc:
        raise CliError(str(exc)) from None
    session = None
    colour = out.isatty() and not os.environ.get("NO_COLOR")
    for attempt in range(args.resume + 1):
        events: list = []
        config.tracer = events.append
        try:
            sock = socket.create_connection((host, port), timeout=args.timeout)
        except OSError as exc:
            raise CliError(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from None
        start = time.perf_counter()
        try:
            tls = TLSSocket(sock, ClientConnection(config, server_name=server_name, session=session))
            tls.handshake(args.timeout)
            elapsed = time.perf_counter() - start
            with tls:
                tls.send(f"GET {args.path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
                body = bytearray()
                while chunk := tls.recv():
                    body += chunk
        except TLSError as exc:
            sock.close()
            hint = " (try --cafile or --insecure)" if "certificate" in str(exc) else ""
            raise CliError(f"TLS handshake with {host}:{port} failed: {exc}{hint}") from None
        except (OSError, TimeoutError) as exc:
            sock.close()
            raise CliError(f"connection to {host}:{port} failed: {exc}") from None
        conn = tls.conn
        status = bytes(body).split(b"\r\n", 1)[0].decode("latin-1")
        label = "connect" if attempt == 0 else f"resume {attempt}"
        print(f"{label}: {conn.resumption} handshake, {conn.cipher_suite}, EMS "
              f"{'yes' if conn.extended_master_secret else 'no'}, {elapsed * 1000:.1f} ms — {status}", file=out)
        if args.trace:
            ladder = Ladder(f"{host}:{port} ({label})", events, conn.cipher_suite, conn.extended_master_secret,
                            conn.resumption, elapsed)
            print(render_text(ladder, colour=colour, verbose=True) + "\n", file=out)
        session = conn.session
    if not args.resume:
        print(bytes(body).split(b"\r\n\r\n", 1)[-1].decode("utf-8", "replace"), end="", file=out)
    return 0


# ---------------------------------------------------------------------------- main

def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tls12fast", description="A fast TLS 1.2 engine: demo, server, client, bench.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    demo = sub.add_parser("demo", help="draw full and resumed handshakes as message ladders (default)")
    demo.add_argument("--svg", metavar="DIR", help="also write each ladder as an SVG file into DIR")
    demo.add_argument("--verbose", "-v", action="store_true", help="show each message's details")

    server = sub.add_parser("server", help="HTTPS server on 127.0.0.1")
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=8443)
    server.add_argument("--cert", help="PEM certificate chain (default: self-signed, cached)")
    server.add_argument("--key", help="PEM private key")
    server.add_argument("--session-cache", default="memory", metavar="memory|none|redis://…")
    server.add_argument("--ticket-secret-file", metavar="FILE", help="derive ticket keys from this secret")
    server.add_argument("--no-tickets", action="store_true", help="do not issue session tickets")
    server.add_argument("--workers", type=int, default=1, help="SO_REUSEPORT worker processes")
    server.add_argument("--trace", action="store_true", help="print each handshake's ladder")
    server.add_argument("--keylog", metavar="FILE", help="NSS key log file for Wireshark")
    server.add_argument("--handshake-timeout", type=float, default=10.0)

    client = sub.add_parser("client", help="connect, GET /, show the handshake")
    client.add_argument("target", metavar="HOST:PORT")
    client.add_argument("--trace", action="store_true", help="print the message ladder")
    client.add_argument("--resume", type=int, default=0, metavar="N", help="reconnect N times resuming")
    client.add_argument("--no-ticket", action="store_true", help="do not offer session tickets")
    client.add_argument("--keylog", metavar="FILE")
    client.add_argument("--cafile", metavar="FILE", help="trust anchors (default: system store)")
    client.add_argument("--insecure", action="store_true", help="do not verify the certificate")
    client.add_argument("--server-name", help="SNI / verification name (default: HOST)")
    client.add_argument("--path", default="/")
    client.add_argument("--timeout", type=float, default=10.0)

    bench = sub.add_parser("bench", help="compiled vs pure vs stdlib ssl (vs tlslite-ng)")
    bench.add_argument("--quick", action="store_true", help="fewer iterations")
    return parser


def main(argv=None) -> int:
    """Entry point of the `tls12fast` console script."""
    args = build_parser().parse_args(argv)
    command = args.command or "demo"
    try:
        if command == "demo":
            colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
            return run_demo(getattr(args, "svg", None), colour=colour, verbose=getattr(args, "verbose", False))
        if command == "client":
            if args.resume < 0:
                raise CliError("--resume must be >= 0")
            return run_client(args)
        if command == "server":
            from .cli_server import run_server

            return run_server(args)
        from .cli_bench import run_bench

        return run_bench(quick=args.quick)
    except CliError as exc:
        print(f"tls12fast {command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
