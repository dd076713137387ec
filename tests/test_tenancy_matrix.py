"""Walk every route in the URL map as each kind of visitor and as another tenant.

Each (rule, method) needs an entry in MATRIX, or the test fails: a new route cannot ship
without someone deciding who may use it. Another tenant's objects give 404 (not 403, so
existence does not leak), and no body ever shows another tenant's marker strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask

from marketplace.auth.services import issue_token
from marketplace.extensions import db
from marketplace.firms.services import add_favourite
from marketplace.shifts import applications as apps
from tests.conftest import csrf_from, empty_tables

PUBLIC, ANY_USER, PARTY = "public", "any_user", "party"  # party: the worker or the firm
WORKER, FIRM, ADMIN = "worker", "firm", "admin"
PARTNER, AGENCY = "partner", "agency"
# Labor bases: several roles share some routes.
BASE_STAFF = "base_staff"  # administrators, and a base's partner for its own base
COHORT_ORG = "cohort_org"  # partners and agencies, who register cohorts
COHORT_VIEW = "cohort_view"  # the same, and administrators (read only)
ROLE_GROUPS = {
    ANY_USER: {WORKER, FIRM, ADMIN, PARTNER, AGENCY}, PARTY: {WORKER, FIRM},
    BASE_STAFF: {ADMIN, PARTNER}, COHORT_ORG: {PARTNER, AGENCY},
    COHORT_VIEW: {ADMIN, PARTNER, AGENCY},
}


@dataclass(frozen=True)
class Rule:
    who: str  # PUBLIC, ANY_USER, or a role
    owner: str | None = None  # whose object the URL names: "worker_a" or "firm_a"


MATRIX: dict[tuple[str, str], Rule] = {
    # public pages and documents
    ("/", "GET"): Rule(PUBLIC), ("/healthz", "GET"): Rule(PUBLIC),
    ("/login", "GET"): Rule(PUBLIC), ("/login", "POST"): Rule(PUBLIC),
    ("/register", "GET"): Rule(PUBLIC),
    ("/register/worker", "GET"): Rule(PUBLIC), ("/register/worker", "POST"): Rule(PUBLIC),
    ("/register/firm", "GET"): Rule(PUBLIC), ("/register/firm", "POST"): Rule(PUBLIC),
    ("/lang/<code>", "GET"): Rule(PUBLIC),
    ("/static/<path:filename>", "GET"): Rule(PUBLIC),
    ("/shifts", "GET"): Rule(PUBLIC),
    ("/shifts/<int:shift_id>", "GET"): Rule(PUBLIC),
    ("/logout", "POST"): Rule(ANY_USER),
    # worker pages
    ("/shifts/<int:shift_id>/apply", "POST"): Rule(WORKER),
    ("/me/feed", "GET"): Rule(WORKER),
    ("/me/applications", "GET"): Rule(WORKER),
    ("/me/applications/<int:application_id>/<action>", "POST"): Rule(WORKER, "worker_a"),
    ("/me/applications/<int:application_id>/rate", "POST"): Rule(WORKER, "worker_a"),
    ("/me/profile", "GET"): Rule(WORKER), ("/me/profile", "POST"): Rule(WORKER),
    ("/me/availability", "GET"): Rule(WORKER), ("/me/availability", "POST"): Rule(WORKER),
    ("/me/pay", "GET"): Rule(WORKER), ("/me/calendar.ics", "GET"): Rule(WORKER),
    ("/me/notifications", "GET"): Rule(WORKER),
    # firm pages
    ("/firm/", "GET"): Rule(FIRM),
    ("/firm/shifts/new", "GET"): Rule(FIRM), ("/firm/shifts/new", "POST"): Rule(FIRM),
    ("/firm/shifts/<int:shift_id>/edit", "GET"): Rule(FIRM, "firm_a"),
    ("/firm/shifts/<int:shift_id>/edit", "POST"): Rule(FIRM, "firm_a"),
    ("/firm/shifts/<int:shift_id>/cancel", "POST"): Rule(FIRM, "firm_a"),
    ("/firm/shifts/<int:shift_id>/applicants", "GET"): Rule(FIRM, "firm_a"),
    ("/firm/applications/<int:application_id>/<action>", "POST"): Rule(FIRM, "firm_a"),
    ("/firm/applications/<int:application_id>/rate", "POST"): Rule(FIRM, "firm_a"),
    ("/firm/workers/<int:worker_id>/favourite", "POST"): Rule(FIRM, "firm_a"),
    ("/firm/favourites", "GET"): Rule(FIRM),
    ("/firm/favourites/invite", "POST"): Rule(FIRM, "firm_a"),
    ("/firm/notifications", "GET"): Rule(FIRM),
    ("/firm/shifts/<int:shift_id>/candidates", "GET"): Rule(FIRM, "firm_a"),
    ("/firm/shifts/<int:shift_id>/candidates/<int:worker_id>/invite", "POST"):
        Rule(FIRM, "firm_a"),
    ("/firm/match", "GET"): Rule(FIRM), ("/firm/match", "POST"): Rule(FIRM),
    # administrators
    ("/admin/", "GET"): Rule(ADMIN),
    ("/admin/firms", "GET"): Rule(ADMIN),
    ("/admin/firms/<int:firm_id>/<decision>", "POST"): Rule(ADMIN),
    ("/admin/users", "GET"): Rule(ADMIN),
    ("/admin/users/<int:user_id>/<change>", "POST"): Rule(ADMIN),
    ("/admin/audit", "GET"): Rule(ADMIN),
    ("/admin/ranker", "GET"): Rule(ADMIN),
    ("/admin/ranker/promote", "POST"): Rule(ADMIN),
    ("/admin/ranker/boost", "POST"): Rule(ADMIN),
    # JSON API
    ("/api/v1/openapi.json", "GET"): Rule(PUBLIC),
    ("/api/v1/auth/register", "POST"): Rule(PUBLIC),
    ("/api/v1/auth/token", "POST"): Rule(PUBLIC),
    ("/api/v1/me", "GET"): Rule(ANY_USER), ("/api/v1/me", "PATCH"): Rule(ANY_USER),
    ("/api/v1/me/availability", "GET"): Rule(WORKER),
    ("/api/v1/me/availability", "PUT"): Rule(WORKER),
    ("/api/v1/shifts", "GET"): Rule(PUBLIC), ("/api/v1/shifts", "POST"): Rule(FIRM),
    ("/api/v1/shifts/<int:shift_id>", "GET"): Rule(PUBLIC),
    ("/api/v1/shifts/<int:shift_id>", "PATCH"): Rule(FIRM, "firm_a"),
    ("/api/v1/shifts/<int:shift_id>/cancel", "POST"): Rule(FIRM, "firm_a"),
    ("/api/v1/feed", "GET"): Rule(WORKER),
    ("/api/v1/shifts/<int:shift_id>/applications", "POST"): Rule(WORKER),
    ("/api/v1/shifts/<int:shift_id>/applications", "GET"): Rule(FIRM, "firm_a"),
    ("/api/v1/applications/<int:application_id>", "GET"): Rule(ANY_USER, "both"),
    ("/api/v1/applications/<int:application_id>/<action>", "POST"): Rule(PARTY, "both"),
    ("/api/v1/applications/<int:application_id>/rating", "POST"): Rule(PARTY, "both"),
    ("/api/v1/admin/firms/<int:firm_id>/verify", "POST"): Rule(ADMIN),
    ("/api/v1/shifts/<int:shift_id>/candidates", "GET"): Rule(FIRM, "firm_a"),
    ("/api/v1/match", "GET"): Rule(FIRM), ("/api/v1/match", "POST"): Rule(FIRM),
    # labor bases: registry (administrators), partner pages, cohorts, firms, workers
    ("/admin/bases", "GET"): Rule(ADMIN),
    ("/admin/bases/new", "GET"): Rule(ADMIN), ("/admin/bases/new", "POST"): Rule(ADMIN),
    ("/admin/bases/<int:base_id>", "GET"): Rule(ADMIN),
    ("/admin/bases/<int:base_id>", "POST"): Rule(ADMIN),
    ("/admin/bases/<int:base_id>/partners", "POST"): Rule(ADMIN),
    ("/admin/bases/figures", "GET"): Rule(ADMIN),
    ("/admin/bases/figures.csv", "GET"): Rule(ADMIN),
    ("/base/", "GET"): Rule(PARTNER), ("/base/figures", "GET"): Rule(PARTNER),
    ("/base/figures.csv", "GET"): Rule(PARTNER),
    ("/cohorts/", "GET"): Rule(COHORT_ORG),
    ("/cohorts/new", "GET"): Rule(COHORT_ORG), ("/cohorts/new", "POST"): Rule(COHORT_ORG),
    ("/cohorts/<int:cohort_id>", "GET"): Rule(COHORT_VIEW, "partner_a"),
    ("/cohorts/<int:cohort_id>/members", "POST"): Rule(COHORT_ORG, "partner_a"),
    ("/cohorts/<int:cohort_id>/members/<int:member_id>/withdraw", "POST"):
        Rule(COHORT_ORG, "partner_a"),
    ("/cohorts/<int:cohort_id>/cancel", "POST"): Rule(COHORT_ORG, "partner_a"),
    ("/firm/cohorts", "GET"): Rule(FIRM),
    ("/me/base", "GET"): Rule(WORKER),
    ("/me/cohorts/<int:member_id>/<answer>", "POST"): Rule(WORKER, "worker_a"),
    ("/api/v1/labor-bases", "GET"): Rule(ANY_USER), ("/api/v1/labor-bases", "POST"): Rule(ADMIN),
    ("/api/v1/labor-bases/<int:base_id>", "GET"): Rule(BASE_STAFF, "partner_a"),
    ("/api/v1/labor-bases/<int:base_id>", "PATCH"): Rule(ADMIN),
    ("/api/v1/labor-bases/<int:base_id>/partners", "POST"): Rule(ADMIN),
    ("/api/v1/labor-bases/figures", "GET"): Rule(BASE_STAFF),
    ("/api/v1/cohorts", "GET"): Rule(COHORT_VIEW), ("/api/v1/cohorts", "POST"): Rule(COHORT_ORG),
    ("/api/v1/cohorts/upcoming", "GET"): Rule(FIRM),
    ("/api/v1/cohorts/<int:cohort_id>", "GET"): Rule(COHORT_VIEW, "partner_a"),
    ("/api/v1/cohorts/<int:cohort_id>/members", "POST"): Rule(COHORT_ORG, "partner_a"),
    ("/api/v1/cohorts/<int:cohort_id>/cancel", "POST"): Rule(COHORT_ORG, "partner_a"),
    ("/api/v1/me/cohorts", "GET"): Rule(WORKER),
    ("/api/v1/me/cohorts/<int:member_id>/accept", "POST"): Rule(WORKER, "worker_a"),
    ("/api/v1/me/cohorts/<int:member_id>/decline", "POST"): Rule(WORKER, "worker_a"),
}

# Valid bodies, so that a refusal comes from access control and not from validation.
PAYLOADS: dict[str, dict] = {
    "/api/v1/applications/<int:application_id>/rating": {"score": 5},
    "/me/applications/<int:application_id>/rate": {"score": "5"},
    "/firm/applications/<int:application_id>/rate": {"score": "5"},
    "/firm/favourites/invite": {"shift_id": "{shift_id}", "worker_id": "{worker_id}"},
    "/admin/users/<int:user_id>/<change>": {"reason": "test"},
    "/admin/firms/<int:firm_id>/<decision>": {"note": "test"},
    "/admin/ranker/promote": {"version": "no-such-model"},
    "/admin/ranker/boost": {"enabled": "y", "weight": "10"},
    "/admin/bases/new": {"name": "陕西安康劳务基地", "kind": "labor_base", "province": "陕西",
                         "city": "安康市", "partner_org": "安康市人力资源和社会保障局"},
    "/admin/bases/<int:base_id>": {"name": "甲劳务基地", "kind": "labor_base", "province": "甘肃",
                                   "city": "定西市", "partner_org": "定西市人社局"},
    "/admin/bases/<int:base_id>/partners": {"name": "新伙伴", "phone": "13912345678",
                                            "password": "partner-pass-1"},
    "/cohorts/new": {"arrival_date": "{arrival}", "headcount": "12", "labor_base_id": "{base_id}",
                     "housing_needed": "y"},
    "/cohorts/<int:cohort_id>/members": {"phone": "{worker_b_phone}"},
    "/api/v1/labor-bases": {"name": "陕西安康劳务基地", "province": "陕西", "city": "安康市",
                            "partner_org": "安康市人力资源和社会保障局"},
    "/api/v1/labor-bases/<int:base_id>": {"city": "定西市"},
    "/api/v1/labor-bases/<int:base_id>/partners": {"name": "新伙伴", "phone": "13912345678",
                                                   "password": "partner-pass-1"},
    "/api/v1/cohorts": {"arrival_date": "{arrival}", "headcount": 12, "meals_needed": True},
    "/api/v1/cohorts/<int:cohort_id>/members": {"phone": "{worker_b_phone}"},
}

# Path values that differ from the defaults for one rule: parameter -> key in the world's values.
# A candidate to invite must be eligible (worker A has already applied to shift A).
URL_VALUES: dict[str, dict[str, str]] = {
    "/firm/shifts/<int:shift_id>/candidates/<int:worker_id>/invite": {"worker_id": "candidate_id"},
}

MARKER_SHIFT_B = "MARKERSHIFTB"  # firm B's private shift title (cancelled, so not public)
MARKER_WORKER_A = "MARKERWORKERA"  # worker A's name: only A, firm A (applicant) and admins
MARKER_COHORT_B = "MARKERCOHORTB"  # base B's cohort note: base B's partner, firms and admins


def routes(app: Flask) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method))
    return sorted(found)


def test_every_route_has_a_matrix_entry(app):
    missing = [r for r in routes(app) if r not in MATRIX]
    assert not missing, f"routes without a tenancy decision: {missing}"
    stale = [r for r in MATRIX if r not in routes(app)]
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


@pytest.fixture
def world(make_firm, make_worker, make_shift, make_admin):
    return lambda: build_world(make_firm, make_worker, make_shift, make_admin)


def build_world(make_firm, make_worker, make_shift, make_admin):
    import datetime as dt

    from marketplace.agencies.models import Agency
    from marketplace.auth.models import Role, User
    from marketplace.laborbases import services as bases
    from tests.conftest import _HASH, new_credit_code, new_phone

    db.session.rollback()
    empty_tables()
    firm_a, firm_b = make_firm(name="甲公司"), make_firm(name="乙公司")
    worker_a, worker_b = make_worker(name=MARKER_WORKER_A), make_worker(name="乙工人")
    admin = make_admin()
    base_a = bases.create_base(actor=admin, data={
        "name": "甲劳务基地", "province": "甘肃", "city": "定西市", "partner_org": "定西市人社局"})
    base_b = bases.create_base(actor=admin, data={
        "name": "乙劳务基地", "province": "贵州", "city": "毕节市", "partner_org": "毕节市人社局"})
    partner_a, partner_b = (
        User(phone=new_phone(), password_hash=_HASH, name=f"{n}基地联络员", role=Role.PARTNER,
             labor_base_id=base.id) for n, base in (("甲", base_a), ("乙", base_b)))
    agency = Agency(name="丙人力资源公司", credit_code=new_credit_code(), licence_no="LIC-0001",
                    verification_status="verified")
    agency_a = User(phone=new_phone(), password_hash=_HASH, name="丙中介", role=Role.AGENCY,
                    agency=agency)
    db.session.add_all([partner_a, partner_b, agency_a])
    db.session.flush()
    arrival = dt.date.today() + dt.timedelta(days=10)
    cohort_a = bases.create_cohort(actor=partner_a, data={
        "arrival_date": arrival, "headcount": 10, "housing_needed": True})
    bases.create_cohort(actor=partner_b, data={
        "arrival_date": arrival, "headcount": 8, "note": MARKER_COHORT_B})
    member_a = bases.add_member(actor=partner_a, cohort_id=cohort_a.id, phone=worker_a.phone)
    db.session.commit()
    shift_a = make_shift(firm_a, title="甲公司分拣班")
    shift_b = make_shift(firm_b, title=MARKER_SHIFT_B)
    app_a = apps.apply(actor=worker_a, shift_id=shift_a.id)
    db.session.flush()
    apps.transition(actor=firm_a, application_id=app_a.id, action="offer")
    add_favourite(actor=firm_a, worker_id=worker_a.id)
    db.session.commit()
    from marketplace.shifts.services import cancel_shift

    cancel_shift(actor=firm_b, shift_id=shift_b.id)
    db.session.commit()
    users = {"worker_a": worker_a, "worker_b": worker_b, "firm_a": firm_a, "firm_b": firm_b,
             "admin": admin, "partner_a": partner_a, "partner_b": partner_b,
             "agency_a": agency_a}
    values = {"shift_id": shift_a.id, "application_id": app_a.id, "firm_id": firm_a.firm_id,
              "worker_id": worker_a.id, "user_id": worker_b.id, "candidate_id": worker_b.id,
              "action": "withdraw", "decision": "verify", "change": "suspend", "code": "en",
              "filename": "css/app.css", "base_id": base_a.id, "cohort_id": cohort_a.id,
              "member_id": member_a.id, "answer": "accept", "arrival": arrival.isoformat(),
              "worker_b_phone": worker_b.phone}
    return users, values


def build_url(rule: str, values: dict, principal: str | None) -> str:
    values = {**values, **{name: values[key] for name, key in URL_VALUES.get(rule, {}).items()}}
    if "<action>" in rule:
        values = {**values, "action": "withdraw" if principal and "worker" in principal
                  else "reject"}
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule)


def signed_in_client(app, user):
    client = app.test_client()
    if user is not None:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
    return client


def request_as(app, principal, users, values, rule, method, url):
    user = users.get(principal) if principal else None
    client = signed_in_client(app, user)
    payload = {k: v.format(**values) if isinstance(v, str) else v
               for k, v in PAYLOADS.get(rule, {}).items()}
    if rule.startswith("/api/"):
        headers = {}
        if user is not None:
            headers["Authorization"] = f"Bearer {issue_token(user=user, ttl_days=1)}"
            db.session.commit()
        return client.open(url, method=method, json=payload, headers=headers)
    if method != "GET":
        page = client.get("/login" if user is None else "/shifts").get_data(as_text=True)
        payload["csrf_token"] = csrf_from(page)
    return client.open(url, method=method, data=payload if method != "GET" else None)


PRINCIPALS = [None, "worker_a", "worker_b", "firm_a", "firm_b", "admin", "partner_a",
              "partner_b", "agency_a"]


def expected_denial(entry: Rule, principal: str | None, rule: str) -> int | None:
    """The status a principal must get, or None when access is allowed."""
    api = rule.startswith("/api/")
    if entry.who == PUBLIC:
        return None
    if principal is None:
        return 401 if api else 302
    role = principal.split("_")[0]
    if entry.owner == "both" and role not in (WORKER, FIRM, ADMIN):
        return 404  # an application exists only for its worker, its firm and administrators
    allowed = ROLE_GROUPS.get(entry.who, {entry.who})
    if role not in allowed:
        return 403 if api else 404
    owner = entry.owner
    if owner == "both":
        owner = "firm_a" if role == "firm" else "worker_a" if role == "worker" else None
    if owner and principal != owner and role != "admin":
        return 404
    return None


def test_each_route_as_each_visitor(app, world):
    failures = []
    for rule, method in routes(app):
        entry = MATRIX.get((rule, method))
        if entry is None:
            continue
        users, values = world()  # a fresh world per route: earlier requests change things
        for principal in PRINCIPALS:
            url = build_url(rule, values, principal)
            response = request_as(app, principal, users, values, rule, method, url)
            body = response.get_data(as_text=True)
            denial = expected_denial(entry, principal, rule)
            status = response.status_code
            if status >= 500:
                failures.append(f"{method} {url} as {principal}: {status}")
            elif denial is not None and status != denial:
                failures.append(f"{method} {url} as {principal}: {status}, expected {denial}")
            elif denial is None and status in (401, 403, 404) and entry.who != PUBLIC:
                failures.append(f"{method} {url} as {principal}: refused with {status}")
            if (principal in ("worker_b", "firm_b", None, "partner_a", "partner_b", "agency_a")
                    and MARKER_WORKER_A in body):
                failures.append(f"{method} {url} as {principal}: shows worker A")
            if (principal in ("worker_a", "worker_b", None, "partner_a", "agency_a")
                    and MARKER_COHORT_B in body):
                failures.append(f"{method} {url} as {principal}: shows base B's cohort")
            if principal not in ("firm_b", "admin") and MARKER_SHIFT_B in body:
                failures.append(f"{method} {url} as {principal}: shows firm B's shift")
    assert not failures, "\n".join(failures)
