"""Ranking quality on generated markets: NDCG@10 against the true utility, held-out period.

Usage: .venv/bin/python bench/ranking_quality.py [--seeds 0 1 2] [--workers 4000] [--shifts 1200]

For each seed a market is generated, a fresh Ranker is trained on the events before day 30 of
42 and every worker with an apply-or-later event after the split gets all shifts posted after
the split that pass their hard constraints ranked. LightGBM lambdarank (a bench-only
dependency) is trained on the very same training rows and features. Writes
bench/results/ranking_quality.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from marketplace.ranking.evaluation import evaluate
from marketplace.ranking.features import FeatureBuilder
from marketplace.ranking.generator import GeneratorConfig, generate
from marketplace.ranking.model import Ranker

DAY = 86400
OUT = Path(__file__).parent / "results" / "ranking_quality.json"


def lightgbm_scorer(market, split, seed):
    import lightgbm as lgb

    ranker = Ranker(seed=seed)
    ev = market.events.before(split)
    fb = FeatureBuilder(market.workers, market.shifts, ev, market.ratings, history_cutoff=split)
    ts = ranker.impression_set(fb, ev, np.random.default_rng(seed))
    ts.X[:, :-1] = ranker._mask(ts.X[:, :-1], np.random.default_rng(seed + 1))
    order = np.argsort(ts.qid, kind="stable")
    X, y, q = ts.X[order], ts.grade[order].astype(int), ts.qid[order]
    _, sizes = np.unique(q, return_counts=True)
    model = lgb.LGBMRanker(objective="lambdarank", n_estimators=300, learning_rate=0.05,
                           num_leaves=31, min_child_samples=40, random_state=seed, verbose=-1,
                           label_gain=[0, 1, 2, 3, 4])
    model.fit(X, y, group=sizes)

    def score(F):
        return model.predict(np.column_stack([F, np.ones(len(F), dtype=np.float32)]))

    return score


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--workers", type=int, default=4000)
    ap.add_argument("--shifts", type=int, default=1200)
    ap.add_argument("--days", type=int, default=42)
    ap.add_argument("--split-day", type=int, default=30)
    args = ap.parse_args()
    runs = []
    for seed in args.seeds:
        cfg = GeneratorConfig(seed=seed, n_workers=args.workers, n_shifts=args.shifts,
                              days=args.days, sessions_per_week=1.0)
        t = time.perf_counter()
        market = generate(cfg)
        split = int(cfg.start.timestamp()) + args.split_day * DAY
        lgbm = lightgbm_scorer(market, split, seed)
        res = evaluate(market, split, seed=seed, extra={"lightgbm_lambdarank": lgbm})
        res.pop("rankings")
        res["seed"] = seed
        res["events"] = len(market.events)
        res["seconds"] = round(time.perf_counter() - t, 1)
        runs.append(res)
        tu = res["true_utility"]
        print(f"seed {seed}: events {len(market.events)}, queries {res['queries']} "
              f"(cold {res['cold_queries']}), apply model {res['model']['apply_model']}")
        for m, v in tu.items():
            obs = res["metrics"].get(m, {})
            print(f"  {m:20s} true NDCG@10 {v['ndcg@10']:.3f}  cold {v['ndcg@10_cold']:.3f}"
                  + (f"  | observed NDCG@5 {obs['ndcg@5']:.3f} NDCG@10 {obs['ndcg@10']:.3f} "
                     f"MAP@10 {obs['map@10']:.3f}" if obs else ""))
    methods = runs[0]["true_utility"].keys()
    mean = {m: {k: float(np.mean([r["true_utility"][m][k] for r in runs]))
                for k in ("ndcg@10", "ndcg@10_cold")} for m in methods}
    observed = {m: {k: float(np.mean([r["metrics"][m][k] for r in runs]))
                    for k in ("ndcg@5", "ndcg@10", "map@10")} for m in runs[0]["metrics"]}
    baselines = ("random", "newest", "nearest", "skill_overlap")
    best_base = max(baselines, key=lambda b: mean[b]["ndcg@10"])
    model = mean["model"]
    targets = {
        "vs_best_baseline": {"best": best_base, "need": mean[best_base]["ndcg@10"] + 0.20,
                             "got": model["ndcg@10"]},
        "vs_oracle": {"need": 0.82 * mean["oracle"]["ndcg@10"], "got": model["ndcg@10"],
                      "ratio": model["ndcg@10"] / mean["oracle"]["ndcg@10"]},
        "cold_vs_skill_overlap": {"need": mean["skill_overlap"]["ndcg@10_cold"] + 0.10,
                                  "got": model["ndcg@10_cold"]},
        "vs_lightgbm_lambdarank": {"need": mean["lightgbm_lambdarank"]["ndcg@10"],
                                   "got": model["ndcg@10"]},
    }
    for v in targets.values():
        v["met"] = bool(v["got"] >= v["need"])
    print("\nmean over seeds", args.seeds)
    for m, v in mean.items():
        print(f"  {m:20s} true NDCG@10 {v['ndcg@10']:.3f}  cold {v['ndcg@10_cold']:.3f}")
    for name, v in targets.items():
        print(f"  target {name:24s} need ≥ {v['need']:.3f}, got {v['got']:.3f} → "
              f"{'met' if v['met'] else 'MISSED'}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "command": "python bench/ranking_quality.py " + " ".join(
            f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in vars(args).items()),
        "mean_true_utility": mean, "mean_observed": observed, "targets": targets,
        "runs": runs}, indent=1, default=float), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
