import numpy as np
import pytest

from marketplace.ranking.bundle import BundleError, read_bundle, write_bundle
from marketplace.ranking.generator import GeneratorConfig, generate
from marketplace.ranking.market import (
    APPLY,
    COMPLETE,
    HIRE,
    IMPRESSION,
    KINDS,
    NO_SHOW,
    OFFER,
)


def test_generator_is_deterministic_and_consistent(small_market):
    again = generate(GeneratorConfig.small(seed=3))
    np.testing.assert_array_equal(again.events.at, small_market.events.at)
    ev = small_market.events
    assert set(np.unique(ev.kind)) <= set(range(len(KINDS)))
    imp = ev.kind == IMPRESSION
    assert ev.position[imp].min() >= 1 and ev.position[imp].max() <= 20
    n_s = 10**7
    key = ev.worker_id * n_s + ev.shift_id

    def first(kind):
        k = ev.kind == kind
        return dict(zip(key[k].tolist(), ev.at[k].tolist(), strict=True))

    applies, offers, hires = first(APPLY), first(OFFER), first(HIRE)
    assert applies and hires
    for k, t in hires.items():
        assert k in offers and offers[k] <= t and applies[k] <= offers[k]
    for kind in (COMPLETE, NO_SHOW):
        assert set(key[ev.kind == kind].tolist()) <= set(hires)
    # no shift has more hires than seats
    sid, n = np.unique(ev.shift_id[ev.kind == HIRE], return_counts=True)
    head = dict(zip(small_market.shifts.shift_id.tolist(),
                    small_market.shifts.headcount.tolist(), strict=True))
    assert all(n[i] <= head[s] for i, s in enumerate(sid.tolist()))


def test_oracle_noise_is_deterministic(small_market):
    o = small_market.oracle
    wi, sj = np.arange(10), np.arange(10)
    np.testing.assert_array_equal(o.utility(wi, sj, noise=True), o.utility(wi, sj, noise=True))
    assert not np.allclose(o.utility(wi, sj, noise=True), o.utility(wi, sj))


def test_bundle_round_trip(tmp_path, small_market):
    write_bundle(small_market, tmp_path)
    header = (tmp_path / "workers.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ("worker_id,skills,certificates,lat,lon,max_commute_km,min_daily_pay,"
                      "origin_province,registered_at")
    line = (tmp_path / "events.csv").read_text(encoding="utf-8").splitlines()[1]
    assert "+08:00" in line
    back = read_bundle(tmp_path)
    a, b = small_market, back
    for f in ("worker_id", "lat", "lon", "max_commute_km", "min_daily_pay", "registered_at"):
        np.testing.assert_allclose(getattr(a.workers, f), getattr(b.workers, f))
    assert a.workers.skills == b.workers.skills
    assert a.workers.origin_province.tolist() == b.workers.origin_province.tolist()
    for f in ("shift_id", "firm_id", "lat", "lon", "start_at", "end_at", "headcount", "daily_pay",
              "meals", "housing", "posted_at"):
        np.testing.assert_allclose(getattr(a.shifts, f), getattr(b.shifts, f))
    assert a.shifts.certificates == b.shifts.certificates
    assert a.shifts.category.tolist() == b.shifts.category.tolist()
    for f in ("at", "worker_id", "shift_id", "kind", "position"):
        np.testing.assert_array_equal(getattr(a.events, f), getattr(b.events, f))


def test_bundle_errors(tmp_path, small_market):
    write_bundle(small_market, tmp_path)
    p = tmp_path / "events.csv"
    lines = p.read_text(encoding="utf-8").splitlines()
    p.write_text("\n".join([lines[0], lines[1].replace("impression", "teleport")]) + "\n",
                 encoding="utf-8")
    with pytest.raises(BundleError, match="unknown kind"):
        read_bundle(tmp_path)
    p.write_text("at,worker_id,kind\n", encoding="utf-8")
    with pytest.raises(BundleError, match="missing columns"):
        read_bundle(tmp_path)
