# NSS key log (SSLKEYLOGFILE format) so Wireshark and friends can decrypt our traffic.
#
# How this works: each line is "<label> <client_random hex> <secret hex>\n"; for TLS 1.2
# the label is CLIENT_RANDOM and the secret is the 48-byte master secret (NSS key log
# format, as written by NSS, OpenSSL and Python's ssl `keylog_filename`). A KeyLogWriter
# appends each line to a file (opened and closed per line under one lock, so concurrent
# connections never interleave lines and no descriptor outlives the write — key logging
# is a debugging aid, not a hot path) or hands each line to a callable. Nothing here
# ever prints a secret in a repr or an exception.
from __future__ import annotations

import os
import threading
from typing import Callable, Union

__all__ = ["KeyLogWriter", "make_keylog"]

KeyLogTarget = Union[str, "os.PathLike[str]", Callable[[str], object]]


class KeyLogWriter:
    """Writes NSS key log lines to a path or a callable.

    Args:
        target: a path (str or PathLike; appended to, created if missing) or a callable
            that receives each line (with its trailing newline).
    """

    def __init__(self, target: KeyLogTarget):
        if isinstance(target, (str, os.PathLike)):
            self._path: str | None = os.fspath(target)
            self._sink: Callable[[str], object] | None = None
        elif callable(target):
            self._path = None
            self._sink = target
        else:
            raise TypeError("key log target must be a path or a callable taking one str")
        self._lock = threading.Lock()

    def log(self, label: str, client_random: bytes, secret: bytes) -> None:
        """Write one line: `label client_random_hex secret_hex`.

        Args:
            label: NSS label, e.g. "CLIENT_RANDOM".
            client_random: ClientHello.random (identifies the connection).
            secret: the secret for that label (the master secret for CLIENT_RANDOM).
        """
        line = f"{label} {bytes(client_random).hex()} {bytes(secret).hex()}\n"
        with self._lock:
            if self._sink is not None:
                self._sink(line)
                return
            with open(self._path, "a", encoding="ascii") as file:
                file.write(line)

    def close(self) -> None:
        """Kept for API symmetry: no file stays open between lines."""

    def __repr__(self) -> str:
        where = repr(self._path) if self._path is not None else "callable"
        return f"<KeyLogWriter {where}>"


def make_keylog(target: KeyLogTarget | KeyLogWriter | None) -> KeyLogWriter | None:
    """Normalise a config's `keylog` value: None, a KeyLogWriter, a path or a callable."""
    if target is None or isinstance(target, KeyLogWriter):
        return target
    return KeyLogWriter(target)
