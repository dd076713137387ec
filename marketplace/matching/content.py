"""Transparent content score for (worker, shift) pairs, vectorised with NumPy.

Used for the feed until a trained model is promoted, and as the cold-start fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    lat1_r, lon1_r = np.radians(lat1), np.radians(lon1)
    lat2_r, lon2_r = np.radians(lat2), np.radians(lon2)
    a = (np.sin((lat2_r - lat1_r) / 2) ** 2
         + np.cos(lat1_r) * np.cos(lat2_r) * np.sin((lon2_r - lon1_r) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass
class WorkerView:
    lat: float | None
    lon: float | None
    commute_radius_km: float
    min_daily_pay_fen: int
    skills: frozenset[str]
    out_of_province: bool


@dataclass
class ShiftBatch:
    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    daily_pay_fen: np.ndarray  # NaN for piece-rate shifts
    meals: np.ndarray
    housing: np.ndarray
    skills: list[frozenset[str]]


@dataclass
class Scored:
    score: np.ndarray
    distance_km: np.ndarray
    skills_matched: np.ndarray
    skills_required: np.ndarray
    pay_ratio: np.ndarray


WEIGHTS = {"skills": 0.40, "distance": 0.25, "pay": 0.25, "amenities": 0.10}


def content_scores(worker: WorkerView, batch: ShiftBatch) -> Scored:
    n = len(batch.ids)
    if worker.lat is None or worker.lon is None:
        distance = np.full(n, np.nan)
        distance_score = np.full(n, 0.5)
    else:
        distance = haversine_km(worker.lat, worker.lon, batch.lat, batch.lon)
        distance_score = np.clip(1.0 - distance / max(worker.commute_radius_km, 1.0), 0.0, 1.0)
    required = np.fromiter((len(s) for s in batch.skills), dtype=float, count=n)
    matched = np.fromiter((len(s & worker.skills) for s in batch.skills), dtype=float, count=n)
    skill_score = np.where(required > 0, matched / np.maximum(required, 1), 0.6)
    wish = max(worker.min_daily_pay_fen, 1)
    pay_ratio = batch.daily_pay_fen / wish  # NaN for piece rates: not comparable with a day
    pay_score = np.where(np.isnan(pay_ratio), 0.5,
                         np.clip((np.nan_to_num(pay_ratio) - 0.8) / 0.8, 0.0, 1.0))
    amenities = (batch.meals.astype(float) + batch.housing.astype(float)) / 2
    # Housing and meals matter most to workers far from home.
    amenities = amenities * (1.0 if worker.out_of_province else 0.3)
    score = (WEIGHTS["skills"] * skill_score + WEIGHTS["distance"] * distance_score
             + WEIGHTS["pay"] * pay_score + WEIGHTS["amenities"] * amenities)
    return Scored(score, distance, matched, required, pay_ratio)


def reasons_for(i: int, s: Scored, worker: WorkerView, batch: ShiftBatch) -> list[tuple[str, dict]]:
    """Plain reasons as (message key, parameters); the UI words them in the user's language."""
    reasons: list[tuple[str, dict]] = []
    if s.skills_required[i] > 0:
        reasons.append(("skills", {"matched": int(s.skills_matched[i]),
                                   "required": int(s.skills_required[i])}))
    if not np.isnan(s.distance_km[i]):
        reasons.append(("distance", {"km": round(float(s.distance_km[i]), 1)}))
    if worker.min_daily_pay_fen > 0 and not np.isnan(s.pay_ratio[i]):
        pct = round((float(s.pay_ratio[i]) - 1) * 100)
        reasons.append(("pay_above" if pct >= 0 else "pay_below", {"pct": abs(pct)}))
    if worker.out_of_province and batch.housing[i]:
        reasons.append(("housing", {}))
    elif batch.meals[i]:
        reasons.append(("meals", {}))
    return reasons
