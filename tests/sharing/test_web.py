"""The sharing pages through the real forms (CSRF tokens taken from the pages), in Chinese."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.sharing import agreements
from marketplace.sharing.models import AgreementStatus, SharingAgreement, SharingListing
from marketplace.shifts.models import Application
from tests.conftest import csrf_from
from tests.sharing.conftest import today


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def post(client, url: str, data: dict, *, form_page: str | None = None):
    html = page(client, form_page or url)
    return client.post(url, data={**data, "csrf_token": csrf_from(html)})


def test_staff_page_adds_by_phone_and_offers_the_exchange_first(app, client, login,
                                                                make_firm, make_worker):
    firm = make_firm(name="威海海之韵水产食品有限公司")
    worker = make_worker(name="王秀英", skills=("seafood_sorting", "cold_storage"))
    login(client, firm)
    html = page(client, "/firm/staff")
    assert "裁员之前，先试试共享用工" in html and "稳岗" in html
    response = post(client, "/firm/staff", {"phone": worker.phone, "job_title": "分拣组长"})
    assert response.status_code == 303
    html = page(client, "/firm/staff")
    assert worker.phone[-4:] in html and worker.phone not in html  # masked
    assert "王秀英" not in html  # not before the worker confirms
    bad = post(client, "/firm/staff", {"phone": "13999999999"}, form_page="/firm/staff")
    assert bad.status_code == 422 and "该号码没有零工账号" in bad.get_data(as_text=True)

    phone = app.test_client()
    login(phone, worker)
    mine = page(phone, "/me/sharing")
    assert "威海海之韵水产食品有限公司" in mine and "是，我在该企业工作" in mine
    member_id = re.search(r"/me/sharing/staff/(\d+)/accept", mine).group(1)
    accepted = post(phone, f"/me/sharing/staff/{member_id}/accept", {}, form_page="/me/sharing")
    assert accepted.status_code == 303

    html = page(client, "/firm/staff")
    assert "王秀英" in html and "富余" in html
    listed = post(client, "/firm/staff/list-idle", {"all": "1"}, form_page="/firm/staff")
    assert listed.status_code == 303
    listing = db.session.scalar(select(SharingListing))
    assert listed.headers["Location"].endswith(f"/firm/sharing/listings/{listing.id}")
    assert listing.kind == "offer" and listing.headcount == 1
    assert set(listing.skills) == {"seafood_sorting", "cold_storage"}


def test_from_a_need_to_a_signed_agreement_and_the_workers_consent(app, client, login,
                                                                   make_firm, make_staff):
    lender = make_firm(name="威海海之韵水产食品有限公司")
    borrower = make_firm(name="威海顺达物流有限公司", industry="logistics")
    worker = make_staff(lender, name="王秀英", skills=("sorting_parcels",))
    colleague = make_staff(lender, name="刘建华")
    first = today() + dt.timedelta(days=1)

    # The borrower posts a need through the form (pay in yuan).
    b = app.test_client()
    login(b, borrower)
    response = post(b, "/firm/sharing/listings/new?kind=need", {
        "title": "电商包裹分拣", "headcount": "1", "start_date": first.isoformat(),
        "end_date": (first + dt.timedelta(days=2)).isoformat(), "district": "jingqu",
        "skills": ["sorting_parcels"], "work_content": "包裹分拣、装车", "daily_pay": "230.50"})
    assert response.status_code == 303, response.get_data(as_text=True)
    need = db.session.scalar(select(SharingListing).where(SharingListing.kind == "need"))
    assert need.daily_pay_fen == 23050

    # The lender lists its idle staff in one click; the need is suggested with reasons.
    login(client, lender)
    post(client, "/firm/staff/list-idle", {"all": "1"}, form_page="/firm/staff")
    offer = db.session.scalar(select(SharingListing).where(SharingListing.kind == "offer"))
    html = page(client, f"/firm/sharing/listings/{offer.id}")
    assert "电商包裹分拣" in html and "重叠 3 天" in html and "可满足 1/1 人" in html
    proposed = post(client, f"/firm/sharing/listings/{offer.id}/propose",
                    {"with_id": str(need.id)}, form_page=f"/firm/sharing/listings/{offer.id}")
    assert proposed.status_code == 303
    agreement = db.session.scalar(select(SharingAgreement))
    url = f"/firm/sharing/agreements/{agreement.id}"

    # Terms: a markup is refused with the rule explained; the lender names a worker.
    form = {
        "version": str(agreement.terms_version), "title": "电商包裹分拣",
        "work_content": "包裹分拣、装车", "district": "jingqu", "address": "经区物流园",
        "start_date": first.isoformat(), "end_date": (first + dt.timedelta(days=2)).isoformat(),
        "day_start": "08:00", "day_end": "17:00", "weekdays": list("1234567"),
        "daily_pay": "230.50", "worker_pay": "200", "injury_liability": "lender",
        "workers": [str(worker.id)],
    }
    refused = post(client, f"{url}/edit", form)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "出借企业不得通过借调营利" in body and "230.50" in body
    saved = post(client, f"{url}/edit", {**form, "worker_pay": "230.50"})
    assert saved.status_code == 303, saved.get_data(as_text=True)[:3000]

    # The borrower sees that a worker is named, not who.
    html = page(b, url)
    assert "王秀英" not in html and "刘建华" not in html and "本人同意后才在此显示姓名" in html
    assert "劳动关系保留在出借企业" in html  # the rules, explained

    db.session.expire_all()
    version = db.session.scalar(select(SharingAgreement.terms_version))
    assert f'name="version" type="hidden" value="{version}"' in page(client, url)
    for firm_client in (client, b):
        signed = post(firm_client, f"{url}/sign", {"version": str(version)}, form_page=url)
        assert signed.status_code == 303
    db.session.expire_all()
    assert db.session.get(SharingAgreement, agreement.id).status == AgreementStatus.SIGNED

    # The worker reads the terms and their rights in Chinese, and consents.
    phone = app.test_client()
    login(phone, worker)
    consent_url = f"/me/sharing/agreements/{agreement.id}"
    html = page(phone, consent_url)
    for words in ("劳动关系和劳动合同不变", "个体工商户", "您有权拒绝", "工伤保险关系保留在",
                  "每天 ¥230.5", "我同意按以上条款被借调"):
        assert words in html, words
    assert "刘建华" not in html
    done = post(phone, f"{consent_url}/consent", {}, form_page=consent_url)
    assert done.status_code == 303
    assert "我的班次" in page(phone, consent_url)
    mine = page(phone, "/me/applications")
    assert mine.count("【共享用工】电商包裹分拣") == 3

    # Now the borrower sees the worker (masked phone), still not the colleague.
    html = page(b, url)
    assert "王秀英" in html and worker.phone not in html and "刘建华" not in html
    assert db.session.scalar(select(Application.id).where(
        Application.worker_id == colleague.id)) is None


def test_the_printable_record_has_every_term_and_signature(app, client, login, make_firm,
                                                          make_staff, make_agreement):
    lender = make_firm(name="威海海之韵水产食品有限公司")
    borrower = make_firm(name="威海顺达物流有限公司")
    worker = make_staff(lender, name="王秀英")
    agreement = make_agreement(lender, borrower, [worker], days=5,
                               injury_liability="borrower_compensates")
    agreements.consent(actor=worker, agreement_id=agreement.id)
    db.session.commit()
    login(client, borrower)
    html = page(client, f"/firm/sharing/agreements/{agreement.id}/print")
    assert '<html lang="zh-CN">' in html and "sharing.css" in html and "data-print" in html
    for words in ("共享用工协议", "出借方（甲方）", "借入方（乙方）", lender.firm.credit_code,
                  borrower.firm.credit_code, "包裹分拣", "每人每天 ¥220", "每天 ¥220",
                  "保留在出借企业", "由出借企业照常发放工资",
                  "由借入企业对出借企业的工伤费用给予补偿",
                  "王秀英", "已同意", "签署人：王经理", f"第 {agreement.terms_version} 版",
                  "5 个工作日"):
        assert words in html, words
    assert worker.phone not in html
    css = client.get("/static/css/sharing.css").get_data(as_text=True)
    assert "@media print" in css and "@page" in css


def test_sign_without_csrf_token_is_refused(client, login, make_firm, make_staff,
                                            make_agreement):
    lender, borrower = make_firm(), make_firm(name="借入企业")
    agreement = make_agreement(lender, borrower, [make_staff(lender)], sign=False)
    login(client, lender)
    response = client.post(f"/firm/sharing/agreements/{agreement.id}/sign",
                           data={"version": str(agreement.terms_version)})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(SharingAgreement, agreement.id).lender_signed_at is None


def test_english_pages(client, login, make_firm):
    firm = make_firm()
    login(client, firm)
    client.get("/lang/en")
    html = page(client, "/firm/sharing")
    assert "Sharing exchange" in html and "共享用工平台" not in html
