"""Capture real first-flight ClientHello messages into tests/data/client_hello_<peer>.bin.

How this works: for socket clients (openssl s_client, tlslite-ng) the script listens on
127.0.0.1, lets the client connect, reads TLS records (RFC 5246 §6.2.1) until one whole
handshake message is buffered, then closes the connection (the client's handshake fails,
which is expected). The stdlib `ssl` hello is read straight from the outgoing MemoryBIO.
Each file holds the reassembled handshake message (4-byte header + body) exactly as
sent; tests/data/README.md says where each came from. The captures differ on every run
(random, key shares), so regenerating rewrites the files.

Usage: python tools/capture_client_hellos.py [OUTPUT_DIR]
"""
from __future__ import annotations

import os
import socket
import ssl
import struct
import subprocess
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER_NAME = "example.com"


def handshake_message_from_records(data: bytes) -> bytes | None:
    """Reassemble the first handshake message from a stream of TLS records, if complete."""
    msg = b""
    pos = 0
    while len(data) - pos >= 5:
        ctype, _version, length = struct.unpack_from(">BHH", data, pos)
        if len(data) - pos - 5 < length:
            break
        if ctype != 22:
            raise ValueError(f"expected a handshake record, got content type {ctype}")
        msg += data[pos + 5 : pos + 5 + length]
        pos += 5 + length
        if len(msg) >= 4 and len(msg) >= 4 + int.from_bytes(msg[1:4], "big"):
            return msg[: 4 + int.from_bytes(msg[1:4], "big")]
    return None


def _serve_once(start_client) -> bytes:
    """Listen on loopback, run `start_client(port)`, return the first handshake message."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(20)
        stop = start_client(listener.getsockname()[1])
        try:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(20)
                data = b""
                while (msg := handshake_message_from_records(data)) is None:
                    chunk = conn.recv(65536)
                    if not chunk:
                        raise RuntimeError("client closed before sending a whole ClientHello")
                    data += chunk
                return msg
        finally:
            stop()


def capture_openssl(*args: str) -> bytes:
    """`openssl s_client` ClientHello (extra command-line args such as -tls1_2)."""

    def start(port):
        proc = subprocess.Popen(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", SERVER_NAME, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def stop():
            proc.kill()
            proc.wait()

        return stop

    return _serve_once(start)


def capture_stdlib_ssl() -> bytes:
    """Python's `ssl` ClientHello, read from the outgoing MemoryBIO (no socket)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname=SERVER_NAME)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    msg = handshake_message_from_records(outgoing.read())
    if msg is None:
        raise RuntimeError("ssl did not write a whole ClientHello")
    return msg


def capture_tlslite() -> bytes:
    """tlslite-ng ClientHello (default HandshakeSettings, ALPN h2/http1.1)."""
    from tlslite import HandshakeSettings, TLSConnection

    def start(port):
        sock = socket.create_connection(("127.0.0.1", port))

        def run():
            try:
                TLSConnection(sock).handshakeClientCert(
                    serverName=SERVER_NAME, alpn=[b"h2", b"http/1.1"], settings=HandshakeSettings()
                )
            except Exception:  # the server side hangs up after the ClientHello
                pass

        thread = threading.Thread(target=run, daemon=True)
        thread.start()

        def stop():
            sock.close()
            thread.join(10)

        return stop

    return _serve_once(start)


# name -> (how it was captured, which peer version applies, capture function)
CAPTURES = {
    "openssl_tls12": ("`openssl s_client -tls1_2 -servername example.com` (TLS 1.2 only)", "openssl",
                      lambda: capture_openssl("-tls1_2")),
    "openssl_default": ("`openssl s_client -servername example.com` (default: TLS 1.3-capable)", "openssl",
                        capture_openssl),
    "stdlib_ssl": ("Python `ssl.SSLContext(PROTOCOL_TLS_CLIENT)` + MemoryBIO, ALPN h2/http/1.1", "ssl",
                   capture_stdlib_ssl),
    "tlslite": ("tlslite-ng `TLSConnection.handshakeClientCert`, default HandshakeSettings, ALPN h2/http/1.1",
                "tlslite", capture_tlslite),
}


def main(out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    lines = [
        "# Captured ClientHellos",
        "",
        "Real first-flight ClientHello handshake messages (4-byte header + body, reassembled",
        "from the records as sent). Regenerate with `python tools/capture_client_hellos.py`.",
        "",
    ]
    openssl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    versions = {"openssl": openssl, "ssl": f"Python {sys.version.split()[0]}, {ssl.OPENSSL_VERSION}"}
    try:
        import tlslite

        versions["tlslite"] = f"tlslite-ng {tlslite.__version__}"
    except ImportError:
        pass
    for name, (how, peer, capture) in CAPTURES.items():
        msg = capture()
        with open(os.path.join(out_dir, f"client_hello_{name}.bin"), "wb") as f:
            f.write(msg)
        lines.append(f"- `client_hello_{name}.bin` ({len(msg)} bytes): {how}; {versions.get(peer, peer)}.")
        print(f"client_hello_{name}.bin: {len(msg)} bytes")
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "data"))
