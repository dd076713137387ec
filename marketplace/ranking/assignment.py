"""Batch assignment of workers to shifts ("one-click match").

Choose (worker, shift) pairs among *candidate edges* to maximise the total match score, with

* no shift over its headcount (the seats still open),
* no worker on two shifts whose times overlap (shifts are half-open ``[start, end)``, so a shift
  ending at 12:00 and one starting at 12:00 do not overlap), nor on a shift overlapping one of
  the worker's existing bookings,
* optionally at most ``max_shifts_per_worker`` new shifts per worker (``1`` = one shift each).

Only the edges are ever materialised; there is never a dense workers × seats matrix.

Two exact cases and one general case:

* **One shift per worker**, or more generally when every worker's candidate shifts split into
  groups that overlap completely inside a group and not at all across groups (for example one
  shift a day per worker): a bipartite b-matching. Each shift with ``h`` open seats becomes
  ``min(h, its number of candidates)`` seat nodes, each worker (or worker group) gets a private
  dummy seat so that a full matching always exists, and SciPy's sparse LAPJV
  (:func:`scipy.sparse.csgraph.min_weight_full_bipartite_matching`) solves it exactly.
* **Several non-overlapping shifts per worker**: an integer program whose per-worker
  constraints are the maximal cliques of the worker's interval graph (built with a sweep over
  start/end events), plus the headcount of each shift. Its linear relaxation is solved with
  HiGHS (dual simplex) by column generation: a pruned set of edges first (each worker's and each
  shift's best candidates), then every edge is priced with the duals and the violating edges
  are added until none is left, so the LP bound holds for the *full* edge set. An integral LP
  solution is optimal; a fractional one is fixed where integral, the fractional rest is solved
  as a small MILP (time-limited) or rounded, and a greedy repair and fill step guarantees
  feasibility. The result reports the LP (dual) bound and the gap.

The module is pure NumPy/SciPy: no Flask, no database. ``marketplace.matching`` maps database
ids to the dense indices used here and back.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

__all__ = [
    "AssignmentProblem",
    "AssignmentResult",
    "find_violations",
    "random_problem",
    "solve_assignment",
]

_EPS = 1e-6  # tolerance for "integral" LP values and for reduced costs
_MAX_EXPANDED = 4_000_000  # seat-graph edges above which the exact case uses the LP instead


def _as_times(values: np.ndarray | list) -> np.ndarray:
    """Times as a 1-d numeric array; ``datetime64`` values become int64 nanoseconds."""
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[ns]").astype(np.int64)
    if arr.dtype.kind not in "iuf":
        raise TypeError("times must be numbers (e.g. epoch seconds) or numpy datetime64")
    return arr.astype(np.float64) if arr.dtype.kind == "f" else arr.astype(np.int64)


@dataclass(frozen=True)
class AssignmentProblem:
    """A batch assignment instance given by its candidate edges.

    Attributes:
        worker: ``(E,)`` worker index of each candidate edge (``0 <= worker < n_workers``).
        shift: ``(E,)`` shift index of each candidate edge (``0 <= shift < n_shifts``).
        score: ``(E,)`` match score, higher is better (e.g. the reciprocal score). Edges with a
            score ``<= 0`` never improve the total and are not chosen.
        headcount: ``(S,)`` seats still open on each shift (0 = full).
        start, end: ``(S,)`` shift times, ``start < end``; numbers or ``datetime64``.
        n_workers: number of workers (default: largest worker index + 1).
        booked_worker, booked_start, booked_end: existing bookings of workers; an edge whose
            shift overlaps a booking of the same worker is dropped.
        max_shifts_per_worker: at most this many *new* shifts per worker; ``None`` = as many as
            do not overlap; ``1`` = the classic one-shift-per-worker assignment.
    """

    worker: np.ndarray
    shift: np.ndarray
    score: np.ndarray
    headcount: np.ndarray
    start: np.ndarray
    end: np.ndarray
    n_workers: int | None = None
    booked_worker: np.ndarray | None = None
    booked_start: np.ndarray | None = None
    booked_end: np.ndarray | None = None
    max_shifts_per_worker: int | None = None

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        put("worker", np.asarray(self.worker, dtype=np.int64).ravel())
        put("shift", np.asarray(self.shift, dtype=np.int64).ravel())
        put("score", np.asarray(self.score, dtype=np.float64).ravel())
        put("headcount", np.asarray(self.headcount, dtype=np.int64).ravel())
        put("start", _as_times(self.start).ravel())
        put("end", _as_times(self.end).ravel())
        n_edges, n_shifts = self.worker.size, self.headcount.size
        if self.shift.size != n_edges or self.score.size != n_edges:
            raise ValueError("worker, shift and score must have the same length")
        if self.start.size != n_shifts or self.end.size != n_shifts:
            raise ValueError("headcount, start and end must have one entry per shift")
        if not np.all(self.start < self.end):
            raise ValueError("every shift needs start < end")
        if np.any(self.headcount < 0):
            raise ValueError("headcount cannot be negative")
        if not np.all(np.isfinite(self.score)):
            raise ValueError("scores must be finite")
        n_workers = self.n_workers
        if n_workers is None:
            n_workers = int(self.worker.max()) + 1 if n_edges else 0
        put("n_workers", int(n_workers))
        if n_edges and (self.worker.min() < 0 or self.worker.max() >= self.n_workers):
            raise ValueError("worker index out of range")
        if n_edges and (self.shift.min() < 0 or self.shift.max() >= n_shifts):
            raise ValueError("shift index out of range")
        booked = (self.booked_worker, self.booked_start, self.booked_end)
        if any(b is not None for b in booked):
            if any(b is None for b in booked):
                raise ValueError("give booked_worker, booked_start and booked_end together")
            put("booked_worker", np.asarray(self.booked_worker, dtype=np.int64).ravel())
            put("booked_start", _as_times(self.booked_start).ravel())
            put("booked_end", _as_times(self.booked_end).ravel())
            if not (self.booked_worker.size == self.booked_start.size == self.booked_end.size):
                raise ValueError("booking arrays must have the same length")
        if self.max_shifts_per_worker is not None and self.max_shifts_per_worker < 1:
            raise ValueError("max_shifts_per_worker must be at least 1 (or None)")

    @property
    def n_shifts(self) -> int:
        return int(self.headcount.size)

    @property
    def n_edges(self) -> int:
        return int(self.worker.size)


@dataclass(frozen=True)
class AssignmentResult:
    """The chosen pairs and what limited them.

    Attributes:
        edges: indices of the chosen edges in the problem's edge arrays (sorted).
        worker, shift: worker and shift of each chosen edge.
        total_score: sum of the chosen edges' scores.
        upper_bound: a proven upper bound on the best total (the LP bound, computed from a
            dual-feasible solution over *all* edges); equals ``total_score`` when optimal.
        gap: ``(upper_bound - total_score) / upper_bound`` (0 when the bound is 0).
        optimal: the total is proven optimal (within 1e-9 relative).
        method: ``"matching"``, ``"lp"``, ``"lp+milp"``, ``"lp+rounding"`` or ``"greedy"``.
        full_shifts: shifts filled to their headcount while other candidates were left out
            (the headcount binds).
        overlap_workers: workers who were left out of a candidate shift because it overlaps
            one they got (the no-overlap rule binds).
        limit_workers: workers at ``max_shifts_per_worker`` with candidates left out.
        unfilled_seats: open seats left empty.
        shift_price: LP dual of each shift's headcount (what one more seat would add to the
            total), or ``None`` when the method does not compute it.
        dropped: edges removed before solving, by reason (``duplicate``, ``non_positive``,
            ``no_seats``, ``booked_overlap``).
        seconds: wall-clock solve time.
        stats: sizes and solver details (LP columns, rounds, fractional variables...).
    """

    edges: np.ndarray
    worker: np.ndarray
    shift: np.ndarray
    total_score: float
    upper_bound: float
    gap: float
    optimal: bool
    method: str
    full_shifts: np.ndarray
    overlap_workers: np.ndarray
    limit_workers: np.ndarray
    unfilled_seats: int
    shift_price: np.ndarray | None
    dropped: dict[str, int]
    seconds: float
    stats: dict[str, float | int | str] = field(default_factory=dict)

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """The chosen ``(worker, shift)`` pairs."""
        return list(zip(self.worker.tolist(), self.shift.tolist(), strict=True))


# --------------------------------------------------------------------------------------------
# helpers on interval ranks


def _segment_offsets(counts: np.ndarray) -> np.ndarray:
    """For counts ``[2, 3]`` return ``[0, 1, 0, 1, 2]``: the position inside each segment."""
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


def _overlaps_any(qw: np.ndarray, qa: np.ndarray, qb: np.ndarray, iw: np.ndarray,
                  ia: np.ndarray, ib: np.ndarray, n_times: int) -> np.ndarray:
    """For each query interval ``[qa, qb)`` of worker ``qw``: does it overlap any of the
    intervals ``[ia, ib)`` of the same worker? Times are integer ranks below ``n_times``."""
    if qw.size == 0 or iw.size == 0:
        return np.zeros(qw.size, dtype=bool)
    key = iw * n_times + ia
    order = np.argsort(key, kind="stable")
    key, w_sorted = key[order], iw[order]
    # running maximum of the end inside each worker (keys of later workers are larger)
    end_max = np.maximum.accumulate(iw[order] * n_times + ib[order])
    pos = np.searchsorted(key, qw * n_times + qb, side="left") - 1  # last start < qb
    ok = pos >= 0
    pos = np.where(ok, pos, 0)
    return ok & (w_sorted[pos] == qw) & (end_max[pos] - qw * n_times > qa)


@dataclass
class _Prepared:
    """Edges that survive the filters, with times as integer ranks."""

    edge_id: np.ndarray  # index into the problem's edges
    w: np.ndarray
    s: np.ndarray
    score: np.ndarray
    a: np.ndarray  # start rank of the edge's shift
    b: np.ndarray  # end rank
    cap: np.ndarray  # (S,) open seats
    n_times: int
    dropped: dict[str, int]


def _prepare(problem: AssignmentProblem) -> _Prepared:
    times = [problem.start, problem.end]
    if problem.booked_worker is not None:
        times += [problem.booked_start, problem.booked_end]
    all_times = np.unique(np.concatenate(times)) if problem.n_shifts else np.zeros(0)
    n_times = max(int(all_times.size), 1)
    s_start = np.searchsorted(all_times, problem.start).astype(np.int64)
    s_end = np.searchsorted(all_times, problem.end).astype(np.int64)

    w, s, score = problem.worker, problem.shift, problem.score
    edge_id = np.arange(problem.n_edges, dtype=np.int64)
    dropped = {"duplicate": 0, "non_positive": 0, "no_seats": 0, "booked_overlap": 0}
    # duplicate (worker, shift): keep the best score
    if edge_id.size:
        key = w * max(problem.n_shifts, 1) + s
        order = np.lexsort((-score, key))
        first = np.ones(order.size, dtype=bool)
        first[1:] = key[order][1:] != key[order][:-1]
        keep = np.zeros(edge_id.size, dtype=bool)
        keep[order[first]] = True
        dropped["duplicate"] = int((~keep).sum())
        edge_id = edge_id[keep]
    mask = score[edge_id] > 0
    dropped["non_positive"] = int((~mask).sum())
    edge_id = edge_id[mask]
    mask = problem.headcount[s[edge_id]] > 0
    dropped["no_seats"] = int((~mask).sum())
    edge_id = edge_id[mask]
    if problem.booked_worker is not None and edge_id.size:
        bw = problem.booked_worker
        ba = np.searchsorted(all_times, problem.booked_start).astype(np.int64)
        bb = np.searchsorted(all_times, problem.booked_end).astype(np.int64)
        real = ba < bb
        clash = _overlaps_any(w[edge_id], s_start[s[edge_id]], s_end[s[edge_id]],
                              bw[real], ba[real], bb[real], n_times)
        dropped["booked_overlap"] = int(clash.sum())
        edge_id = edge_id[~clash]
    es = s[edge_id]
    return _Prepared(edge_id=edge_id, w=w[edge_id], s=es, score=score[edge_id],
                     a=s_start[es], b=s_end[es], cap=problem.headcount.copy(),
                     n_times=n_times, dropped=dropped)


def _clique_points(w: np.ndarray, a: np.ndarray, b: np.ndarray,
                   n_times: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximal cliques of each worker's interval graph, by a sweep over the events.

    Returns ``(point_key, lo, hi)``: ``point_key`` (sorted) is ``worker * n_times + t`` for each
    clique point ``t`` (a start that is followed by an end in the worker's event order: the
    intervals alive just after it form a maximal clique); edge ``e`` belongs to the cliques
    ``lo[e]:hi[e]`` (those of its worker with ``a[e] <= t < b[e]``).
    """
    n = w.size
    ev_w = np.concatenate([w, w])
    ev_t = np.concatenate([a, b])
    ev_start = np.concatenate([np.ones(n, np.int8), np.zeros(n, np.int8)])
    order = np.lexsort((ev_start, ev_t, ev_w))  # at equal times ends come before starts
    is_start = ev_start[order]
    point = np.flatnonzero((is_start[:-1] == 1) & (is_start[1:] == 0))
    point_key = ev_w[order][point] * n_times + ev_t[order][point]
    base = w * n_times
    lo = np.searchsorted(point_key, base + a, side="left")
    hi = np.searchsorted(point_key, base + b, side="left")
    return point_key, lo, hi


# --------------------------------------------------------------------------------------------
# exact case: b-matching on the seat graph


def _solve_matching(group: np.ndarray, s: np.ndarray, score: np.ndarray,
                    cap: np.ndarray) -> np.ndarray:
    """Max-weight b-matching: each group takes at most one edge, shift ``j`` at most
    ``cap[j]``. Returns a boolean mask of chosen edges. Exact (LAPJVsp)."""
    n = group.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    groups, row = np.unique(group, return_inverse=True)
    n_rows = groups.size
    n_shifts = cap.size
    seats = np.minimum(cap, np.bincount(s, minlength=n_shifts))
    seat_start = np.cumsum(seats) - seats
    n_seats = int(seats.sum())
    per_edge = seats[s]
    e_idx = np.repeat(np.arange(n, dtype=np.int64), per_edge)
    rows = np.concatenate([row[e_idx], np.arange(n_rows)])
    cols = np.concatenate([seat_start[s][e_idx] + _segment_offsets(per_edge),
                           n_seats + np.arange(n_rows)])
    # a constant added to all of a row's edges (its dummy included) does not change the
    # optimum, since every row is matched exactly once; it keeps every weight non-zero.
    vals = np.concatenate([score[e_idx] + 1.0, np.ones(n_rows)])
    graph = sp.coo_array((vals, (rows, cols)), shape=(n_rows, n_seats + n_rows)).tocsr()
    r, c = min_weight_full_bipartite_matching(graph, maximize=True)
    real = c < n_seats
    # back from (row, seat) to the edge: (row, shift of the seat) is unique after de-duplication
    seat_shift = np.repeat(np.arange(n_shifts, dtype=np.int64), seats)
    key = row * n_shifts + s
    order = np.argsort(key, kind="stable")
    picked = order[np.searchsorted(key[order], r[real] * n_shifts + seat_shift[c[real]])]
    chosen = np.zeros(n, dtype=bool)
    chosen[picked] = True
    return chosen


# --------------------------------------------------------------------------------------------
# general case: LP relaxation by column generation, then integer clean-up


@dataclass
class _Rows:
    """Constraint rows of a (restricted) edge set and what is needed to price other edges."""

    matrix: sp.csr_array
    ub: np.ndarray
    n_clique: int
    clique_used: np.ndarray  # which clique points got a row (size > 1)
    point_key: np.ndarray | None  # clique points (None in one-row-per-worker mode)
    worker_row: np.ndarray | None  # row of each worker (one-per-worker mode), -1 if none
    n_limit: int
    limit_worker: np.ndarray  # workers with a "max shifts" row, in row order
    shift_used: np.ndarray  # (S,) whether the shift has a headcount row
    n_shift_rows: int


def _build_rows(w: np.ndarray, s: np.ndarray, a: np.ndarray, b: np.ndarray, cap: np.ndarray,
                k_left: np.ndarray | None, one_per_worker: bool, n_workers: int,
                n_times: int) -> _Rows:
    n = w.size
    cols_all = np.arange(n, dtype=np.int64)
    point_key = worker_row = None
    if one_per_worker:
        size = np.bincount(w, minlength=n_workers)
        clique_used = size > 1
        worker_row = np.where(clique_used, np.cumsum(clique_used) - 1, -1)
        keep = clique_used[w]
        c_rows, c_cols = worker_row[w[keep]], cols_all[keep]
    else:
        point_key, lo, hi = _clique_points(w, a, b, n_times)
        cnt = hi - lo
        rows = np.repeat(lo, cnt) + _segment_offsets(cnt)
        cols = np.repeat(cols_all, cnt)
        size = np.bincount(rows, minlength=point_key.size)
        clique_used = size > 1
        rid = np.cumsum(clique_used) - 1
        keep = clique_used[rows]
        c_rows, c_cols = rid[rows[keep]], cols[keep]
    n_clique = int(clique_used.sum())
    # "at most k new shifts" rows, only where a worker has more than k candidates
    if k_left is not None and not one_per_worker:
        deg = np.bincount(w, minlength=n_workers)
        limit_worker = np.flatnonzero(deg > k_left)
        lrow = np.full(n_workers, -1)
        lrow[limit_worker] = np.arange(limit_worker.size)
        keep = lrow[w] >= 0
        l_rows, l_cols = n_clique + lrow[w[keep]], cols_all[keep]
        l_ub = k_left[limit_worker].astype(np.float64)
    else:
        limit_worker = np.zeros(0, dtype=np.int64)
        l_rows = l_cols = np.zeros(0, dtype=np.int64)
        l_ub = np.zeros(0)
    n_limit = int(limit_worker.size)
    # headcount rows, only where a shift has more candidates than seats
    sdeg = np.bincount(s, minlength=cap.size)
    shift_used = sdeg > cap
    srow = np.cumsum(shift_used) - 1
    keep = shift_used[s]
    s_rows, s_cols = n_clique + n_limit + srow[s[keep]], cols_all[keep]
    n_rows = n_clique + n_limit + int(shift_used.sum())
    rows = np.concatenate([c_rows, l_rows, s_rows])
    cols = np.concatenate([c_cols, l_cols, s_cols])
    matrix = sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(n_rows, n))
    ub = np.concatenate([np.ones(n_clique), l_ub, cap[shift_used].astype(np.float64)])
    return _Rows(matrix=matrix, ub=ub, n_clique=n_clique, clique_used=clique_used,
                 point_key=point_key, worker_row=worker_row, n_limit=n_limit,
                 limit_worker=limit_worker, shift_used=shift_used,
                 n_shift_rows=int(shift_used.sum()))


def _prices(rows: _Rows, duals: np.ndarray, w: np.ndarray, s: np.ndarray, a: np.ndarray,
            b: np.ndarray, n_workers: int, n_shifts: int,
            n_times: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Dual price of every edge (sum of the duals of the rows it would sit in), the shift
    prices, and the dual objective without the edges' own bound terms."""
    mu = duals[: rows.n_clique]
    nu = duals[rows.n_clique: rows.n_clique + rows.n_limit]
    lam_used = duals[rows.n_clique + rows.n_limit:]
    lam = np.zeros(n_shifts)
    lam[rows.shift_used] = lam_used
    price = lam[s].copy()
    if rows.worker_row is not None:
        mu_w = np.zeros(n_workers)
        used = rows.worker_row >= 0
        mu_w[used] = mu[rows.worker_row[used]]
        price += mu_w[w]
    elif rows.point_key is not None and rows.point_key.size:
        mu_full = np.zeros(rows.point_key.size)
        mu_full[rows.clique_used] = mu
        cum = np.concatenate([[0.0], np.cumsum(mu_full)])
        base = w * n_times
        lo = np.searchsorted(rows.point_key, base + a, side="left")
        hi = np.searchsorted(rows.point_key, base + b, side="left")
        price += cum[hi] - cum[lo]
    if rows.n_limit:
        nu_w = np.zeros(n_workers)
        nu_w[rows.limit_worker] = nu
        price += nu_w[w]
    dual_obj = float(duals @ rows.ub)
    return price, lam, dual_obj


def _initial_columns(w: np.ndarray, s: np.ndarray, score: np.ndarray, cap: np.ndarray,
                     per_worker: int) -> np.ndarray:
    """Each worker's ``per_worker`` best edges and each shift's ``2 * seats + 2`` best."""
    n = w.size
    chosen = np.zeros(n, dtype=bool)
    order = np.lexsort((-score, w))
    rank = _segment_offsets(np.bincount(w))
    chosen[order[rank < per_worker]] = True
    order = np.lexsort((-score, s))
    sdeg = np.bincount(s, minlength=cap.size)
    rank = _segment_offsets(sdeg)
    chosen[order[rank < 2 * cap[s[order]] + 2]] = True
    return chosen


def _greedy_fill(chosen: np.ndarray, order: np.ndarray, prep: _Prepared,
                 k_left: np.ndarray | None, fill: bool = True) -> np.ndarray:
    """Repair and fill: keep the chosen edges that fit, in the given priority order, then
    (with ``fill``) add any other edge, best score first, that still fits. The result is
    always feasible, whatever ``chosen`` was."""
    w, s, a, b = prep.w, prep.s, prep.a, prep.b
    cap = prep.cap.copy()
    limit = None if k_left is None else k_left.copy()
    taken: dict[int, list[tuple[int, int]]] = {}
    result = np.zeros(w.size, dtype=bool)

    def try_take(e: int) -> None:
        j, worker = int(s[e]), int(w[e])
        if cap[j] <= 0 or (limit is not None and limit[worker] <= 0):
            return
        lo, hi = int(a[e]), int(b[e])
        mine = taken.get(worker)
        if mine is not None:
            for x, y in mine:
                if x < hi and lo < y:
                    return
            mine.append((lo, hi))
        else:
            taken[worker] = [(lo, hi)]
        cap[j] -= 1
        if limit is not None:
            limit[worker] -= 1
        result[e] = True

    for e in order[chosen[order]]:
        try_take(int(e))
    if not fill:
        return result
    # fill: only edges that can still fit (vectorised pre-filter), best score first
    cand = ~result & (cap[s] > 0)
    if limit is not None:
        cand &= limit[w] > 0
    idx = np.flatnonzero(cand)
    got = np.flatnonzero(result)
    idx = idx[~_overlaps_any(w[idx], a[idx], b[idx], w[got], a[got], b[got], prep.n_times)]
    for e in idx[np.argsort(-prep.score[idx], kind="stable")]:
        try_take(int(e))
    return result


def _solve_lp(prep: _Prepared, k: int | None, n_workers: int, deadline: float,
              per_worker: int, stats: dict) -> tuple[np.ndarray, float, np.ndarray | None, str]:
    """LP relaxation by column generation, then integer clean-up.

    Returns ``(chosen mask, upper bound, shift prices, method)``."""
    w, s, a, b, score = prep.w, prep.s, prep.a, prep.b, prep.score
    n, n_shifts = w.size, prep.cap.size
    one = k == 1
    k_left = None if k is None else np.full(n_workers, k, dtype=np.int64)
    if n == 0:
        return np.zeros(0, dtype=bool), 0.0, np.zeros(n_shifts), "lp"
    in_lp = _initial_columns(w, s, score, prep.cap, per_worker)
    bound = np.inf
    x_full = np.zeros(n)
    lam = None
    rounds = 0
    lp_ok = False
    while True:
        rounds += 1
        idx = np.flatnonzero(in_lp)
        rows = _build_rows(w[idx], s[idx], a[idx], b[idx], prep.cap, k_left, one, n_workers,
                           prep.n_times)
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            break
        constrained = rows.ub.size > 0
        res = linprog(-score[idx], A_ub=rows.matrix if constrained else None,
                      b_ub=rows.ub if constrained else None, bounds=(0, 1),
                      method="highs-ds", options={"time_limit": remaining})
        if res.status != 0:
            break
        lp_ok = True
        x_full[:] = 0.0
        x_full[idx] = res.x
        duals = np.maximum(-res.ineqlin.marginals, 0.0) if constrained else np.zeros(0)
        price, lam, dual_obj = _prices(rows, duals, w, s, a, b, n_workers, n_shifts,
                                       prep.n_times)
        excess = np.maximum(score - price, 0.0)
        # dual-feasible for the full problem: every edge's bound dual takes its excess
        bound = min(bound, dual_obj + float(excess.sum()))
        lp_value = -float(res.fun)
        violating = (excess > _EPS) & ~in_lp
        stats["lp_columns"] = int(idx.size)
        stats["lp_value"] = lp_value
        if not violating.any() or bound - lp_value <= 1e-9 * max(1.0, abs(bound)) or rounds >= 8:
            break
        in_lp |= violating
    stats["lp_rounds"] = rounds
    if not lp_ok:
        order = np.argsort(-score, kind="stable")
        return _greedy_fill(np.zeros(n, bool), order, prep, k_left), np.inf, None, "greedy"
    frac = (x_full > _EPS) & (x_full < 1 - _EPS)
    stats["lp_fractional"] = int(frac.sum())
    ones = x_full >= 1 - _EPS
    if not frac.any():
        chosen = _greedy_fill(ones, np.argsort(-score, kind="stable"), prep, k_left)
        return chosen, bound, lam, "lp"
    # fix the integral part, solve the fractional rest exactly if time allows, else round
    by_score = np.argsort(-score, kind="stable")
    base = _greedy_fill(ones, by_score, prep, k_left, fill=False)
    residual = _residual_milp(base, frac, prep, k_left, one, n_workers, deadline)
    if residual is not None:
        return _greedy_fill(base | residual, by_score, prep, k_left), bound, lam, "lp+milp"
    order = np.lexsort((-score, -x_full))  # by LP value, then score
    return _greedy_fill(x_full > _EPS, order, prep, k_left), bound, lam, "lp+rounding"


def _residual_milp(base: np.ndarray, frac: np.ndarray, prep: _Prepared,
                   k_left: np.ndarray | None, one: bool, n_workers: int,
                   deadline: float) -> np.ndarray | None:
    """Solve the fractional edges exactly given the fixed ones (time-limited MILP)."""
    remaining = deadline - time.perf_counter()
    if remaining <= 0.05:
        return None
    w, s, a, b = prep.w, prep.s, prep.a, prep.b
    cap = prep.cap - np.bincount(s[base], minlength=prep.cap.size)
    got = np.flatnonzero(base)
    idx = np.flatnonzero(frac & (cap[s] > 0))
    idx = idx[~_overlaps_any(w[idx], a[idx], b[idx], w[got], a[got], b[got], prep.n_times)]
    k_res = None
    if k_left is not None:
        k_res = k_left - np.bincount(w[base], minlength=n_workers)
        idx = idx[k_res[w[idx]] > 0]
    if idx.size == 0:
        return np.zeros(w.size, dtype=bool)
    rows = _build_rows(w[idx], s[idx], a[idx], b[idx], cap, k_res, one, n_workers, prep.n_times)
    constraints = [LinearConstraint(rows.matrix, -np.inf, rows.ub)] if rows.ub.size else []
    res = milp(-prep.score[idx], constraints=constraints, integrality=np.ones(idx.size),
               bounds=Bounds(0, 1), options={"time_limit": remaining, "disp": False})
    if res.x is None:
        return None
    out = np.zeros(w.size, dtype=bool)
    out[idx[res.x > 0.5]] = True
    return out


# --------------------------------------------------------------------------------------------
# public API


def solve_assignment(problem: AssignmentProblem, *, method: str = "auto",
                     time_limit: float = 2.5, lp_columns_per_worker: int = 8) -> AssignmentResult:
    """Choose pairs maximising the total score under the headcount and no-overlap rules.

    Args:
        problem: the instance.
        method: ``"auto"`` (exact matching when the structure allows it, else LP with
            clean-up), ``"matching"`` (raises ``ValueError`` when the structure is not a
            b-matching), ``"lp"`` or ``"greedy"`` (best score first; fast, no optimality).
        time_limit: seconds for the LP/MILP solves; on expiry the best feasible answer found
            so far (at worst the greedy one) is returned with a valid bound. The exact seat
            matching is not interruptible (about 0.4 s for 5,000 workers and 175,000 edges).
        lp_columns_per_worker: edges per worker in the first restricted LP.

    Returns:
        An :class:`AssignmentResult`; its pairs always satisfy every constraint.
    """
    if method not in {"auto", "matching", "lp", "greedy"}:
        raise ValueError(f"unknown method {method!r}")
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    prep = _prepare(problem)
    k = problem.max_shifts_per_worker
    n_workers = problem.n_workers
    stats: dict[str, float | int | str] = {"edges_in": problem.n_edges,
                                           "edges_used": int(prep.w.size)}
    k_left = None if k is None else np.full(n_workers, k, dtype=np.int64)
    shift_price = None
    upper = np.inf

    # Is it a b-matching? One row per worker, or every edge in exactly one maximal clique.
    group = None
    if k == 1:
        group = prep.w
    elif prep.w.size:
        _, lo, hi = _clique_points(prep.w, prep.a, prep.b, prep.n_times)
        if np.all(hi - lo == 1) and k is None:
            group = lo
    if method == "matching" and group is None:
        raise ValueError("not a b-matching: workers can take several overlapping-chain shifts")
    seats = np.minimum(prep.cap, np.bincount(prep.s, minlength=prep.cap.size))
    expanded = int(seats[prep.s].sum()) if prep.s.size else 0
    stats["seat_graph_edges"] = expanded

    if method == "greedy":
        chosen = _greedy_fill(np.zeros(prep.w.size, bool), np.argsort(-prep.score, kind="stable"),
                              prep, k_left)
        used = "greedy"
    elif group is not None and (method == "matching" or
                                (method == "auto" and expanded <= _MAX_EXPANDED)):
        chosen = _solve_matching(group, prep.s, prep.score, prep.cap)
        upper = float(prep.score[chosen].sum())
        used = "matching"
    else:
        chosen, upper, shift_price, used = _solve_lp(prep, k, n_workers, deadline,
                                                     lp_columns_per_worker, stats)

    total = float(prep.score[chosen].sum())
    if not np.isfinite(upper):
        upper = _simple_bound(prep, k)
    upper = max(upper, total)
    gap = (upper - total) / upper if upper > 0 else 0.0
    full, overlap, limit = _binding(prep, chosen, k)
    edges = np.sort(prep.edge_id[chosen])
    return AssignmentResult(
        edges=edges, worker=problem.worker[edges], shift=problem.shift[edges],
        total_score=total, upper_bound=upper, gap=gap,
        optimal=used == "matching" or gap <= 1e-9,
        method=used, full_shifts=full, overlap_workers=overlap, limit_workers=limit,
        unfilled_seats=int(problem.headcount.sum() - chosen.sum()),
        shift_price=shift_price, dropped=prep.dropped,
        seconds=time.perf_counter() - t0, stats=stats)


def _simple_bound(prep: _Prepared, k: int | None) -> float:
    """A cheap valid upper bound: each shift's best ``headcount`` scores (and, with a
    per-worker limit, each worker's best ``k`` scores), whichever is smaller."""
    if prep.w.size == 0:
        return 0.0

    def top(group: np.ndarray, limit: np.ndarray) -> float:
        order = np.lexsort((-prep.score, group))
        rank = _segment_offsets(np.bincount(group))
        return float(prep.score[order][rank < limit[group[order]]].sum())

    bound = top(prep.s, prep.cap)
    if k is not None:
        bound = min(bound, top(prep.w, np.full(int(prep.w.max()) + 1, k)))
    return bound


def _binding(prep: _Prepared, chosen: np.ndarray,
             k: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which constraints bind: full shifts, workers blocked by overlap, workers at the limit."""
    n_shifts = prep.cap.size
    left_out = ~chosen
    filled = np.bincount(prep.s[chosen], minlength=n_shifts)
    at_cap = (filled >= prep.cap) & (prep.cap > 0)
    has_other = np.bincount(prep.s[left_out], minlength=n_shifts) > 0
    full = np.flatnonzero(at_cap & has_other)
    got = np.flatnonzero(chosen)
    out = np.flatnonzero(left_out)
    hit = _overlaps_any(prep.w[out], prep.a[out], prep.b[out], prep.w[got], prep.a[got],
                        prep.b[got], prep.n_times)
    overlap = np.unique(prep.w[out[hit]])
    limit = np.zeros(0, dtype=np.int64)
    if k is not None:
        count = np.bincount(prep.w[got], minlength=int(prep.w.max(initial=-1)) + 1)
        limit = np.intersect1d(np.flatnonzero(count >= k), prep.w[out])
    return full, overlap, limit


def find_violations(problem: AssignmentProblem, edges: np.ndarray) -> list[str]:
    """Human-readable list of the rules that a set of chosen edge indices breaks (empty when
    feasible): headcount, overlaps (with each other or with bookings), the per-worker limit,
    and duplicate pairs."""
    edges = np.asarray(edges, dtype=np.int64)
    problems: list[str] = []
    w, s = problem.worker[edges], problem.shift[edges]
    pairs = set()
    for worker, shift in zip(w.tolist(), s.tolist(), strict=True):
        if (worker, shift) in pairs:
            problems.append(f"pair ({worker}, {shift}) chosen twice")
        pairs.add((worker, shift))
    count = np.bincount(s, minlength=problem.n_shifts)
    for j in np.flatnonzero(count > problem.headcount):
        problems.append(f"shift {j}: {count[j]} > headcount {problem.headcount[j]}")
    by_worker: dict[int, list[int]] = {}
    for worker, shift in zip(w.tolist(), s.tolist(), strict=True):
        by_worker.setdefault(worker, []).append(shift)
    k = problem.max_shifts_per_worker
    for worker, shifts in by_worker.items():
        if k is not None and len(shifts) > k:
            problems.append(f"worker {worker}: {len(shifts)} shifts > {k}")
        iv = sorted((problem.start[j], problem.end[j], j) for j in shifts)
        for (_, e1, j1), (s2, _, j2) in itertools.pairwise(iv):
            if s2 < e1:
                problems.append(f"worker {worker}: shifts {j1} and {j2} overlap")
    if problem.booked_worker is not None:
        for bw, ba, bb in zip(problem.booked_worker.tolist(), problem.booked_start.tolist(),
                              problem.booked_end.tolist(), strict=True):
            for j in by_worker.get(bw, []):
                if ba < problem.end[j] and problem.start[j] < bb:
                    problems.append(f"worker {bw}: shift {j} overlaps a booking")
    return problems


def random_problem(n_workers: int, n_shifts: int, *, seats: int | None = None,
                   edges_per_worker: tuple[int, int] = (20, 50), days: int = 7,
                   max_shifts_per_worker: int | None = None,
                   seed: int = 0) -> AssignmentProblem:
    """A synthetic instance for tests and benchmarks: shifts over ``days`` days starting at
    typical hours (6:00-22:00) for 4-12 hours, headcounts summing to about ``seats`` (default
    ``n_workers``), each worker with a random number of distinct candidate shifts in
    ``edges_per_worker`` and uniform random scores in (0, 1]."""
    rng = np.random.default_rng(seed)
    seats = n_workers if seats is None else seats
    mean_extra = max(seats / max(n_shifts, 1) - 1.0, 0.0)
    headcount = 1 + rng.poisson(mean_extra, n_shifts)
    day = rng.integers(0, days, n_shifts)
    hour = rng.choice(np.array([6, 7, 8, 9, 13, 14, 18, 20, 22]), n_shifts)
    hours = rng.choice(np.array([4, 6, 8, 10, 12]), n_shifts)
    start = (day * 24 + hour) * 3600
    end = start + hours * 3600
    lo, hi = edges_per_worker
    deg = np.minimum(rng.integers(lo, hi + 1, n_workers), n_shifts)
    worker = np.repeat(np.arange(n_workers), deg)
    shift = np.concatenate([np.zeros(0, np.int64)]
                           + [rng.choice(n_shifts, d, replace=False) for d in deg])
    score = 1.0 - rng.random(worker.size)  # (0, 1]
    return AssignmentProblem(worker=worker, shift=shift.astype(np.int64), score=score,
                             headcount=headcount, start=start, end=end, n_workers=n_workers,
                             max_shifts_per_worker=max_shifts_per_worker)
