# A real redis-server for tests: started on 127.0.0.1 on a free port with no persistence,
# ready once it answers PING, killed by its own PID at the end. `kill()` and `restart()`
# let a test take Redis away mid-run (issue 4 item 7: "Redis killed mid-test"). `cache()`
# makes a RedisSessionCache on this server's URL that the fixture closes at the end, so
# no test leaves a redis-py socket for the garbage collector (a ResourceWarning).
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pings(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server child process; `url` stays the same across restart()."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise FileNotFoundError("redis-server")
        self.workdir = workdir
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self._caches: list = []

    def cache(self, **kwargs):
        """A RedisSessionCache on this server, closed by close_caches() (the fixture's end)."""
        from tls12fast.stores.redis import RedisSessionCache

        cache = RedisSessionCache(self.url, **kwargs)
        self._caches.append(cache)
        return cache

    def close_caches(self) -> None:
        while self._caches:
            self._caches.pop().close()

    def start(self, timeout: float = 10.0) -> None:
        log = open(self.workdir / "redis.log", "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--save", "", "--appendonly", "no", "--port", str(self.port),
             "--bind", "127.0.0.1", "--dir", str(self.workdir)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while not _pings(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                text = (self.workdir / "redis.log").read_text(errors="replace")
                raise RuntimeError(f"redis-server did not start on port {self.port}:\n{text}")
            time.sleep(0.01)

    def kill(self) -> None:
        """SIGKILL this server (by its PID) and wait until the port is closed."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def restart(self) -> None:
        """Start a fresh, empty server on the same port (same URL)."""
        self.kill()
        self.start()
