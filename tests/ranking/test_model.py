import numpy as np
import pytest

from marketplace.ranking.evaluation import candidate_pairs, evaluate, write_rankings
from marketplace.ranking.features import FEATURE_NAMES
from marketplace.ranking.model import Ranker

DAY = 86400


@pytest.fixture(scope="module")
def evaluated(medium_market):
    cfg, market = medium_market
    split = int(cfg.start.timestamp()) + 25 * DAY
    return split, evaluate(market, split, seed=0)


def test_model_beats_random_and_skill_overlap_on_held_out_period(evaluated):
    _, res = evaluated
    truth = res["true_utility"]
    assert truth["model"]["ndcg@10"] > truth["random"]["ndcg@10"] + 0.15
    assert truth["model"]["ndcg@10"] > truth["skill_overlap"]["ndcg@10"] + 0.05
    assert truth["model"]["ndcg@10_cold"] > truth["skill_overlap"]["ndcg@10_cold"]
    obs = res["metrics"]
    assert obs["model"]["ndcg@10"] > obs["random"]["ndcg@10"]
    assert obs["model"]["ndcg@10"] > obs["skill_overlap"]["ndcg@10"]
    assert truth["oracle"]["ndcg@10"] > truth["model"]["ndcg@10"]
    assert set(obs) >= {"model", "random", "newest", "nearest", "skill_overlap"}
    assert set(obs["model"]) == {"ndcg@5", "ndcg@10", "map@10"}


def test_rankings_rows(evaluated, tmp_path):
    _, res = evaluated
    r = res["rankings"]
    assert len(r["worker_id"]) == res["candidates"]
    first = r["rank"] == 1
    assert len(np.unique(r["worker_id"][first])) == first.sum() == res["queries"]
    out = tmp_path / "r.csv"
    write_rankings(r, out)
    assert out.read_text(encoding="utf-8").splitlines()[0] == "worker_id,rank,shift_id,score"


def test_save_load_round_trip(medium_market, tmp_path):
    cfg, market = medium_market
    split = int(cfg.start.timestamp()) + 25 * DAY
    model = Ranker(seed=1, candidates=("pairwise_linear",)).fit(market, until=split)
    meta = model.meta
    assert meta.feature_names == list(FEATURE_NAMES)
    assert meta.version and meta.trained_at and meta.train_to.startswith("2025-03-2")
    path = tmp_path / "m.joblib"
    model.save(path)
    loaded = Ranker.load(path)
    c = candidate_pairs(market, split, category_median=meta.category_median)
    X = c.fb.pairs(c.wi[:500], c.sj[:500], c.at[:500])
    a, b = model.score_features(X), loaded.score_features(X)
    for k in ("worker", "firm", "reciprocal"):
        np.testing.assert_allclose(a[k], b[k])
    np.testing.assert_allclose(model.feed_scores(X), loaded.feed_scores(X))
    assert loaded.meta.version == meta.version
    rec = a["reciprocal"]
    np.testing.assert_allclose(rec, 2 * a["worker"] * a["firm"] / (a["worker"] + a["firm"]))


def test_rank_for_worker_top_k_respects_hard_constraints(medium_market):
    cfg, market = medium_market
    split = int(cfg.start.timestamp()) + 25 * DAY
    model = Ranker(seed=2, candidates=("hgb",), hgb_iter=40).fit(market, until=split)
    fb = model.builder(market, history_cutoff=split)
    all_s = np.arange(len(market.shifts))
    top, scores = model.rank_for_worker(fb, 5, all_s, split, k=20)
    assert len(top) <= 20 and np.all(np.diff(scores) <= 0)
    assert fb.hard_mask(np.full(len(top), 5), top).all()
    eligible = fb.hard_mask(np.full(len(all_s), 5), all_s)
    assert len(top) == min(20, eligible.sum())
