"""Train on the database's history, store, promote (refusing worse models), serve once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from marketplace.demo.loader import load
from marketplace.extensions import db
from marketplace.matching import registry


@pytest.fixture
def model_dir(app):
    path = Path(app.config["MODEL_DIR"])
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_train_promote_refuse_worse_and_reload(app, model_dir):
    with pytest.raises(registry.NoHistory):
        registry.train()
    load(seed=3, scale="small")
    first = registry.train(seed=0)
    db.session.commit()
    assert (model_dir / f"{first['version']}.joblib").exists()
    assert first["feature_names"] and "priority" not in " ".join(first["feature_names"])
    assert first["train_from"] and first["train_to"]
    assert registry.status()["promoted"] is None
    assert registry.current_ranker() is None

    registry.promote(first["version"])
    ranker = registry.current_ranker()
    assert ranker is not None and ranker.meta.version == first["version"]
    assert registry.current_ranker() is ranker  # loaded once per process

    # A second model that validated worse is refused unless forced.
    worse = dict(first, version=first["version"] + "-worse", score=first["score"] - 0.1)
    shutil.copy(model_dir / f"{first['version']}.joblib", model_dir / f"{worse['version']}.joblib")
    (model_dir / f"{worse['version']}.json").write_text(json.dumps(worse))
    with pytest.raises(registry.PromotionRefused):
        registry.promote(worse["version"])
    registry.promote(worse["version"], force=True)
    assert registry.status()["promoted"] == worse["version"]
    with pytest.raises(registry.UnknownModel):
        registry.promote("no-such-model")


def test_cli_train_and_status(app, model_dir):
    load(seed=4, scale="small")
    runner = app.test_cli_runner()
    trained = runner.invoke(args=["ranker", "train", "--promote-if-better"])
    assert trained.exit_code == 0, trained.output
    status = runner.invoke(args=["ranker", "status", "--json"])
    body = json.loads(status.output)
    assert body["promoted"] == body["models"][0]["version"]


def test_feed_uses_the_promoted_model_and_explores(app, model_dir):
    from sqlalchemy import select

    from marketplace.auth.models import User
    from marketplace.matching.feed import build_feed
    from marketplace.matching.models import MatchEvent

    load(seed=5, scale="small")
    worker = db.session.scalar(select(User).where(User.phone == "13900000003"))
    content_items, total = build_feed(actor=worker, log=False)
    assert total > 20
    meta = registry.train(seed=0)
    registry.promote(meta["version"])
    db.session.commit()

    items, model_total = build_feed(actor=worker)
    db.session.commit()

    assert model_total == total  # the same eligible shifts, ranked differently
    assert [i.score for i in items] != [i.score for i in content_items]
    explored = [i for i in items if i.explored]
    assert len(explored) == 2  # 10 % of a 20-item page
    assert all(i.reasons[0][0] == "explore" for i in explored)
    sources = dict(db.session.execute(
        select(MatchEvent.position, MatchEvent.source).where(
            MatchEvent.worker_id == worker.id, MatchEvent.kind == "impression",
            MatchEvent.source.in_(["feed", "explore"]))).all())
    assert sorted(p for p, s in sources.items() if s == "explore") == sorted(
        i.position for i in explored)
