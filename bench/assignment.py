"""Benchmark: batch assignment of workers to shifts (marketplace/ranking/assignment.py).

Targets (issue 3): 5,000 workers to 2,000 shifts (about 5,000 seats, 20-50 candidate edges per
worker, random scores) in <= 1 s with one shift per worker and <= 3 s with several
non-overlapping shifts per worker, within 1% of the LP bound. Also an agency figure: filling
200 seats from a 1,000-worker roster.

Run:  .venv/bin/python bench/assignment.py [--repeat 5] [--seeds 0 1 2]
Writes bench/results/assignment.json. Times are wall-clock for the whole
``solve_assignment`` call (filtering, model building, solving, repair, reporting), not
counting the generation of the instance.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import scipy

from marketplace.ranking.assignment import (
    AssignmentProblem,
    find_violations,
    random_problem,
    solve_assignment,
)

RESULTS = Path(__file__).resolve().parent / "results" / "assignment.json"


def machine() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "load_average_at_start": list(os.getloadavg()),
    }


def agency_problem(seed: int, max_shifts_per_worker: int | None) -> AssignmentProblem:
    """200 seats (25 shifts x 8 seats over 5 days) from a 1,000-worker roster; each roster
    worker is a candidate for a random ~60% of the shifts."""
    rng = np.random.default_rng(seed)
    n_workers, n_shifts = 1000, 25
    day = rng.integers(0, 5, n_shifts)
    start = (day * 24 + rng.choice([7, 8, 14, 20], n_shifts)) * 3600
    end = start + rng.choice([8, 10, 12], n_shifts) * 3600
    mask = rng.random((n_workers, n_shifts)) < 0.6  # roster x shifts: small, dense is fine
    worker, shift = np.nonzero(mask)
    return AssignmentProblem(worker=worker, shift=shift, score=1.0 - rng.random(worker.size),
                             headcount=np.full(n_shifts, 8), start=start, end=end,
                             n_workers=n_workers, max_shifts_per_worker=max_shifts_per_worker)


def run_case(name: str, problem: AssignmentProblem, repeat: int, *, method: str = "auto",
             target_s: float | None = None, target_gap: float | None = None) -> dict:
    seconds = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = solve_assignment(problem, method=method)
        seconds.append(time.perf_counter() - t0)
    assert result is not None
    violations = find_violations(problem, result.edges)
    row = {
        "case": name,
        "method_requested": method,
        "method": result.method,
        "workers": problem.n_workers,
        "shifts": problem.n_shifts,
        "seats": int(problem.headcount.sum()),
        "edges": problem.n_edges,
        "max_shifts_per_worker": problem.max_shifts_per_worker,
        "seconds_median": statistics.median(seconds),
        "seconds_max": max(seconds),
        "seconds_all": [round(s, 4) for s in seconds],
        "total_score": result.total_score,
        "lp_bound": result.upper_bound,
        "gap": result.gap,
        "proven_optimal": result.optimal,
        "pairs": int(result.edges.size),
        "unfilled_seats": result.unfilled_seats,
        "full_shifts": int(result.full_shifts.size),
        "overlap_binding_workers": int(result.overlap_workers.size),
        "violations": len(violations),
        "stats": result.stats,
    }
    if target_s is not None:
        row["target_seconds"] = target_s
        row["meets_time_target"] = row["seconds_median"] <= target_s
    if target_gap is not None:
        row["target_gap"] = target_gap
        row["meets_gap_target"] = result.gap <= target_gap
    bound = "n/a" if not np.isfinite(result.upper_bound) else f"{result.upper_bound:10.2f}"
    print(f"{name:<44} {result.method:<12} median {row['seconds_median']:6.3f}s "
          f"max {row['seconds_max']:6.3f}s  total {result.total_score:10.2f}  "
          f"bound {bound}  gap {result.gap:8.2e}  pairs {row['pairs']:5d}  "
          f"violations {row['violations']}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    info = machine()
    print(f"{info['cpu']} x{info['cpus']}, numpy {info['numpy']}, scipy {info['scipy']}, "
          f"load {info['load_average_at_start']}")
    rows = []
    solve_assignment(random_problem(200, 80, seed=99))  # warm up imports and HiGHS
    for seed in args.seeds:
        base = random_problem(5000, 2000, seats=5000, edges_per_worker=(20, 50), days=7,
                              seed=seed)
        one = dataclasses.replace(base, max_shifts_per_worker=1)
        rows.append(run_case(f"5000x2000 one shift/worker seed={seed}", one, args.repeat,
                             target_s=1.0))
        rows.append(run_case(f"5000x2000 several shifts/worker seed={seed}", base,
                             args.repeat, target_s=3.0, target_gap=0.01))
        rows.append(run_case(f"5000x2000 several, greedy only seed={seed}", base,
                             args.repeat, method="greedy"))
        tight = random_problem(5000, 2000, seats=5000, edges_per_worker=(20, 50), days=1,
                               seed=seed)
        rows.append(run_case(f"5000x2000 several, all in 1 day seed={seed}", tight,
                             args.repeat, target_s=3.0, target_gap=0.01))
    for seed in args.seeds:
        rows.append(run_case(f"agency 200 seats/1000 roster one/worker seed={seed}",
                             agency_problem(seed, 1), args.repeat))
        rows.append(run_case(f"agency 200 seats/1000 roster several seed={seed}",
                             agency_problem(seed, None), args.repeat))

    def summary(prefix: str) -> dict:
        sel = [r for r in rows if r["case"].startswith(prefix)]
        return {"cases": len(sel),
                "seconds_median_worst": max(r["seconds_median"] for r in sel),
                "seconds_max": max(r["seconds_max"] for r in sel),
                "gap_worst": max(r["gap"] for r in sel),
                "violations": sum(r["violations"] for r in sel)}

    out = {
        "benchmark": "batch assignment (marketplace/ranking/assignment.py)",
        "command": "python bench/assignment.py " + " ".join(
            ["--repeat", str(args.repeat), "--seeds", *map(str, args.seeds)]),
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": info,
        "summary": {
            "one_shift_per_worker": summary("5000x2000 one shift"),
            "several_shifts_per_worker": summary("5000x2000 several shifts"),
            "several_greedy_only": summary("5000x2000 several, greedy"),
            "several_one_day": summary("5000x2000 several, all in 1 day"),
            "agency_one": summary("agency 200 seats/1000 roster one"),
            "agency_several": summary("agency 200 seats/1000 roster several"),
        },
        "cases": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2, default=float) + "\n")
    print(json.dumps(out["summary"], indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
