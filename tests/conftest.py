"""Fixtures: a real database (SQLite file, or PostgreSQL from DATABASE_URL), the real app,
and builder functions that create accounts, firms and shifts through the services."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from marketplace.app import create_app
from marketplace.auth.passwords import hash_password
from marketplace.extensions import db, limiter
from marketplace.validators import make_credit_code

# --- translations: compile the catalogs so a bare `pytest` sees the Chinese UI ---------------
# The .mo files are git-ignored (`make install` compiles them); compile any .po whose .mo is
# missing or older, so the tests render the same pages the app serves.
TRANSLATIONS = Path(__file__).resolve().parent.parent / "marketplace" / "translations"


def compile_catalogs(root: Path = TRANSLATIONS) -> list[Path]:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    compiled = []
    for po_path in sorted(root.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        partial = mo_path.with_name(f"{mo_path.name}.{os.getpid()}.tmp")
        with partial.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=True)
        os.replace(partial, mo_path)  # atomic: parallel workers never read half a file
        compiled.append(mo_path)
    return compiled


def pytest_sessionstart(session) -> None:
    compile_catalogs()
# -------------------------------------------------------------------------------------------


TEST_PASSWORD = "correct-horse-42"
_HASH = hash_password(TEST_PASSWORD)  # argon2 is slow on purpose: hash once per run
_phones = itertools.count(13800000000)
_codes = itertools.count(1)


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


def reset_schema() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
    else:
        db.drop_all()
    db.create_all()


def empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


class RequestScopedClient(FlaskClient):
    """A test client whose requests do not share `g` with each other.

    The autouse fixture keeps one application context open for the whole test, and Flask
    reuses it for every request, so `g` would outlive a request: Flask-Login's cached user
    (`g._login_user`) and Flask-WTF's CSRF token (`g.csrf_token`) would leak from one
    request (or one client) into the next, unlike production where each request gets a new
    context. A sign-in clears the session, so a leaked token no longer matches it.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            for key in list(vars(g)):
                delattr(g, key)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path_factory),
        "RATELIMIT_STORAGE_URI": "memory://",
        "MODEL_DIR": str(tmp_path_factory.mktemp("models")),
        "FIRM_STATS_TTL_SECONDS": 0,
        "SHIFT_STORE_SECONDS": 0,
        "FEED_CACHE_SECONDS": 0,
        "PUBLIC_LIST_CACHE_SECONDS": 0,
    })
    app.test_client_class = RequestScopedClient
    with app.app_context():
        reset_schema()
    return app


@pytest.fixture(scope="session")
def served(app):
    """The same app served by gunicorn in several processes, on the suite's database."""
    from tests.served import ServedApp

    server = ServedApp(app.config["SQLALCHEMY_DATABASE_URI"], app.config["SECRET_KEY"],
                       app.config["MODEL_DIR"])
    yield server
    server.stop()


class FreshReads:
    """The served app, after whose answers the test reads the database afresh: a SQLite
    reader keeps the snapshot its transaction began with (reloading an expired object in an
    f-string is enough to begin one). Call it from the test's thread only."""

    def __init__(self, served) -> None:
        self.served = served

    def send(self, *args, **kwargs):
        db.session.rollback()
        answer = self.served.send(*args, **kwargs)
        db.session.rollback()
        return answer

    def race(self, *args, **kwargs):
        db.session.rollback()
        answers = self.served.race(*args, **kwargs)
        db.session.rollback()
        return answers

    def __getattr__(self, name: str):
        return getattr(self.served, name)


@pytest.fixture
def server(served) -> FreshReads:
    return FreshReads(served)


def bearer(user) -> dict[str, str]:
    """An API token for the user, issued through the service."""
    from marketplace.auth.services import issue_token

    token = issue_token(user=user, ttl_days=1)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def _clean_state(request, app) -> Iterator[None]:
    ctx = app.app_context()
    ctx.push()
    limiter.reset()
    yield
    db.session.rollback()
    db.session.remove()
    empty_tables()
    ctx.pop()


@pytest.fixture
def client(app):
    return app.test_client()


def new_phone() -> str:
    return str(next(_phones))


def new_credit_code() -> str:
    return make_credit_code(f"91371000MA{next(_codes):07d}")


@pytest.fixture
def make_worker() -> Callable:
    from marketplace.auth.models import Role, User
    from marketplace.workers.models import WorkerCertificate, WorkerProfile, WorkerSkill

    def build(*, name: str = "张师傅", skills=("seafood_sorting",), certificates=(),
              district: str = "huancui", lat: float = 37.5097, lon: float = 122.1205,
              radius: int = 30, min_pay_fen: int = 0, origin: str | None = None,
              phone: str | None = None, priority_group: str | None = None) -> User:
        user = User(phone=phone or new_phone(), password_hash=_HASH, name=name,
                    role=Role.WORKER)
        user.worker_profile = WorkerProfile(
            district=district, home_lat=lat, home_lon=lon, commute_radius_km=radius,
            min_daily_pay_fen=min_pay_fen, origin_province=origin,
            priority_group=priority_group,
            skill_rows=[WorkerSkill(code=c) for c in skills],
            certificate_rows=[WorkerCertificate(code=c) for c in certificates],
        )
        db.session.add(user)
        db.session.commit()
        return user

    return build


@pytest.fixture
def make_firm() -> Callable:
    from marketplace.auth.models import Role, User
    from marketplace.firms.models import Firm, Verification

    def build(*, name: str = "威海海洋食品有限公司", verified: bool = True, size: str = "small",
              industry: str = "food_processing") -> User:
        firm = Firm(name=name, credit_code=new_credit_code(), size=size, industry=industry,
                    district="jingqu", lat=37.4578, lon=122.1773,
                    verification_status=Verification.VERIFIED if verified
                    else Verification.PENDING)
        user = User(phone=new_phone(), password_hash=_HASH, name="王经理", role=Role.FIRM,
                    firm=firm)
        db.session.add(user)
        db.session.commit()
        return user

    return build


@pytest.fixture
def make_admin() -> Callable:
    from marketplace.auth.models import Role, User

    def build() -> User:
        user = User(phone=new_phone(), password_hash=_HASH, name="人社局管理员", role=Role.ADMIN)
        db.session.add(user)
        db.session.commit()
        return user

    return build


# --- HR agencies ------------------------------------------------------------------------
_licences = itertools.count(1)


@pytest.fixture
def make_agency() -> Callable:
    from marketplace.agencies.models import Agency
    from marketplace.auth.models import Role, User
    from marketplace.firms.models import Verification

    def build(*, name: str = "威海诚信人力资源有限公司", verified: bool = True,
              suspended: bool = False) -> User:
        agency = Agency(name=name, credit_code=new_credit_code(),
                        licence_no=f"371000{next(_licences):08d}", district="huancui",
                        verification_status=Verification.VERIFIED if verified
                        else Verification.PENDING, brokering_suspended=suspended)
        user = User(phone=new_phone(), password_hash=_HASH, name="刘经理", role=Role.AGENCY,
                    agency=agency)
        db.session.add(user)
        db.session.commit()
        return user

    return build


@pytest.fixture
def enrol() -> Callable:
    """Put a worker on an agency's roster the way it happens: the agency invites, the worker
    accepts; optionally with standing consent for some categories."""
    from marketplace.agencies import roster

    def do(agency_user, worker, *, consent: tuple[str, ...] = ()):
        membership = roster.invite(actor=agency_user, phone=worker.phone)
        roster.answer_invitation(actor=worker, membership_id=membership.id, accept=True)
        if consent:
            roster.set_consents(actor=worker, membership_id=membership.id,
                                categories=list(consent))
        db.session.commit()
        return membership

    return do


def in_hours(hours: float) -> dt.datetime:
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    return now + dt.timedelta(hours=hours)


@pytest.fixture
def make_shift() -> Callable:
    from marketplace.shifts.services import post_shift

    def build(firm_user, *, start_in_hours: float = 48, hours: float = 8, headcount: int = 5,
              pay_fen: int = 3000, unit: str = "hour", **extra):
        starts = extra.pop("starts_at", None) or in_hours(start_in_hours)
        data = {
            "title": "海产品分拣工", "category": "food_processing", "district": "jingqu",
            "starts_at": starts, "ends_at": extra.pop("ends_at", None)
            or starts + dt.timedelta(hours=hours),
            "headcount": headcount, "pay_amount_fen": pay_fen, "pay_unit": unit,
            "settlement": "daily", "skills": ["seafood_sorting"], **extra,
        }
        shift = post_shift(actor=firm_user, data=data)
        db.session.commit()
        return shift

    return build


CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in page"
    return match.group(1)


@pytest.fixture
def login() -> Callable:
    """Sign in through the real login form, CSRF token and all."""

    def do(client, user, password: str = TEST_PASSWORD):
        page = client.get("/login")
        token = csrf_from(page.get_data(as_text=True))
        response = client.post("/login", data={"phone": user.phone, "password": password,
                                               "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do


@pytest.fixture
def api_token(client) -> Callable:
    def issue(user, password: str = TEST_PASSWORD) -> dict[str, str]:
        response = client.post("/api/v1/auth/token",
                               json={"phone": user.phone, "password": password})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return issue


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "e2e" in Path(str(item.fspath)).parts:
            item.add_marker(pytest.mark.e2e)
