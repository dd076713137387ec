"""Figures on a small constructed history: arrivals, placements and 30-day retention by base,
province and period; a partner's figures hold its own base only; the CSV for officials."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from marketplace.errors import NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.laborbases import figures as F
from marketplace.laborbases import services
from marketplace.laborbases.models import Cohort, CohortMember
from marketplace.shifts.models import Application, Shift
from marketplace.timeutil import LOCAL_TZ

TODAY = dt.date(2026, 6, 15)


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour),
                               tzinfo=LOCAL_TZ).astimezone(dt.UTC)


class History:
    """Rows written straight into the tables, dated in the past (the services only create
    cohorts and shifts from today on)."""

    def __init__(self, firm_user):
        self.firm_id = firm_user.firm_id

    def cohort(self, base, arrival: str, headcount: int, *, cancelled: bool = False) -> Cohort:
        cohort = Cohort(labor_base_id=base.id, arrival_date=dt.date.fromisoformat(arrival),
                        headcount=headcount, status="cancelled" if cancelled else "registered")
        db.session.add(cohort)
        db.session.flush()
        return cohort

    def member(self, cohort: Cohort, worker, status: str = "accepted") -> None:
        db.session.add(CohortMember(cohort_id=cohort.id, worker_id=worker.id, status=status))
        if status == "accepted":
            worker.worker_profile.labor_base_id = cohort.labor_base_id
        db.session.flush()

    def shift(self, worker, day: str, status: str, hour: int = 10) -> None:
        starts = at(day, hour)
        ends = starts + dt.timedelta(hours=8)
        shift = Shift(firm_id=self.firm_id, title="分拣", category="food_processing",
                      district="jingqu", lat=37.45, lon=122.17, starts_at=starts, ends_at=ends,
                      headcount=5, filled=1, pay_amount_fen=20000, pay_unit="day",
                      daily_pay_fen=20000, settlement="daily", status="completed")
        db.session.add(shift)
        db.session.flush()
        db.session.add(Application(shift_id=shift.id, worker_id=worker.id, status=status,
                                   starts_at=starts, ends_at=ends))
        db.session.flush()


@pytest.fixture
def history(make_base, make_partner, make_firm, make_worker):
    base_a = make_base()  # 甘肃定西
    base_b = make_base(name="贵州毕节劳务基地", province="贵州", city="毕节市",
                       partner_org="毕节市人力资源和社会保障局")
    make_base(name="河南周口劳务基地", province="河南", city="周口市")  # no data
    h = History(make_firm())
    w1, w2, w3, w4, w5, w6, wb = (make_worker(name=f"工人{n}") for n in range(1, 8))
    march = h.cohort(base_a, "2026-03-10", 20)
    for worker in (w1, w2, w3):
        h.member(march, worker)
    h.member(march, w4, "declined")
    may = h.cohort(base_a, "2026-05-20", 5)  # arrived less than 30 days before TODAY
    h.member(may, w5)
    h.cohort(base_a, "2026-03-15", 50, cancelled=True)
    april_b = h.cohort(base_b, "2026-04-02", 7)
    h.member(april_b, wb)
    w6.worker_profile.labor_base_id = base_a.id  # picked the base on the profile, no cohort

    h.shift(w1, "2026-03-12", "completed")
    h.shift(w1, "2026-03-20", "completed")
    h.shift(w1, "2026-04-15", "confirmed")  # 36 days after arrival: retained
    h.shift(w2, "2026-03-11", "completed")
    h.shift(w2, "2026-04-20", "no_show")  # not a placement, not retention
    h.shift(w3, "2026-02-20", "completed")  # before arrival: a placement, not a second shift
    h.shift(w3, "2026-04-30", "withdrawn")
    h.shift(w4, "2026-04-10", "completed")  # declined the tag: not the base's worker
    h.shift(w5, "2026-06-01", "checked_in")
    h.shift(w6, "2026-04-03", "completed")
    h.shift(wb, "2026-04-05", "confirmed")
    h.shift(wb, "2026-04-01", "completed", hour=1)  # 01:00 local on 1 April (UTC: 31 March)
    db.session.commit()
    return {"a": base_a, "b": base_b}


def row(figures, key: str) -> dict:
    period = next(p for p in figures.periods if p.key == key)
    return period.tally.as_dict()


def test_figures_by_month_for_administrators(history, admin):
    figures = F.compute(actor=admin, start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30),
                        today=TODAY)
    assert [p.key for p in figures.periods] == ["2026-01", "2026-02", "2026-03", "2026-04",
                                                "2026-05", "2026-06"]
    assert row(figures, "2026-02")["placements"] == 1
    march = row(figures, "2026-03")
    assert march == {"cohorts": 1, "arrivals": 20, "placements": 3, "retention_eligible": 3,
                     "retained_30d": 1, "retention_30d": pytest.approx(1 / 3, abs=1e-4),
                     "second_shift": 1, "second_shift_rate": pytest.approx(1 / 3, abs=1e-4)}
    april = row(figures, "2026-04")
    assert (april["cohorts"], april["arrivals"], april["placements"]) == (1, 7, 4)
    assert april["retention_eligible"] == 1 and april["retained_30d"] == 0
    may = row(figures, "2026-05")
    assert (may["arrivals"], may["retention_eligible"], may["retention_30d"]) == (5, 0, None)
    assert row(figures, "2026-06")["placements"] == 1
    assert figures.total.arrivals == 32 and figures.total.placements == 9

    by_base = {base.name: tally for base, tally in figures.bases}
    assert by_base["甘肃定西劳务基地"].arrivals == 25
    assert by_base["甘肃定西劳务基地"].placements == 7
    assert by_base["贵州毕节劳务基地"].placements == 2
    assert by_base["河南周口劳务基地"].empty
    assert next(b.name for b, _t in figures.bases) == "甘肃定西劳务基地"
    provinces = dict(figures.provinces)
    assert provinces["甘肃"].arrivals == 25 and provinces["贵州"].arrivals == 7
    assert provinces["河南"].empty


def test_figures_by_week_and_filters(history, admin):
    weekly = F.compute(actor=admin, granularity="week", start=dt.date(2026, 3, 1),
                       end=dt.date(2026, 4, 30), today=TODAY)
    assert weekly.periods[0].key == "2026-W09" and weekly.periods[0].start == dt.date(2026, 2, 23)
    assert row(weekly, "2026-W11")["arrivals"] == 20  # Tuesday 10 March
    assert row(weekly, "2026-W14")["placements"] == 3  # 1 April 01:00, 3 and 5 April
    by_province = F.compute(actor=admin, province="贵州", start=dt.date(2026, 1, 1),
                            end=dt.date(2026, 6, 30), today=TODAY)
    assert by_province.total.arrivals == 7 and [b.name for b, _ in by_province.bases] == [
        "贵州毕节劳务基地"]
    one = F.compute(actor=admin, base_id=history["a"].id, start=dt.date(2026, 1, 1),
                    end=dt.date(2026, 6, 30), today=TODAY)
    assert one.total.arrivals == 25 and one.scope_base.id == history["a"].id


def test_a_partner_sees_its_own_base_only(history, make_partner):
    partner_a = make_partner(history["a"])
    own = F.compute(actor=partner_a, start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30),
                    today=TODAY)
    assert [b.name for b, _t in own.bases] == ["甘肃定西劳务基地"]
    assert own.total.arrivals == 25 and own.total.placements == 7
    assert row(own, "2026-04")["arrivals"] == 0  # base B's April cohort is not theirs
    with pytest.raises(NotFound):
        F.compute(actor=partner_a, base_id=history["b"].id, today=TODAY)
    # a province filter does not widen a partner's scope
    other = F.compute(actor=partner_a, province="贵州", today=TODAY)
    assert [b.name for b, _t in other.bases] == ["甘肃定西劳务基地"]
    text = F.to_csv(own)
    assert "贵州" not in text and "毕节" not in text


def test_other_roles_get_no_figures(history, make_firm, make_worker):
    for actor in (make_firm(name="别的公司"), make_worker()):
        with pytest.raises(NotFound):
            F.compute(actor=actor, today=TODAY)


@pytest.mark.parametrize("kwargs, field", [
    ({"granularity": "year"}, "granularity"),
    ({"start": dt.date(2026, 5, 1), "end": dt.date(2026, 4, 1)}, "start"),
    ({"start": dt.date(2010, 1, 1), "end": dt.date(2026, 1, 1)}, "start"),
])
def test_bad_ranges_are_refused(admin, kwargs, field):
    with pytest.raises(ValidationFailed) as refused:
        F.compute(actor=admin, today=TODAY, **kwargs)
    assert field in refused.value.fields


def test_default_range_is_about_a_year_and_the_coming_months(admin):
    figures = F.compute(actor=admin, today=TODAY)
    assert figures.periods[0].key == "2025-07" and figures.periods[-1].key == "2026-08"
    weekly = F.compute(actor=admin, granularity="week", today=TODAY)
    assert len(weekly.periods) == 16 and weekly.periods[0].start.weekday() == 0


def test_csv_rows_by_base_province_and_period(history, admin):
    figures = F.compute(actor=admin, start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 30),
                        today=TODAY)
    text = F.to_csv(figures)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(rows[0]) == list(F.CSV_COLUMNS)
    march_a = next(r for r in rows if r["level"] == "base" and r["period"] == "2026-03"
                   and r["labor_base"] == "甘肃定西劳务基地")
    assert (march_a["arrivals"], march_a["placements"], march_a["retention_30d_rate"]) == (
        "20", "3", "0.3333")
    march_all = next(r for r in rows if r["level"] == "all" and r["period"] == "2026-03")
    assert march_all["placements"] == "3"  # 1 April 01:00 local is April, not March (UTC)
    provinces = {(r["period"], r["province"]) for r in rows if r["level"] == "province"}
    assert provinces == {("2026-03", "甘肃"), ("2026-04", "甘肃"), ("2026-04", "贵州")}


def test_csv_cells_never_start_a_formula(admin, make_base):
    make_base(name="=HYPERLINK(\"http://x\")劳务基地")
    base = services.registry()[0]
    cohort = Cohort(labor_base_id=base.id, arrival_date=TODAY, headcount=3)
    db.session.add(cohort)
    db.session.commit()
    text = F.to_csv(F.compute(actor=admin, today=TODAY))
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_the_chart_has_a_bar_per_figure_and_a_retention_point(history, admin):
    figures = F.compute(actor=admin, start=dt.date(2026, 3, 1), end=dt.date(2026, 5, 31),
                        today=TODAY)
    chart = F.chart(figures.periods)
    assert len(chart.bars) == 6 and chart.y_max >= 20
    tallest = max(chart.bars, key=lambda b: b["h"])
    assert (tallest["kind"], tallest["value"], tallest["period"]) == ("arrivals", 20, "2026-03")
    assert len(chart.dots) == 2  # March (1/3) and April (0/1); May has nobody eligible
    assert [d["pct"] for d in chart.dots] == [33, 0]
