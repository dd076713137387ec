"""Labor-base pages through the real test client, CSRF tokens taken from the forms."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from marketplace.admin.models import AuditLog
from marketplace.auth.models import User
from marketplace.extensions import db
from marketplace.laborbases import services
from marketplace.laborbases.models import Cohort, CohortMember, LaborBase
from tests.conftest import csrf_from
from tests.laborbases.conftest import local_today


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def submit(client, form_url: str, data: dict, post_url: str | None = None):
    token = csrf_from(page(client, form_url))
    return client.post(post_url or form_url, data={**data, "csrf_token": token})


BASE_FORM = {"name": "甘肃陇南劳务基地", "kind": "labor_base", "province": "甘肃",
             "city": "陇南市", "partner_org": "陇南市人力资源和社会保障局",
             "contact_name": "王科长", "contact_phone": "0939-8210000"}


def test_administrator_adds_edits_and_lists_bases(client, login, admin, make_base):
    make_base(name="贵州毕节劳务基地", province="贵州", city="毕节市")
    login(client, admin)
    response = submit(client, "/admin/bases/new", BASE_FORM)
    assert response.status_code == 303
    base = db.session.scalar(select(LaborBase).where(LaborBase.name == "甘肃陇南劳务基地"))
    assert base.contact_phone == "0939-8210000"

    html = page(client, "/admin/bases")
    assert "甘肃陇南劳务基地" in html and "贵州毕节劳务基地" in html and "劳务基地" in html
    only = page(client, "/admin/bases?province=贵州")
    assert "贵州毕节劳务基地" in only and "甘肃陇南劳务基地" not in only
    regions = page(client, "/admin/bases?kind=cooperation_region")
    assert "甘肃陇南劳务基地" not in regions

    edited = submit(client, f"/admin/bases/{base.id}",
                    {**BASE_FORM, "kind": "cooperation_region", "city": "陇南市武都区"})
    assert edited.status_code == 303
    db.session.refresh(base)
    assert base.kind == "cooperation_region" and base.city == "陇南市武都区"
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"labor_base.create", "labor_base.update"} <= actions


def test_registry_form_errors_are_shown_not_500(client, login, admin, make_base):
    make_base()
    login(client, admin)
    shandong = submit(client, "/admin/bases/new", {**BASE_FORM, "province": "山东"})
    assert shandong.status_code == 422
    duplicate = submit(client, "/admin/bases/new", {**BASE_FORM, "name": "甘肃定西劳务基地"})
    assert duplicate.status_code == 409
    assert "已登记" in duplicate.get_data(as_text=True)
    assert submit(client, "/admin/bases/new", {**BASE_FORM, "city": ""}).status_code == 422
    assert page(client, "/admin/bases/99999", 404)


def test_administrator_creates_a_partner_account_who_signs_in_to_their_base(
        app, client, login, admin, make_base):
    base = make_base()
    login(client, admin)
    response = submit(client, f"/admin/bases/{base.id}",
                      {"name": "定西联络员", "phone": "13912340009", "password": "partner-pass-1"},
                      post_url=f"/admin/bases/{base.id}/partners")
    assert response.status_code == 303
    html = page(client, f"/admin/bases/{base.id}")
    assert "定西联络员" in html and "139****0009" in html and "13912340009" not in html
    bad = submit(client, f"/admin/bases/{base.id}", {"name": "x", "phone": "139", "password": "x"},
                 post_url=f"/admin/bases/{base.id}/partners")
    assert bad.status_code == 422

    partner_client = app.test_client()
    partner = db.session.scalar(select(User).where(User.phone == "13912340009"))
    login(partner_client, partner, password="partner-pass-1")
    home = partner_client.get("/")
    assert home.headers["Location"].endswith("/base/")
    html = page(partner_client, "/base/")
    assert "甘肃定西劳务基地" in html and "登记批次" in html


def test_partner_registers_a_cohort_and_attaches_a_worker(client, login, make_base,
                                                         make_partner, make_worker):
    base = make_base()
    partner = make_partner(base)
    worker = make_worker(name="MEMBERNAME")
    login(client, partner)
    arrival = (local_today() + dt.timedelta(days=9)).isoformat()
    response = submit(client, "/cohorts/new", {
        "arrival_date": arrival, "headcount": "25", "skills": ["seafood_sorting", "loading"],
        "housing_needed": "y", "district": "rongcheng", "note": "其中8人有健康证"})
    assert response.status_code == 303
    cohort = db.session.scalar(select(Cohort))
    assert cohort.labor_base_id == base.id and cohort.housing_needed and not cohort.meals_needed
    assert response.headers["Location"].endswith(f"/cohorts/{cohort.id}")

    url = f"/cohorts/{cohort.id}"
    attached = submit(client, url, {"phone": worker.phone}, post_url=f"{url}/members")
    assert attached.status_code == 303
    html = page(client, url)
    assert worker.phone[:3] + "****" + worker.phone[-4:] in html
    assert "MEMBERNAME" not in html  # the name shows once the worker confirms
    unknown = submit(client, url, {"phone": "13700000001"}, post_url=f"{url}/members")
    assert unknown.status_code == 422 and "没有" in unknown.get_data(as_text=True)

    member = db.session.scalar(select(CohortMember))
    services.answer_invitation(actor=worker, member_id=member.id, accept=True)
    db.session.commit()
    assert "MEMBERNAME" in page(client, url)
    assert str(cohort.id) in page(client, "/cohorts/")


def test_partner_of_base_a_never_sees_base_b(client, login, make_base, make_partner,
                                             make_cohort, make_worker):
    base_a = make_base()
    base_b = make_base(name="贵州毕节劳务基地", province="贵州", city="毕节市")
    partner_a, partner_b = make_partner(base_a), make_partner(base_b)
    theirs = make_cohort(partner_b, note="BASEBNOTE", headcount=7)
    worker = make_worker()
    login(client, partner_a)
    page(client, f"/cohorts/{theirs.id}", 404)
    html = page(client, "/cohorts/")
    assert "BASEBNOTE" not in html and "贵州毕节劳务基地" not in html
    token = csrf_from(page(client, "/cohorts/"))
    for url, data in ((f"/cohorts/{theirs.id}/members", {"phone": worker.phone}),
                      (f"/cohorts/{theirs.id}/cancel", {})):
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 404
    db.session.refresh(theirs)
    assert theirs.members == 0 and not theirs.is_cancelled
    # base_id in the query string does not open another base's figures
    figures = page(client, f"/base/figures?base_id={base_b.id}")
    assert "甘肃定西劳务基地" in figures and "贵州毕节劳务基地" not in figures
    csv_text = page(client, f"/base/figures.csv?base_id={base_b.id}")
    assert "贵州" not in csv_text
    page(client, "/admin/bases/figures", 404)
    page(client, f"/admin/bases/{base_b.id}", 404)


def test_figures_pages_draw_the_chart_and_export_csv(client, login, admin, make_base,
                                                     make_partner, make_cohort):
    base = make_base()
    make_cohort(make_partner(base), arrival=local_today(), headcount=14)
    login(client, admin)
    html = page(client, "/admin/bases/figures")
    assert "<svg" in html and 'class="bar bar-arrivals"' in html and "甘肃定西劳务基地" in html
    assert "到达人数" in html
    weekly = page(client, "/admin/bases/figures?granularity=week")
    assert "-W" in weekly
    bad = client.get("/admin/bases/figures?start=2026-05-01&end=2026-01-01")
    assert bad.status_code == 422
    response = client.get("/admin/bases/figures.csv?granularity=week")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufefflevel,period") and "甘肃定西劳务基地" in text
    assert db.session.scalar(select(AuditLog).where(
        AuditLog.action == "labor_base.figures_export")) is not None


def test_worker_accepts_the_tag_on_the_phone_and_picks_a_base_on_the_profile(
        client, login, make_base, make_partner, make_cohort, make_worker):
    base = make_base()
    other = make_base(name="四川广安劳务基地", province="四川", city="广安市")
    partner = make_partner(base)
    cohort = make_cohort(partner)
    worker = make_worker()
    member = services.add_member(actor=partner, cohort_id=cohort.id, phone=worker.phone)
    db.session.commit()
    login(client, worker)
    profile_html = page(client, "/me/profile")
    assert "待确认" in profile_html and "四川 · 四川广安劳务基地" in profile_html
    html = page(client, "/me/base")
    assert "甘肃定西劳务基地" in html and "是的" in html
    response = submit(client, "/me/base", {}, post_url=f"/me/cohorts/{member.id}/accept")
    assert response.status_code == 303
    db.session.refresh(worker.worker_profile)
    assert worker.worker_profile.labor_base_id == base.id
    again = submit(client, "/me/base", {}, post_url=f"/me/cohorts/{member.id}/decline")
    assert again.status_code == 303  # already answered: a message, nothing changes
    db.session.refresh(member)
    assert member.status == "accepted"
    assert client.post(f"/me/cohorts/{member.id}/maybe",
                       data={"csrf_token": csrf_from(page(client, "/me/base"))}
                       ).status_code == 404

    form = {"name": "李师傅", "district": "jingqu", "commute_radius_km": "20",
            "min_daily_pay_yuan": "150", "origin_province": "四川",
            "labor_base_id": str(other.id), "labor_base": "", "bio": "", "priority_group": "",
            "id_number": ""}
    assert submit(client, "/me/profile", form).status_code == 303
    db.session.refresh(worker.worker_profile)
    assert worker.worker_profile.labor_base_id == other.id
    assert worker.worker_profile.labor_base == "四川广安劳务基地"
    assert submit(client, "/me/profile", {**form, "labor_base_id": "99999"}).status_code == 422
    assert submit(client, "/me/profile", {**form, "labor_base_id": "abc"}).status_code == 422


def test_another_worker_cannot_answer(client, login, make_base, make_partner, make_cohort,
                                      make_worker):
    partner = make_partner(make_base())
    cohort = make_cohort(partner)
    invited, other = make_worker(), make_worker(name="别人")
    member = services.add_member(actor=partner, cohort_id=cohort.id, phone=invited.phone)
    db.session.commit()
    login(client, other)
    assert "甘肃定西劳务基地" not in page(client, "/me/base")
    token = csrf_from(page(client, "/me/base"))
    assert client.post(f"/me/cohorts/{member.id}/accept",
                       data={"csrf_token": token}).status_code == 404


def test_firm_sees_cohorts_needing_its_housing_first(app, client, login, make_base,
                                                     make_partner, make_cohort, make_firm,
                                                     make_shift):
    base = make_base(contact_name="王科长", contact_phone="0932-8000000")
    partner = make_partner(base)
    today = local_today()
    make_cohort(partner, arrival=today + dt.timedelta(days=1), note="FIRSTBYDATE")
    make_cohort(partner, arrival=today + dt.timedelta(days=10), housing=True,
                note="NEEDSHOUSING")
    firm = make_firm()
    make_shift(firm, housing=True)
    login(client, firm)
    html = page(client, "/firm/cohorts")
    assert html.index("NEEDSHOUSING") < html.index("FIRSTBYDATE")
    assert "0932-8000000" in html and "cohort-fit" in html

    pending = make_firm(name="待审核公司", verified=False)
    other = app.test_client()
    login(other, pending)
    html = page(other, "/firm/cohorts")
    assert html.index("FIRSTBYDATE") < html.index("NEEDSHOUSING")  # no housing on offer
    assert "0932-8000000" not in html


def test_candidates_page_says_why_a_cohort_worker_is_lifted(client, login, make_base,
                                                            make_partner, make_cohort,
                                                            make_firm, make_shift, make_worker):
    partner = make_partner(make_base())
    cohort = make_cohort(partner, arrival=local_today(), housing=True)
    worker = make_worker(name="随队工人", lat=37.4578, lon=122.1773)
    member = services.add_member(actor=partner, cohort_id=cohort.id, phone=worker.phone)
    services.answer_invitation(actor=worker, member_id=member.id, accept=True)
    db.session.commit()
    firm = make_firm()
    shift = make_shift(firm, housing=True, start_in_hours=30)
    login(client, firm)
    html = page(client, f"/firm/shifts/{shift.id}/candidates")
    assert "随队工人" in html and "随劳务基地批次来威" in html


def test_agency_registers_a_cohort_for_a_base_it_names(client, login, make_base,
                                                       make_agency_user):
    base = make_base()
    agency_user = make_agency_user()
    login(client, agency_user)
    html = page(client, "/cohorts/new")
    assert "甘肃 · 甘肃定西劳务基地" in html
    arrival = local_today().isoformat()
    missing = submit(client, "/cohorts/new", {"arrival_date": arrival, "headcount": "4"})
    assert missing.status_code == 422
    response = submit(client, "/cohorts/new", {"arrival_date": arrival, "headcount": "4",
                                               "labor_base_id": str(base.id)})
    assert response.status_code == 303
    cohort = db.session.scalar(select(Cohort))
    assert cohort.agency_id == agency_user.agency_id
    assert "甘肃定西劳务基地" in page(client, "/cohorts/")


def test_partner_accounts_show_in_the_accounts_list_with_their_base(client, login, admin,
                                                                   make_base, make_partner,
                                                                   make_worker):
    make_partner(make_base(), name="定西联络员")
    make_worker(name="普通工人")
    login(client, admin)
    html = page(client, "/admin/users?role=partner")
    assert "定西联络员" in html and "甘肃定西劳务基地" in html and "劳务基地合作机构" in html
    assert "普通工人" not in html
