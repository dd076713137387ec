"""Stored models under MODEL_DIR: train, promote, status, and the process-wide promoted model.

Layout: `<version>.joblib` (the Ranker) and `<version>.json` (its metadata and score) per model,
`promoted.json` naming the model that serves. Every process loads the promoted model once and
loads it again when `promoted.json` changes, so a promotion reaches all workers of a server.
"""

from __future__ import annotations

import json
import math
import os
import threading
from pathlib import Path

from flask import current_app

from marketplace.audit.services import record
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.ranking.model import Ranker

PROMOTED = "promoted.json"


class PromotionRefused(DomainError):
    status = 409
    code = "promotion_refused"


class UnknownModel(DomainError):
    status = 404
    code = "unknown_model"


class NoHistory(DomainError):
    status = 409
    code = "no_history"


def model_dir() -> Path:
    path = Path(current_app.config["MODEL_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def score_of(meta: dict) -> float:
    """The figure promotions compare: NDCG@10 of the chosen apply model on its time-based
    validation split (the newest 15% of the logged feed sessions)."""
    validation = meta.get("validation") or {}
    value = (validation.get("apply_ndcg10") or {}).get(meta.get("apply_model"))
    return float(value) if value is not None and not math.isnan(value) else float("nan")


def train(*, seed: int = 0) -> dict:
    from marketplace.matching.export import full_market

    market = full_market()
    if len(market.events) == 0:
        raise NoHistory("The event log is empty: there is nothing to learn from yet")
    ranker = Ranker(seed=seed).fit(market)
    meta = ranker_meta(ranker)
    directory = model_dir()
    ranker.save(directory / f"{meta['version']}.joblib")
    (directory / f"{meta['version']}.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    record(actor=None, action="ranker.train", target_type="model", target_id=None,
           version=meta["version"], score=meta["score"])
    return meta


def ranker_meta(ranker: Ranker) -> dict:
    from dataclasses import asdict

    meta = asdict(ranker.meta)
    meta.pop("category_median", None)
    meta["score"] = score_of(meta)
    return meta


def stored() -> list[dict]:
    models = []
    for path in sorted(model_dir().glob("*.json")):
        if path.name == PROMOTED:
            continue
        models.append(json.loads(path.read_text(encoding="utf-8")))
    return sorted(models, key=lambda m: m["trained_at"], reverse=True)


def promoted_version() -> str | None:
    path = model_dir() / PROMOTED
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get("version")


def promote(version: str, *, force: bool = False, actor=None) -> dict:
    candidates = {m["version"]: m for m in stored()}
    if version not in candidates:
        raise UnknownModel(f"No stored model {version!r}")
    current = promoted_version()
    new_score = candidates[version]["score"]
    if current and current in candidates and not force:
        old_score = candidates[current]["score"]
        if not (new_score >= old_score) and not math.isnan(old_score):
            raise PromotionRefused(
                f"{version} scores {new_score:.4f}, below the current {current} "
                f"({old_score:.4f}); use --force to promote anyway")
    path = model_dir() / PROMOTED
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"version": version, "promoted_at": utcnow().isoformat(),
                               "forced": force}), encoding="utf-8")
    os.replace(tmp, path)  # atomic: other processes see the old or the new file, never half
    record(actor=actor, action="ranker.promote", target_type="model", target_id=None,
           version=version, previous=current, forced=force)
    return candidates[version]


def status() -> dict:
    version = promoted_version()
    return {"promoted": version, "models": stored()}


class _Loaded:
    """The promoted model of this process, reloaded when promoted.json changes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: tuple | None = None
        self.ranker: Ranker | None = None

    def get(self) -> Ranker | None:
        path = model_dir() / PROMOTED
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if key == self.key:
            return self.ranker
        with self.lock:
            if key != self.key:
                version = json.loads(path.read_text(encoding="utf-8"))["version"]
                self.ranker = Ranker.load(path.parent / f"{version}.joblib")
                self.key = key
        return self.ranker


_loaded = _Loaded()


def current_ranker() -> Ranker | None:
    return _loaded.get()
