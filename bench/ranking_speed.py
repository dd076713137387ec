"""Ranking speed: one worker's feed over 10,000 shifts, and retraining on ~1M events.

Usage: .venv/bin/python bench/ranking_speed.py [--requests 300]

1. Generates the large market (50,000 workers, 10,000 shifts, ~1M events) and saves it.
2. Retrains in a fresh child process that only loads the saved arrays and fits a Ranker on all
   events: wall time of the fit and the child's peak RSS (ru_maxrss, includes the Python
   interpreter, NumPy/SciPy/scikit-learn and the loaded market).
3. With that model: for random workers, features + feed scores for all 10,000 shifts + top 50
   (the SQL layer has already applied the hard filters, so all 10,000 are scored);
   p50/p95/p99 over the requests. Writes bench/results/ranking_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np

OUT = Path(__file__).parent / "results" / "ranking_speed.json"


def child_fit(market_path: str, model_path: str) -> None:
    from marketplace.ranking.model import Ranker

    market = joblib.load(market_path)
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    model = Ranker(seed=0).fit(market)
    seconds = time.perf_counter() - t
    model.save(model_path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"fit_seconds": seconds, "peak_rss_mib": peak / 1024,
                      "rss_after_load_mib": rss_loaded / 1024, "rows": model.meta.rows,
                      "apply_model": model.meta.apply_model,
                      "validation": model.meta.validation}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    from marketplace.ranking.generator import GeneratorConfig, generate
    from marketplace.ranking.model import Ranker

    t = time.perf_counter()
    market = generate(GeneratorConfig.large(args.seed))
    gen_s = time.perf_counter() - t
    n_ev = len(market.events)
    print(f"generated {len(market.workers)} workers, {len(market.shifts)} shifts, "
          f"{n_ev} events in {gen_s:.1f} s")
    market.oracle = None
    with tempfile.TemporaryDirectory() as tmp:
        mp, modelp = os.path.join(tmp, "market.joblib"), os.path.join(tmp, "model.joblib")
        joblib.dump(market, mp)
        out = subprocess.run([sys.executable, __file__, "--child", mp, modelp],
                             capture_output=True, text=True, check=True)
        fit = json.loads(out.stdout.strip().splitlines()[-1])
        model = Ranker.load(modelp)
    print(f"retrain on {n_ev} events: {fit['fit_seconds']:.1f} s, "
          f"peak RSS {fit['peak_rss_mib']:.0f} MiB (after load {fit['rss_after_load_mib']:.0f})")

    now = int(market.events.at.max()) + 1
    fb = model.builder(market)
    shifts = np.arange(len(market.shifts))
    assert len(shifts) == 10_000 or len(shifts) > 0
    rng = np.random.default_rng(1)
    workers = rng.choice(len(market.workers), args.requests)
    for w in workers[:10]:  # warm-up
        model.rank_for_worker(fb, int(w), shifts, now, k=50, hard_filter=False)
    times = []
    for w in workers:
        t = time.perf_counter()
        top, _ = model.rank_for_worker(fb, int(w), shifts, now, k=50, hard_filter=False)
        times.append((time.perf_counter() - t) * 1000)
        assert len(top) == 50
    times = np.array(times)
    rank = {"shifts_scored": len(shifts), "requests": int(args.requests),
            "p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95)),
            "p99_ms": float(np.percentile(times, 99)), "max_ms": float(times.max())}
    print(f"rank 10,000 shifts for one worker (features, scores, top 50): "
          f"p50 {rank['p50_ms']:.1f} ms, p95 {rank['p95_ms']:.1f} ms, p99 {rank['p99_ms']:.1f} ms")
    result = {
        "command": f"python bench/ranking_speed.py --requests {args.requests}",
        "cpu_count": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "market": {"workers": len(market.workers), "shifts": len(market.shifts),
                   "events": n_ev, "generate_seconds": gen_s},
        "retrain": fit, "rank_one_worker": rank,
        "targets": {
            "rank_p95_le_30ms": rank["p95_ms"] <= 30,
            "retrain_le_60s": fit["fit_seconds"] <= 60,
            "retrain_peak_le_2GiB": fit["peak_rss_mib"] <= 2048,
        },
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1, default=float), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child_fit(sys.argv[2], sys.argv[3])
    else:
        main()
