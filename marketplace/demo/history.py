"""A few weeks of the event log, consistent with the demo applications.

Kept apart from the loader so that a better synthetic generator (the ranking library's) can
replace it: `generate_history(market, rng, target)` gets plain arrays and returns columns.

Two kinds of events are produced:
- the path of every application: impression (with its position) → view → apply → offer →
  hire → complete / no_show, or withdraw / decline where the application ended that way;
- browsing sessions: a worker opens the feed at some moment of the last weeks and is shown
  up to ten shifts that were open then, viewing a few (more often in their own trade).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("impression", "view", "apply", "offer", "hire", "complete", "no_show", "withdraw",
         "decline")
KIND_CODE = {k: i for i, k in enumerate(KINDS)}
SOURCES = ("feed", "search", "invitation", "api", "direct")
SOURCE_CODE = {s: i for i, s in enumerate(SOURCES)}
SESSION_SLOTS = 14
SHOWN_PER_SESSION = 10


@dataclass
class MarketView:
    """What the history needs to know, as arrays (times are UNIX seconds)."""

    start: int  # the history covers [start, end)
    end: int
    worker_ids: np.ndarray
    worker_category: np.ndarray  # index of the primary category
    shift_ids: np.ndarray
    shift_category: np.ndarray
    shift_posted: np.ndarray
    shift_starts: np.ndarray
    # One entry per application: the furthest step reached and how it ended.
    app_worker: np.ndarray
    app_shift: np.ndarray
    app_created: np.ndarray
    app_source: list[str]
    app_steps: list[tuple[tuple[str, int], ...]]  # (kind, at) after "apply"


@dataclass
class History:
    at: np.ndarray  # int64 UNIX seconds, sorted
    worker_id: np.ndarray
    shift_id: np.ndarray
    kind: np.ndarray  # index into KINDS
    position: np.ndarray  # 0 = none
    source: np.ndarray  # index into SOURCES, -1 = none

    def __len__(self) -> int:
        return len(self.at)


def generate_history(market: MarketView, rng: np.random.Generator, target: int) -> History:
    paths = _application_paths(market, rng)
    needed = max(0, target - len(paths[0]))
    browsing = _browsing_sessions(market, rng, needed)
    columns = [np.concatenate([a, b]) for a, b in zip(paths, browsing, strict=True)]
    order = np.argsort(columns[0], kind="stable")
    return History(*(c[order] for c in columns))


def _application_paths(market: MarketView, rng: np.random.Generator):
    at, worker, shift, kind, position, source = [], [], [], [], [], []
    n = len(market.app_worker)
    lead = rng.integers(300, 7200, size=n)
    glance = rng.integers(10, 300, size=n)
    slot = rng.integers(1, 11, size=n)
    for i in range(n):
        wid, sid, created = int(market.app_worker[i]), int(market.app_shift[i]), \
            int(market.app_created[i])
        src = market.app_source[i]
        if src != "invitation":
            seen = max(created - int(lead[i]), market.start)
            shown_in = "search" if src == "direct" else "feed"
            at += [seen, min(seen + int(glance[i]), created)]
            kind += [KIND_CODE["impression"], KIND_CODE["view"]]
            position += [int(slot[i]), 0]
            source += [SOURCE_CODE[shown_in], SOURCE_CODE[shown_in]]
        at.append(created)
        kind.append(KIND_CODE["apply"])
        position.append(0)
        source.append(SOURCE_CODE[src])
        for step, when in market.app_steps[i]:
            at.append(when)
            kind.append(KIND_CODE[step])
            position.append(0)
            source.append(SOURCE_CODE[src])
        added = len(at) - len(worker)
        worker += [wid] * added
        shift += [sid] * added
    return (np.array(at, dtype=np.int64), np.array(worker, dtype=np.int64),
            np.array(shift, dtype=np.int64), np.array(kind, dtype=np.int16),
            np.array(position, dtype=np.int32), np.array(source, dtype=np.int16))


def _browsing_sessions(market: MarketView, rng: np.random.Generator, needed: int):
    """Feed sessions filling the log up to `needed` events (impressions and views)."""
    empty = (np.empty(0, np.int64),) * 3 + (np.empty(0, np.int16), np.empty(0, np.int32),
                                             np.empty(0, np.int16))
    if needed <= 0 or len(market.shift_ids) == 0 or len(market.worker_ids) == 0:
        return empty
    order = np.argsort(market.shift_starts, kind="stable")
    starts = market.shift_starts[order]
    posted = market.shift_posted[order]
    ids = market.shift_ids[order]
    category = market.shift_category[order]
    # Some workers open the app every day, most now and then.
    activity = rng.gamma(0.6, 1.0, size=len(market.worker_ids))
    activity_cum = np.cumsum(activity / activity.sum())
    chunks: list[tuple] = []
    produced = 0
    while produced < needed:
        sessions = max(64, int((needed - produced) / 7) + 1)
        t = rng.integers(market.start, market.end - 3600, size=sessions)
        who = np.minimum(np.searchsorted(activity_cum, rng.random(sessions)),
                         len(activity_cum) - 1)
        lo = np.searchsorted(starts, t, side="right")
        hi = np.searchsorted(starts, t + 10 * 86400, side="left")
        span = hi - lo
        pick = lo[:, None] + np.floor(rng.random((sessions, SESSION_SLOTS))
                                      * span[:, None]).astype(np.int64)
        pick = np.minimum(pick, len(starts) - 1)
        valid = (span[:, None] > 0) & (posted[pick] <= t[:, None])
        same_trade = category[pick] == market.worker_category[who][:, None]
        valid &= same_trade | (rng.random(pick.shape) < 0.35)
        # Drop a shift drawn twice in one session.
        for j in range(1, SESSION_SLOTS):
            valid[:, j] &= ~np.any((pick[:, :j] == pick[:, j:j + 1]) & valid[:, :j], axis=1)
        rank = np.cumsum(valid, axis=1)
        valid &= rank <= SHOWN_PER_SESSION
        s_idx, slot = np.nonzero(valid)
        pos = rank[s_idx, slot]
        shown_at = t[s_idx] + pos * 2
        wid = market.worker_ids[who[s_idx]]
        sid = ids[pick[s_idx, slot]]
        match = same_trade[s_idx, slot]
        viewed = rng.random(len(s_idx)) < np.where(match, 0.12, 0.03)
        view_at = shown_at[viewed] + rng.integers(5, 180, size=int(viewed.sum()))
        n_imp, n_view = len(s_idx), int(viewed.sum())
        chunks.append((
            np.concatenate([shown_at, view_at]),
            np.concatenate([wid, wid[viewed]]),
            np.concatenate([sid, sid[viewed]]),
            np.concatenate([np.full(n_imp, KIND_CODE["impression"], np.int16),
                            np.full(n_view, KIND_CODE["view"], np.int16)]),
            np.concatenate([pos.astype(np.int32), np.zeros(n_view, np.int32)]),
            np.full(n_imp + n_view, SOURCE_CODE["feed"], np.int16),
        ))
        produced += n_imp + n_view
    columns = [np.concatenate(parts) for parts in zip(*chunks, strict=True)]
    return tuple(c[:needed] for c in columns)
