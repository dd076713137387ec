"""`flask ranker evaluate` and `flask ranker import` on a small generated history bundle."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from marketplace.auth.models import User
from marketplace.extensions import db
from marketplace.matching.models import MatchEvent
from marketplace.ranking.bundle import write_bundle
from marketplace.ranking.generator import GeneratorConfig, generate
from marketplace.ranking.market import COMPLETE
from marketplace.shifts.models import Application, Attendance, Shift
from marketplace.shifts.states import BOOKED, SEAT_HOLDING, AppStatus

SPLIT = "2025-03-17T00:00:00+08:00"  # two weeks into the generator's four-week period
METHODS = ("model", "random", "newest", "nearest", "skill_overlap")


@pytest.fixture(scope="module")
def market():
    return generate(GeneratorConfig.small(seed=1))


@pytest.fixture
def bundle(market, tmp_path) -> Path:
    return write_bundle(market, tmp_path / "bundle")


def row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables}


def column(path: Path, name: str) -> set[str]:
    with open(path, encoding="utf-8") as fh:
        return {row[name] for row in csv.DictReader(fh)}


def invoke(app, *args):
    result = app.test_cli_runner().invoke(args=["ranker", *args])
    # a clean error is click's SystemExit; anything else is a traceback
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output, result.exception)
    return result


def test_evaluate_bundle_prints_metrics_and_writes_rankings(app, bundle, tmp_path, make_worker):
    make_worker()  # the database is not empty and must stay as it is
    before = row_counts()
    models_before = sorted(Path(app.config["MODEL_DIR"]).glob("*"))
    out = tmp_path / "rankings.csv"

    result = invoke(app, "evaluate", "--data", str(bundle), "--split-at", SPLIT, "--json",
                    "--rankings", str(out))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) >= {"split_at", "queries", "candidates", "metrics", "model"}
    assert report["queries"] > 0 and report["candidates"] > 0
    for method in METHODS:
        figures = report["metrics"][method]
        assert set(figures) == {"ndcg@5", "ndcg@10", "map@10"}
        for value in figures.values():
            assert 0.0 <= value <= 1.0

    with open(out, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["worker_id", "rank", "shift_id", "score"]
    assert len(rows) - 1 == report["candidates"]
    shift_ids = column(bundle / "shifts.csv", "shift_id")
    worker_ids = column(bundle / "workers.csv", "worker_id")
    assert {r[2] for r in rows[1:]} <= shift_ids
    assert {r[0] for r in rows[1:]} <= worker_ids
    first = [r for r in rows[1:] if r[0] == rows[1][0]]
    assert [int(r[1]) for r in first] == list(range(1, len(first) + 1))
    assert [float(r[3]) for r in first] == sorted((float(r[3]) for r in first), reverse=True)

    assert row_counts() == before
    assert sorted(Path(app.config["MODEL_DIR"]).glob("*")) == models_before

    table = invoke(app, "evaluate", "--data", str(bundle), "--split-at", SPLIT)
    assert table.exit_code == 0, table.output
    assert "NDCG@10" in table.output and "skill_overlap" in table.output


def test_evaluate_refuses_bad_input_with_a_message(app, bundle, tmp_path):
    missing = invoke(app, "evaluate", "--data", str(tmp_path / "nowhere"), "--split-at", SPLIT)
    assert missing.exit_code != 0 and "does not exist" in missing.output

    naive = invoke(app, "evaluate", "--data", str(bundle), "--split-at", "2025-03-17T00:00:00")
    assert naive.exit_code != 0 and "UTC offset" in naive.output

    garbage = invoke(app, "evaluate", "--data", str(bundle), "--split-at", "next tuesday")
    assert garbage.exit_code != 0 and "ISO 8601" in garbage.output

    too_late = invoke(app, "evaluate", "--data", str(bundle), "--split-at",
                      "2030-01-01T00:00:00+08:00")
    assert too_late.exit_code != 0 and "No apply-or-later events" in too_late.output

    too_early = invoke(app, "evaluate", "--data", str(bundle), "--split-at",
                       "2020-01-01T00:00:00+08:00")
    assert too_early.exit_code != 0 and "nothing to train on" in too_early.output

    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("workers.csv", "shifts.csv"):
        (broken / name).write_bytes((bundle / name).read_bytes())
    no_events = invoke(app, "evaluate", "--data", str(broken), "--split-at", SPLIT)
    assert no_events.exit_code != 0 and "missing events.csv" in no_events.output

    (broken / "events.csv").write_text("at,worker,shift,kind\n", encoding="utf-8")
    columns = invoke(app, "evaluate", "--data", str(broken), "--split-at", SPLIT)
    assert columns.exit_code != 0 and "missing columns worker_id, shift_id" in columns.output

    (broken / "events.csv").write_bytes((bundle / "events.csv").read_bytes())
    workers = (bundle / "workers.csv").read_text(encoding="utf-8").splitlines()
    (broken / "workers.csv").write_text("\n".join([*workers, "7,,,north,,,,,"]) + "\n",
                                        encoding="utf-8")
    value = invoke(app, "evaluate", "--data", str(broken), "--split-at", SPLIT)
    assert value.exit_code != 0 and "could not be read" in value.output
    (broken / "workers.csv").write_bytes("工".encode("gbk") + (bundle / "workers.csv").read_bytes())
    encoding = invoke(app, "evaluate", "--data", str(broken), "--split-at", SPLIT)
    assert encoding.exit_code != 0 and "UTF-8" in encoding.output
    (broken / "workers.csv").write_bytes((bundle / "workers.csv").read_bytes())

    lines = (bundle / "events.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("+08:00", "", 1)
    (broken / "events.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    offset = invoke(app, "evaluate", "--data", str(broken), "--split-at", SPLIT)
    assert offset.exit_code != 0 and "without a UTC offset" in offset.output


def test_import_loads_the_bundle_consistently_and_only_once(app, market, bundle):
    result = invoke(app, "import", str(bundle), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["workers"] == len(market.workers)
    assert summary["shifts"] == len(market.shifts)
    assert summary["events"] == len(market.events)
    assert summary["firms"] == len(set(market.shifts.firm_id.tolist()))

    assert db.session.scalar(select(func.count()).select_from(User)
                             .where(User.role == "worker")) == len(market.workers)
    assert db.session.scalar(select(func.count()).select_from(Shift)) == len(market.shifts)
    assert db.session.scalar(select(func.count()).select_from(MatchEvent)) == len(market.events)
    kinds = dict(db.session.execute(select(MatchEvent.kind, func.count())
                                    .group_by(MatchEvent.kind)).all())
    assert kinds["complete"] == int((market.events.kind == COMPLETE).sum())

    # the applications the events imply, with filled = seat holders, never over headcount
    assert summary["applications"] > 0 and summary["completed"] > 0
    seats = dict(db.session.execute(
        select(Application.shift_id, func.count())
        .where(Application.status.in_([s.value for s in SEAT_HOLDING]))
        .group_by(Application.shift_id)).all())
    for shift_id, filled, headcount in db.session.execute(
            select(Shift.id, Shift.filled, Shift.headcount)):
        assert filled == seats.get(shift_id, 0) <= headcount
    completed = db.session.scalar(select(func.count()).select_from(Application)
                                  .where(Application.status == AppStatus.COMPLETED))
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == completed
    overlaps = db.session.execute(text(
        "SELECT count(*) FROM applications a JOIN applications b "
        "ON a.worker_id = b.worker_id AND a.id < b.id "
        "AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at "
        f"WHERE a.status IN ({', '.join(repr(s.value) for s in BOOKED)}) "
        f"AND b.status IN ({', '.join(repr(s.value) for s in BOOKED)})")).scalar()
    assert overlaps == 0

    before = row_counts()
    again = invoke(app, "import", str(bundle))
    assert again.exit_code != 0 and "imported already" in again.output
    assert row_counts() == before

    # the database's own history (now the bundle's) can be evaluated too
    own = invoke(app, "evaluate", "--json", "--split-at", SPLIT)
    assert own.exit_code == 0, own.output
    report = json.loads(own.output)
    assert report["queries"] > 0
    assert all(0.0 <= v <= 1.0 for v in report["metrics"]["model"].values())
    assert row_counts() == before


def test_import_refuses_events_of_unknown_workers(app, bundle):
    with open(bundle / "events.csv", "a", encoding="utf-8") as fh:
        fh.write("2025-03-10T09:00:00+08:00,999999,1,apply,\n")
    before = row_counts()
    result = invoke(app, "import", str(bundle))
    assert result.exit_code != 0 and "worker_id not in workers.csv" in result.output
    assert row_counts() == before
