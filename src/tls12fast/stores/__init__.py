# Session stores that keep resumable TLS 1.2 sessions outside the process (issue 4).
# The in-process stores live in tls12fast.sessions; RedisSessionCache imports redis-py
# only when it is given a URL, so importing this package never needs the redis extra.
from __future__ import annotations

from .redis import RedisSessionCache

__all__ = ["RedisSessionCache"]
