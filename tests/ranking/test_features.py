import math

import numpy as np
import pytest

from marketplace.ranking.features import (
    FEATURE_INDEX,
    FEATURE_NAMES,
    FeatureBuilder,
    mask_history,
)
from marketplace.ranking.market import APPLY, COMPLETE, IMPRESSION, NO_SHOW, Events, Shifts, Workers

H = 3600
T = 1_741_000_000  # a fixed epoch second


def week_all(n):
    return np.ones((n, 168), dtype=bool)


def make_workers(availability=None):
    return Workers(
        worker_id=np.array([10, 20]),
        skills=[("welding", "assembly"), ()],
        certificates=[("welder_licence",), ()],
        lat=np.array([37.5, 37.5]), lon=np.array([122.1, 122.1]),
        max_commute_km=np.array([20.0, 5.0]), min_daily_pay=np.array([200.0, 0.0]),
        origin_province=np.array(["河南", "山东"], dtype=object),
        registered_at=np.array([T - 10 * 86400, T]),
        availability=availability)


def make_shifts(start=T + 48 * H):
    n = 3
    return Shifts(
        shift_id=np.array([1, 2, 3]), firm_id=np.array([7, 7, 8]),
        category=np.array(["manufacturing", "manufacturing", "logistics"], dtype=object),
        skills=[("welding", "cnc_operation"), ("assembly",), ()],
        certificates=[("welder_licence",), (), ()],
        lat=np.array([37.5, 37.6, 37.5]), lon=np.array([122.1, 122.1, 122.1]),
        start_at=np.full(n, start), end_at=np.full(n, start + 8 * H),
        headcount=np.array([2, 1, 5]), daily_pay=np.array([300.0, 200.0, 150.0]),
        meals=np.array([True, False, True]), housing=np.array([True, False, False]),
        posted_at=np.full(n, T - 24 * H))


def col(X, name):
    return X[:, FEATURE_INDEX[name]]


def test_shapes_and_content_values():
    fb = FeatureBuilder(make_workers(), make_shifts())
    wi = np.array([0, 0, 0, 1])
    sj = np.array([0, 1, 2, 0])
    X = fb.pairs(wi, sj, T)
    assert X.shape == (4, len(FEATURE_NAMES)) and X.dtype == np.float32
    # 0.1° of latitude ≈ 11.12 km
    assert col(X, "distance_km")[0] == pytest.approx(0.0, abs=1e-6)
    assert col(X, "distance_km")[1] == pytest.approx(11.12, abs=0.02)
    assert col(X, "distance_ratio")[1] == pytest.approx(11.12 / 20, abs=0.002)
    # worker 0 has welding+assembly; shift 0 needs welding+cnc → coverage 1/2, Jaccard 1/3
    assert col(X, "skill_coverage")[0] == pytest.approx(0.5)
    assert col(X, "skill_jaccard")[0] == pytest.approx(1 / 3)
    assert col(X, "skill_coverage")[2] == 1.0  # nothing required
    assert col(X, "skill_coverage")[3] == 0.0
    assert col(X, "pay_over_min")[0] == pytest.approx(1.5)
    assert math.isnan(col(X, "pay_over_min")[3])  # no minimum given
    assert col(X, "hours")[0] == 8 and col(X, "lead_time_h")[0] == 48
    assert col(X, "shift_age_h")[0] == 24
    # out-of-province worker (河南) and a shift with housing
    assert col(X, "housing_x_out")[0] == 1 and col(X, "housing_x_out")[3] == 0
    assert col(X, "trade_match")[0] == 1.0  # welding and assembly are manufacturing skills
    # pay against the category median (manufacturing: 300 and 200 → 250)
    assert col(X, "pay_over_market")[0] == pytest.approx(300 / 250)


def test_hard_filters():
    avail = week_all(2)
    fb = FeatureBuilder(make_workers(avail), make_shifts())
    # worker 1 lacks the welder licence (shift 0), shift 1 is 11 km away > 5 km radius
    assert fb.hard_mask(np.array([1, 1, 1]), np.array([0, 1, 2])).tolist() == [False, False, True]
    assert fb.hard_mask(np.array([0, 0, 0]), np.array([0, 1, 2])).tolist() == [True, True, True]
    # no availability at all on the shift's hours → filtered out, time_fit 0
    avail = week_all(2)
    avail[0, :] = False
    fb = FeatureBuilder(make_workers(avail), make_shifts())
    assert not fb.hard_mask(np.array([0]), np.array([2]))[0]
    assert col(fb.pairs([0], [2], T), "time_fit")[0] == 0.0
    # partial availability: a shift starting 4 hours before the worker's window closes
    start = T + 48 * H
    hours = ((start + 8 * H) // H + np.arange(8)) % 168
    fb2 = FeatureBuilder(make_workers(week_all(2)), make_shifts(start))
    fit_all = fb2.time_fit(np.array([0]), np.array([0]))[0]
    assert fit_all == 1.0
    avail = week_all(2)
    from marketplace.ranking.market import week_hour
    h0 = int(week_hour(start))
    avail[0, (h0 + 4) % 168:(h0 + 8) % 168 or 168] = False
    fb3 = FeatureBuilder(make_workers(avail), make_shifts(start))
    assert fb3.time_fit(np.array([0]), np.array([0]))[0] == pytest.approx(0.5)
    assert not fb3.hard_mask(np.array([0]), np.array([0]))[0]
    assert len(hours) == 8


def history():
    # worker 10 saw shift 2 and 3, applied to 2, completed 2; then a no-show later
    return Events(
        at=np.array([T - 50 * H, T - 50 * H, T - 49 * H, T - 10 * H, T + 5 * H, T + 6 * H]),
        worker_id=np.array([10, 10, 10, 10, 10, 10]),
        shift_id=np.array([2, 3, 2, 2, 3, 3]),
        kind=np.array([IMPRESSION, IMPRESSION, APPLY, COMPLETE, APPLY, NO_SHOW], dtype=np.int8),
        position=np.array([1, 2, 0, 0, 0, 0], dtype=np.int32))


def test_history_uses_only_past_events():
    fb = FeatureBuilder(make_workers(), make_shifts(), history())
    X = fb.pairs(np.array([0, 0, 0]), np.array([1, 1, 1]), np.array([T - 60 * H, T, T + 7 * H]))
    # before anything: prior apply rate 0.05; after the apply at T-49h: (1 + .25) / (2 + 5)
    assert col(X, "w_apply_rate")[0] == pytest.approx(0.05)
    assert col(X, "w_apply_rate")[1] == pytest.approx(1.25 / 7)
    assert col(X, "w_apply_rate")[2] == pytest.approx(2.25 / 7)
    # reliability: smoothed prior, then one completion, then a completion and a no-show
    assert col(X, "w_reliability")[0] == pytest.approx(0.85)
    assert col(X, "w_reliability")[1] == pytest.approx((1 + 1.7) / 3)
    assert col(X, "w_reliability")[2] == pytest.approx((1 + 1.7) / 4)
    # same firm (7): shift 2 was completed before T
    assert col(X, "w_same_firm_completed").tolist() == [0, 1, 1]
    assert math.isnan(col(X, "text_sim")[0]) and col(X, "text_sim")[1] > 0


def test_no_leakage_future_events_do_not_change_features():
    """Features at time t are identical whether or not the log continues after t."""
    ev = history()
    t = T  # the apply at T+5h and the no-show at T+6h are in the future
    full = FeatureBuilder(make_workers(), make_shifts(), ev)
    past = FeatureBuilder(make_workers(), make_shifts(), ev.before(t))
    wi, sj = np.array([0, 0, 0, 1]), np.array([0, 1, 2, 2])
    a, b = full.pairs(wi, sj, t), past.pairs(wi, sj, t)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(np.nan_to_num(a), np.nan_to_num(b))
    # and the future events do matter later, so this test can fail
    assert not np.allclose(np.nan_to_num(full.pairs(wi, sj, T + 7 * H)),
                           np.nan_to_num(past.pairs(wi, sj, T + 7 * H)))


def test_history_cutoff_caps_history_time():
    fb = FeatureBuilder(make_workers(), make_shifts(), history(), history_cutoff=T)
    X = fb.pairs(np.array([0]), np.array([1]), np.array([T + 7 * H]))
    assert col(X, "w_apply_rate")[0] == pytest.approx(1.25 / 7)


def test_mask_history_blanks_only_history_columns():
    fb = FeatureBuilder(make_workers(), make_shifts(), history())
    X = fb.pairs(np.array([0, 0]), np.array([1, 2]), T)
    M = mask_history(X, worker_rows=[0])
    assert np.isnan(col(M, "w_reliability")[0]) and not np.isnan(col(M, "w_reliability")[1])
    assert col(M, "distance_km")[0] == col(X, "distance_km")[0]


def test_no_priority_group_feature():
    assert not any("priority" in n for n in FEATURE_NAMES)


def test_impressions_folded_with_counts_give_the_same_features(small_market):
    """Serving folds a worker's repeated impressions of a shift into one row with a count;
    the features must not notice."""
    market = small_market
    events = market.events
    now = int(events.at.max()) + 1
    imp = events.kind == IMPRESSION
    key = events.worker_id[imp] * 10_000_000 + events.shift_id[imp]
    _, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True,
                                          return_counts=True)
    last_at = np.zeros(len(first), dtype=np.int64)
    np.maximum.at(last_at, inverse, events.at[imp])
    shown = events.subset(np.flatnonzero(imp)[first])
    folded = Events.concat([
        events.subset(~imp),
        Events(last_at, shown.worker_id, shown.shift_id, shown.kind, shown.position,
               counts.astype(np.int64)),
    ]).sorted()
    assert len(folded) < len(events) and int(folded.count.sum()) == len(events)

    raw_builder = FeatureBuilder(market.workers, market.shifts, events, market.ratings)
    folded_builder = FeatureBuilder(market.workers, market.shifts, folded, market.ratings)
    rng = np.random.default_rng(0)
    wi = rng.integers(0, len(market.workers), 500)
    sj = rng.integers(0, len(market.shifts), 500)
    at = np.full(500, now)
    np.testing.assert_allclose(folded_builder.pairs(wi, sj, at), raw_builder.pairs(wi, sj, at),
                               rtol=1e-5, atol=1e-6)
