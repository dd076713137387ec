"""A small TTL cache (feeds, public listings): Redis when REDIS_URL is set (shared by every
process), else this process's memory. Values are JSON."""

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

    def delete(self, key: str) -> None:
        with self.lock:
            self.data.pop(key, None)

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


def get_text(key: str) -> str | None:
    client = _redis()
    try:
        raw = client.get(key) if client is not None else _local.get(key)
    except Exception:  # a cache outage must never break a page
        current_app.logger.warning("cache unavailable; computing without it")
        return None
    return raw.decode() if isinstance(raw, bytes) else raw


def set_text(key: str, value: str, ttl: int) -> None:
    client = _redis()
    try:
        if client is not None:
            client.set(key, value, ex=ttl)
        else:
            _local.set(key, value, ttl)
    except Exception:
        current_app.logger.warning("cache unavailable; not storing")


def get_json(key: str) -> Any | None:
    raw = get_text(key)
    return json.loads(raw) if raw else None


def set_json(key: str, value: Any, ttl: int) -> None:
    set_text(key, json.dumps(value, separators=(",", ":")), ttl)


def get_many_json(keys: list[str]) -> list[Any | None]:
    """Values for `keys` in order (None where missing), in one round trip to Redis."""
    if not keys:
        return []
    client = _redis()
    try:
        raws = client.mget(keys) if client is not None else [_local.get(k) for k in keys]
    except Exception:
        current_app.logger.warning("cache unavailable; computing without it")
        return [None] * len(keys)
    return [json.loads(raw) if raw else None for raw in raws]


def set_many_json(values: dict[str, Any], ttl: int) -> None:
    client = _redis()
    encoded = {k: json.dumps(v, separators=(",", ":")) for k, v in values.items()}
    try:
        if client is not None:
            with client.pipeline(transaction=False) as pipe:
                for key, value in encoded.items():
                    pipe.set(key, value, ex=ttl)
                pipe.execute()
        else:
            for key, value in encoded.items():
                _local.set(key, value, ttl)
    except Exception:
        current_app.logger.warning("cache unavailable; not storing")


def delete(key: str) -> None:
    client = _redis()
    try:
        if client is not None:
            client.delete(key)
        else:
            _local.delete(key)
    except Exception:
        current_app.logger.warning("cache unavailable; not deleting")


def clear_local() -> None:
    """Empty this process's store (tests that switch caching on start from nothing)."""
    with _local.lock:
        _local.data.clear()
