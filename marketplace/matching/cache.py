"""A small TTL cache for ranked feeds: Redis when REDIS_URL is set (shared by every process),
else this process's memory. Values are JSON."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any

from flask import current_app

MAX_LOCAL_ENTRIES = 5000


class _LocalStore:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.data: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def get(self, key: str) -> str | None:
        with self.lock:
            hit = self.data.get(key)
            if hit is None or hit[0] < time.monotonic():
                self.data.pop(key, None)
                return None
            return hit[1]

    def set(self, key: str, value: str, ttl: int) -> None:
        with self.lock:
            self.data[key] = (time.monotonic() + ttl, value)
            self.data.move_to_end(key)
            while len(self.data) > MAX_LOCAL_ENTRIES:
                self.data.popitem(last=False)


_local = _LocalStore()
_redis_clients: dict[str, Any] = {}


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    if url not in _redis_clients:
        import redis

        _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=0.5)
    return _redis_clients[url]


def get_json(key: str) -> Any | None:
    client = _redis()
    try:
        raw = client.get(key) if client is not None else _local.get(key)
    except Exception:  # a cache outage must never break the feed
        current_app.logger.warning("feed cache unavailable; computing without it")
        return None
    return json.loads(raw) if raw else None


def set_json(key: str, value: Any, ttl: int) -> None:
    raw = json.dumps(value, separators=(",", ":"))
    client = _redis()
    try:
        if client is not None:
            client.set(key, raw, ex=ttl)
        else:
            _local.set(key, raw, ttl)
    except Exception:
        current_app.logger.warning("feed cache unavailable; not storing")
