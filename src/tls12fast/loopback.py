# In-memory loopback: two TLS endpoints driven against each other with no sockets.
#
# How this works: pump() moves what each sans-IO Connection has to send into the other
# until both go quiet. memory_handshake() builds two ssl.SSLObject-style endpoints (stdlib
# ssl, or tls12fast.SSLContext.wrap_bio()) over four ssl.MemoryBIOs and calls
# do_handshake() on each in turn, carrying the bytes across after every round, until both
# have finished. Both stop after `max_rounds` rounds, so a stuck exchange ends instead of
# spinning. `tls12fast bench`, bench/, tools/soak.py, the fuzz targets and the tests use
# them; so can an application's own tests.
from __future__ import annotations

import ssl

__all__ = ["memory_handshake", "pump"]


def pump(client, server, max_rounds: int = 10) -> bool:
    """Move bytes between two sans-IO Connections until neither has anything to send.

    Returns False if they were still talking after `max_rounds` rounds. A TLSError from
    receive_data() propagates (the alert it queued stays in that side's data_to_send()).
    """
    for _ in range(max_rounds):
        to_server = client.data_to_send()
        if to_server:
            server.receive_data(to_server)
        to_client = server.data_to_send()
        if to_client:
            client.receive_data(to_client)
        if not to_server and not to_client:
            return True
    return False


def memory_handshake(client_context, server_context, *, session=None,
                     server_hostname: str | None = "localhost", max_rounds: int = 10):
    """Handshake a client and a server SSLObject over MemoryBIOs.

    Returns (client, server, bios) with bios = (client_in, client_out, server_in,
    server_out): write one side's *_out into the other's *_in to carry later records.

    Raises:
        ssl.SSLError (or a subclass) from either side's do_handshake();
        RuntimeError: the handshake had not finished after `max_rounds` rounds.
    """
    bios = client_in, client_out, server_in, server_out = tuple(ssl.MemoryBIO() for _ in range(4))
    client = client_context.wrap_bio(client_in, client_out, server_hostname=server_hostname,
                                     session=session)
    server = server_context.wrap_bio(server_in, server_out, server_side=True)
    unfinished = [client, server]
    for _ in range(max_rounds):
        for endpoint in tuple(unfinished):
            try:
                endpoint.do_handshake()
                unfinished.remove(endpoint)
            except ssl.SSLWantReadError:
                pass
        server_in.write(client_out.read())
        client_in.write(server_out.read())
        if not unfinished:
            return client, server, bios
    raise RuntimeError(f"the in-memory handshake had not finished after {max_rounds} rounds")
