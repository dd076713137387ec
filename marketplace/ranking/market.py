"""In-memory market structures shared by the ranking library (column-oriented, NumPy).

Conventions used everywhere in ``marketplace.ranking``:

* times are ``int64`` seconds since the Unix epoch (UTC); local time is Asia/Shanghai (UTC+8,
  no daylight saving), used only for availability and for the bundle's ISO 8601 strings;
* pay is a ``float64`` amount in **yuan** per day, as in the bundle CSV (the database stores
  integer fen: divide by 100 when building these structures);
* lists of codes (skills, certificates) are tuples of strings;
* ids are ``int64`` and are the ids of the source (database or bundle), not row indices.

Nothing here imports Flask or SQLAlchemy; ``marketplace.matching`` builds these from the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

LOCAL_OFFSET_S = 8 * 3600  # Asia/Shanghai
HOURS_PER_WEEK = 168

KINDS: tuple[str, ...] = (
    "impression", "view", "apply", "offer", "hire", "complete", "no_show", "withdraw", "decline",
)
KIND_CODE: dict[str, int] = {k: i for i, k in enumerate(KINDS)}
IMPRESSION, VIEW, APPLY, OFFER, HIRE, COMPLETE, NO_SHOW, WITHDRAW, DECLINE = range(len(KINDS))
#: Graded relevance of an outcome (the best one of a pair counts; a no-show makes the pair 0).
GRADE = {IMPRESSION: 0, VIEW: 1, APPLY: 2, OFFER: 2, WITHDRAW: 2, DECLINE: 2, HIRE: 3,
         COMPLETE: 4, NO_SHOW: 0}
#: Kinds that count as "apply or later" (the worker acted on the shift).
ENGAGED = (APPLY, OFFER, HIRE, COMPLETE, NO_SHOW, WITHDRAW, DECLINE)


def _take(obj, idx):
    """Row-subset every array/list field of a column dataclass."""
    idx = np.asarray(idx)
    if idx.dtype == bool:
        idx = np.flatnonzero(idx)
    out = {}
    for f in fields(obj):
        v = getattr(obj, f.name)
        if isinstance(v, np.ndarray):
            out[f.name] = v[idx]
        elif isinstance(v, list):
            out[f.name] = [v[i] for i in idx]
    return replace(obj, **out)


@dataclass
class Workers:
    worker_id: np.ndarray
    skills: list[tuple[str, ...]]
    certificates: list[tuple[str, ...]]
    lat: np.ndarray  # NaN when unknown
    lon: np.ndarray
    max_commute_km: np.ndarray
    min_daily_pay: np.ndarray  # yuan per day, 0 = no minimum
    origin_province: np.ndarray  # object array of str ("" when unknown)
    registered_at: np.ndarray
    #: (n, 168) bool, local hours of the week (Monday 00:00 = 0); None = always available.
    availability: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.worker_id)

    def subset(self, idx) -> Workers:
        return _take(self, idx)


@dataclass
class Shifts:
    shift_id: np.ndarray
    firm_id: np.ndarray
    category: np.ndarray  # object array of str
    skills: list[tuple[str, ...]]
    certificates: list[tuple[str, ...]]
    lat: np.ndarray
    lon: np.ndarray
    start_at: np.ndarray
    end_at: np.ndarray
    headcount: np.ndarray
    daily_pay: np.ndarray  # yuan per day
    meals: np.ndarray  # bool
    housing: np.ndarray  # bool
    posted_at: np.ndarray
    #: Optional free text (title/description) for the text-similarity feature.
    title: list[str] | None = None

    def __len__(self) -> int:
        return len(self.shift_id)

    def subset(self, idx) -> Shifts:
        return _take(self, idx)


@dataclass
class Events:
    at: np.ndarray
    worker_id: np.ndarray
    shift_id: np.ndarray
    kind: np.ndarray  # int8 codes into KINDS
    position: np.ndarray  # int32, 1-based for impressions, 0 = not set
    # How many identical events a row stands for (1 in logs; serving folds a worker's many
    # impressions of one shift into one row, since features only count them).
    count: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.count is None:
            self.count = np.ones(len(self.at), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.at)

    def subset(self, idx) -> Events:
        return _take(self, idx)

    def before(self, t: int) -> Events:
        return self.subset(self.at < t)

    def sorted(self) -> Events:
        return self.subset(np.lexsort((self.kind, self.at)))

    @staticmethod
    def empty() -> Events:
        return Events(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                      np.zeros(0, np.int8), np.zeros(0, np.int32))

    @staticmethod
    def concat(parts: list[Events]) -> Events:
        if not parts:
            return Events.empty()
        return Events(*(np.concatenate([getattr(p, f.name) for p in parts])
                        for f in fields(Events)))


@dataclass
class Ratings:
    """Stars given after a completed shift; ``by_firm`` True = the firm rated the worker."""

    at: np.ndarray
    worker_id: np.ndarray
    shift_id: np.ndarray
    by_firm: np.ndarray
    stars: np.ndarray

    def before(self, t: int) -> Ratings:
        return _take(self, self.at < t)


@dataclass
class Market:
    workers: Workers
    shifts: Shifts
    events: Events
    ratings: Ratings | None = None
    #: Set by the synthetic generator only: the hidden truth (see generator.Oracle).
    oracle: object | None = field(default=None, repr=False)

    def history_before(self, t: int) -> Market:
        """The same market with only the events (and ratings) strictly before ``t``."""
        return replace(self, events=self.events.before(t),
                       ratings=self.ratings.before(t) if self.ratings is not None else None)


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(a, dtype=np.float64))
                              for a in (lat1, lon1, lat2, lon2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def week_hour(t) -> np.ndarray:
    """Local hour of the week (Monday 00:00 Asia/Shanghai = 0) of epoch seconds ``t``."""
    local_h = (np.asarray(t, dtype=np.int64) + LOCAL_OFFSET_S) // 3600
    # 1970-01-01 was a Thursday: shift so Monday = 0.
    return (local_h + 3 * 24) % HOURS_PER_WEEK


def shift_hour_mask(start_at, end_at) -> np.ndarray:
    """(n, 168) float32: which local hours of the week each shift touches (≤ one week long)."""
    start_at = np.asarray(start_at, dtype=np.int64)
    end_at = np.asarray(end_at, dtype=np.int64)
    n = len(start_at)
    h0 = week_hour(start_at)
    n_hours = np.clip(-(-(end_at - start_at) // 3600), 1, HOURS_PER_WEEK)
    offs = np.arange(HOURS_PER_WEEK)
    mask = offs[None, :] < n_hours[:, None]
    cols = (h0[:, None] + offs[None, :]) % HOURS_PER_WEEK
    out = np.zeros((n, HOURS_PER_WEEK), dtype=np.float32)
    rows = np.broadcast_to(np.arange(n)[:, None], cols.shape)
    out[rows[mask], cols[mask]] = 1.0
    return out
