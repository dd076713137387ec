"""Batch assignment: optimality against exhaustive search on small instances, the constraints
on large ones, and the edge cases."""

from __future__ import annotations

import dataclasses
import functools
import itertools

import numpy as np
import pytest

from marketplace.ranking.assignment import (
    AssignmentProblem,
    find_violations,
    random_problem,
    solve_assignment,
)

# --------------------------------------------------------------------------------------------
# an independent exhaustive search and an independent feasibility check


def brute_force(p: AssignmentProblem) -> float:
    """Best total over *all* feasible assignments: every worker tries every subset of its
    candidate shifts that is pairwise non-overlapping, clear of its bookings and within the
    per-worker limit; the seats left are carried from worker to worker (memoised)."""
    best_pair: dict[tuple[int, int], float] = {}
    for w, s, sc in zip(p.worker.tolist(), p.shift.tolist(), p.score.tolist(), strict=True):
        best_pair[(w, s)] = max(best_pair.get((w, s), -np.inf), sc)
    start, end = p.start.tolist(), p.end.tolist()
    bookings: dict[int, list[tuple[float, float]]] = {}
    if p.booked_worker is not None:
        for w, a, b in zip(p.booked_worker.tolist(), p.booked_start.tolist(),
                           p.booked_end.tolist(), strict=True):
            bookings.setdefault(w, []).append((a, b))

    def overlap(a1, b1, a2, b2) -> bool:
        return a1 < b2 and a2 < b1

    workers = sorted({w for w, _ in best_pair})
    options: list[list[tuple[tuple[int, ...], float]]] = []
    for w in workers:
        shifts = sorted(s for ww, s in best_pair if ww == w)
        opts = []
        for r in range(len(shifts) + 1):
            if p.max_shifts_per_worker is not None and r > p.max_shifts_per_worker:
                break
            for subset in itertools.combinations(shifts, r):
                if any(overlap(start[i], end[i], start[j], end[j])
                       for i, j in itertools.combinations(subset, 2)):
                    continue
                if any(overlap(start[j], end[j], a, b)
                       for j in subset for a, b in bookings.get(w, [])):
                    continue
                opts.append((subset, sum(best_pair[(w, j)] for j in subset)))
        options.append(opts)

    @functools.cache
    def best(i: int, seats: tuple[int, ...]) -> float:
        if i == len(workers):
            return 0.0
        value = -np.inf
        for subset, gain in options[i]:
            if all(seats[j] > 0 for j in subset):
                left = list(seats)
                for j in subset:
                    left[j] -= 1
                value = max(value, gain + best(i + 1, tuple(left)))
        return value

    return best(0, tuple(p.headcount.tolist()))


def check_feasible(p: AssignmentProblem, result) -> None:
    """Every chosen pair is an input edge, no shift over its headcount, no worker on two
    overlapping shifts or on a shift overlapping a booking, the per-worker limit holds."""
    edges = result.edges
    assert len(set(edges.tolist())) == edges.size
    assert np.all((edges >= 0) & (edges < p.n_edges))
    assert np.array_equal(result.worker, p.worker[edges])
    assert np.array_equal(result.shift, p.shift[edges])
    assert len(set(result.pairs)) == len(result.pairs)
    seats = np.bincount(result.shift, minlength=p.n_shifts)
    assert np.all(seats <= p.headcount)
    by_worker: dict[int, list[int]] = {}
    for w, s in result.pairs:
        by_worker.setdefault(w, []).append(s)
    for w, shifts in by_worker.items():
        if p.max_shifts_per_worker is not None:
            assert len(shifts) <= p.max_shifts_per_worker
        for i, j in itertools.combinations(shifts, 2):
            assert not (p.start[i] < p.end[j] and p.start[j] < p.end[i]), (w, i, j)
    if p.booked_worker is not None:
        for w, a, b in zip(p.booked_worker, p.booked_start, p.booked_end, strict=True):
            for j in by_worker.get(int(w), []):
                assert not (a < p.end[j] and p.start[j] < b)
    assert result.total_score == pytest.approx(float(p.score[edges].sum()), abs=1e-9)
    assert result.upper_bound >= result.total_score - 1e-9


def small_instance(rng: np.random.Generator) -> AssignmentProblem:
    n_workers = int(rng.integers(1, 7))
    n_shifts = int(rng.integers(1, 5))
    start = rng.integers(0, 10, n_shifts)
    end = start + rng.integers(1, 6, n_shifts)  # integer hours: overlaps and touching ends
    headcount = rng.choice([0, 1, 1, 1, 2], n_shifts)  # mostly one seat: contention
    density = rng.uniform(0.4, 1.0)
    pairs = [(w, s) for w in range(n_workers) for s in range(n_shifts) if rng.random() < density]
    if pairs and rng.random() < 0.2:  # duplicate edges with other scores
        pairs += [pairs[int(i)] for i in rng.integers(0, len(pairs), 2)]
    worker = np.array([w for w, _ in pairs], dtype=np.int64)
    shift = np.array([s for _, s in pairs], dtype=np.int64)
    kind = rng.random()
    if kind < 0.25:  # ties
        score = rng.integers(1, 4, len(pairs)) / 2.0
    elif kind < 0.35:  # some worthless edges
        score = rng.uniform(-0.5, 1.0, len(pairs))
    else:
        score = rng.random(len(pairs))
    booked = {}
    if rng.random() < 0.3:
        bw = rng.integers(0, n_workers, 2)
        ba = rng.integers(0, 12, 2)
        booked = dict(booked_worker=bw, booked_start=ba, booked_end=ba + rng.integers(1, 4, 2))
    k = [None, None, 1, 2][int(rng.integers(0, 4))]
    return AssignmentProblem(worker=worker, shift=shift, score=score, headcount=headcount,
                             start=start, end=end, n_workers=n_workers + int(rng.integers(0, 2)),
                             max_shifts_per_worker=k, **booked)


@pytest.mark.parametrize("seed", range(6))
def test_optimal_against_exhaustive_search(seed):
    rng = np.random.default_rng(1000 + seed)
    methods_seen = set()
    for _ in range(60):
        p = small_instance(rng)
        expected = brute_force(p)
        for method in ("auto", "lp"):
            result = solve_assignment(p, method=method)
            check_feasible(p, result)
            assert result.total_score == pytest.approx(expected, abs=1e-9), (method, p)
            assert result.upper_bound == pytest.approx(expected, abs=1e-6)
            methods_seen.add(result.method)
        greedy = solve_assignment(p, method="greedy")
        check_feasible(p, greedy)
        assert greedy.total_score <= expected + 1e-9
        assert greedy.upper_bound >= expected - 1e-9  # the cheap bound is still a bound
    assert {"matching", "lp"} <= methods_seen


def test_fractional_lp_is_cleaned_up_and_bound_reported():
    """An odd cycle of conflicts: the LP takes every edge at 1/2 (value 3.5), the best
    assignment is worth 3. Shifts X, Y, Z, V with one seat each; worker 0 wants X, Y, V
    (X overlaps Y and V, Y and V do not overlap), worker 1 wants Y and Z (overlapping), worker 2
    wants Z and V (overlapping)."""
    start = np.array([15, 0, 10, 30])  # X, Y, Z, V (tenths of an hour)
    end = np.array([35, 20, 40, 60])
    worker = np.array([0, 0, 0, 1, 1, 2, 2])
    shift = np.array([0, 1, 3, 1, 2, 2, 3])
    p = AssignmentProblem(worker=worker, shift=shift, score=np.ones(7), headcount=np.ones(4),
                          start=start, end=end)
    assert brute_force(p) == 3.0
    result = solve_assignment(p)
    check_feasible(p, result)
    assert result.total_score == 3.0
    assert result.stats["lp_fractional"] > 0
    assert result.method == "lp+milp"
    assert result.upper_bound == pytest.approx(3.5)
    assert result.gap == pytest.approx(0.5 / 3.5)
    assert not result.optimal
    # without time for the MILP the rounding and repair still give a feasible answer
    rounded = solve_assignment(p, time_limit=1e-9)
    check_feasible(p, rounded)
    assert rounded.upper_bound >= 3.0


@pytest.mark.parametrize("k", [None, 1, 2])
def test_large_instance_respects_every_constraint(k):
    p = random_problem(2000, 800, seats=2000, edges_per_worker=(5, 25), days=3,
                       max_shifts_per_worker=k, seed=7)
    result = solve_assignment(p)
    check_feasible(p, result)
    assert find_violations(p, result.edges) == []
    assert result.method == ("matching" if k == 1 else "lp")
    assert result.gap <= 0.01
    assert result.unfilled_seats == p.headcount.sum() - result.edges.size
    # the greedy answer is feasible too, and not better than the proven optimum
    greedy = solve_assignment(p, method="greedy")
    check_feasible(p, greedy)
    assert greedy.total_score <= result.upper_bound + 1e-6


def test_large_instance_with_bookings_and_lp_for_one_shift_each():
    p = random_problem(2000, 800, seats=2000, edges_per_worker=(5, 25), days=3, seed=3)
    rng = np.random.default_rng(3)
    bw = rng.integers(0, 2000, 500)
    ba = rng.integers(0, 3 * 24, 500) * 3600
    p = dataclasses.replace(p, booked_worker=bw, booked_start=ba, booked_end=ba + 8 * 3600,
                            max_shifts_per_worker=1)
    matching = solve_assignment(p)
    lp = solve_assignment(p, method="lp")
    for result in (matching, lp):
        check_feasible(p, result)
    assert matching.dropped["booked_overlap"] > 0
    # both solve the same b-matching exactly
    assert lp.total_score == pytest.approx(matching.total_score, rel=1e-9)
    assert lp.upper_bound >= matching.total_score - 1e-6
    assert lp.shift_price is not None and np.all(lp.shift_price >= 0)


# --------------------------------------------------------------------------------------------
# edge cases


def make(worker, shift, score, headcount, start, end, **kw) -> AssignmentProblem:
    return AssignmentProblem(worker=np.array(worker, dtype=np.int64),
                             shift=np.array(shift, dtype=np.int64), score=np.array(score, float),
                             headcount=np.array(headcount), start=np.array(start),
                             end=np.array(end), **kw)


@pytest.mark.parametrize("method", ["auto", "lp", "greedy"])
def test_no_edges(method):
    p = make([], [], [], [2, 1], [0, 5], [4, 9], n_workers=3)
    result = solve_assignment(p, method=method)
    assert result.pairs == []
    assert result.total_score == 0.0 and result.upper_bound == 0.0 and result.gap == 0.0
    assert result.unfilled_seats == 3
    assert result.full_shifts.size == 0


def test_shift_with_no_seats_left_and_worker_without_edges():
    # worker 1 has no edges; shift 0 is already full
    p = make([0, 2, 2], [0, 0, 1], [0.9, 0.8, 0.3], [0, 1], [0, 0], [8, 8], n_workers=3)
    result = solve_assignment(p)
    assert result.pairs == [(2, 1)]
    assert result.dropped["no_seats"] == 2
    assert 0 not in result.full_shifts  # headcount 0 was never "filled" by this batch


def test_overlap_and_headcount_bind_and_are_reported():
    # shifts 0 [8,16) and 1 [12,20) overlap, shift 2 [16,24) touches shift 0 only at 16:00
    p = make([0, 0, 0, 1, 1], [0, 1, 2, 0, 1], [0.9, 0.8, 0.7, 0.5, 0.6], [1, 1, 1],
             [8, 12, 16], [16, 20, 24])
    result = solve_assignment(p)
    assert sorted(result.pairs) == [(0, 0), (0, 2), (1, 1)]  # 0.9 + 0.7 + 0.6
    assert result.total_score == pytest.approx(2.2)
    assert result.optimal
    assert set(result.full_shifts.tolist()) == {0, 1}  # both had another candidate left out
    assert set(result.overlap_workers.tolist()) == {0, 1}


def test_one_shift_each_prefers_the_best_total_not_the_best_edge():
    # greedy would give worker 0 shift 0 (0.9) and leave worker 1 with nothing: 0.9;
    # the optimum is 0.8 + 0.7 = 1.5
    p = make([0, 0, 1], [0, 1, 0], [0.9, 0.8, 0.7], [1, 1], [0, 100], [10, 110],
             max_shifts_per_worker=1)
    result = solve_assignment(p)
    assert result.method == "matching"
    assert sorted(result.pairs) == [(0, 1), (1, 0)]
    assert solve_assignment(p, method="greedy").total_score == pytest.approx(0.9)
    assert result.limit_workers.tolist() == [0]  # "one shift each" kept worker 0 off shift 0
    assert result.full_shifts.tolist() == [0]  # shift 0's seat went to worker 1
    p2 = dataclasses.replace(p, headcount=np.array([2, 1]))
    result2 = solve_assignment(p2)
    assert sorted(result2.pairs) == [(0, 0), (1, 0)]  # 0.9 + 0.7
    assert result2.total_score == pytest.approx(1.6)
    assert result2.full_shifts.tolist() == []
    assert result2.unfilled_seats == 1


def test_ties_give_a_maximum_number_of_pairs():
    # equal scores: any optimum fills as many seats as possible
    p = make([0, 0, 1, 2, 2, 3], [0, 1, 0, 1, 2, 2], [1.0] * 6, [1, 1, 1], [0, 0, 0],
             [8, 8, 8])
    result = solve_assignment(p)
    check_feasible(p, result)
    assert result.total_score == 3.0 == brute_force(p)


def test_duplicates_keep_the_best_score_and_worthless_edges_are_skipped():
    p = make([0, 0, 1], [0, 0, 0], [0.2, 0.7, -0.1], [2], [0], [5])
    result = solve_assignment(p)
    assert result.edges.tolist() == [1]
    assert result.dropped["duplicate"] == 1 and result.dropped["non_positive"] == 1


def test_day_shifts_are_a_matching_even_with_several_shifts_per_worker():
    # two days, each day's shifts overlap, days do not: exact seat matching, one per day
    start = np.array([8, 9, 32, 33])
    p = make([0, 0, 0, 0, 1, 1], [0, 1, 2, 3, 0, 2], [0.5, 0.6, 0.7, 0.4, 0.9, 0.8],
             [1, 1, 1, 1], start, start + 8)
    result = solve_assignment(p, method="matching")
    assert sorted(result.pairs) == [(0, 1), (0, 3), (1, 0), (1, 2)]
    assert result.total_score == pytest.approx(brute_force(p))
    overlapping = make([0, 0, 0], [0, 1, 2], [1, 1, 1], [1, 1, 1], [0, 5, 9], [6, 10, 14])
    with pytest.raises(ValueError, match="b-matching"):
        solve_assignment(overlapping, method="matching")


def test_bookings_and_datetime64_times():
    t0 = np.datetime64("2025-03-01T08:00")
    start = np.array([t0, t0 + np.timedelta64(24, "h")])
    end = start + np.timedelta64(9, "h")
    p = make([0, 0, 1], [0, 1, 1], [0.9, 0.5, 0.4], [1, 1], start, end,
             booked_worker=np.array([0]), booked_start=np.array([t0 + np.timedelta64(4, "h")]),
             booked_end=np.array([t0 + np.timedelta64(6, "h")]))
    result = solve_assignment(p)
    assert result.pairs == [(0, 1)]  # shift 0 clashes with worker 0's booking
    assert result.dropped["booked_overlap"] == 1
    assert find_violations(p, result.edges) == []


def test_find_violations_reports_each_rule():
    p = make([0, 0, 1, 0], [0, 1, 0, 2], [1, 1, 1, 1], [1, 1, 1], [0, 4, 20], [8, 12, 30],
             booked_worker=[0], booked_start=[25], booked_end=[26], max_shifts_per_worker=2)
    text = " | ".join(find_violations(p, np.array([0, 1, 2, 3])))
    assert "headcount" in text
    assert "overlap" in text and "booking" in text
    assert "3 shifts > 2" in text


def test_invalid_input_is_rejected():
    with pytest.raises(ValueError, match="start < end"):
        make([0], [0], [1.0], [1], [5], [5])
    with pytest.raises(ValueError, match="out of range"):
        make([0], [3], [1.0], [1], [0], [5])
    with pytest.raises(ValueError, match="same length"):
        make([0, 1], [0], [1.0], [1], [0], [5])
    with pytest.raises(ValueError, match="unknown method"):
        solve_assignment(make([0], [0], [1.0], [1], [0], [5]), method="magic")
