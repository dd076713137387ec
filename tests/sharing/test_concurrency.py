"""The sharing exchange under simultaneous requests: real threads, each with its own client and
database connection (the SQLite file database, or PostgreSQL from DATABASE_URL)."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from marketplace.auth.services import issue_token
from marketplace.extensions import db
from marketplace.sharing import agreements
from marketplace.sharing.models import SharingAgreement, SharingDay
from marketplace.shifts.models import Application, Shift
from marketplace.shifts.services import seat_count_matches


def _bearer(user) -> dict[str, str]:
    token = issue_token(user=user, ttl_days=1)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def _race(app, requests: list[tuple[str, str, dict, dict]]) -> list[tuple[int, dict]]:
    """Send every (method, url, body, headers) from its own thread, all released at once."""
    barrier = threading.Barrier(len(requests))
    results: list[tuple[int, dict]] = [(0, {})] * len(requests)

    def run(i: int, method: str, url: str, body: dict, headers: dict) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.open(url, method=method, json=body, headers=headers)
        results[i] = (response.status_code, response.get_json() or {})

    threads = [threading.Thread(target=run, args=(i, *request))
               for i, request in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_ten_workers_consenting_at_once_share_one_shift_per_day(app, make_firm, make_staff,
                                                                 make_agreement):
    lender, borrower = make_firm(), make_firm(name="借入企业")
    workers = [make_staff(lender, name=f"员工{n}") for n in range(10)]
    agreement = make_agreement(lender, borrower, workers, days=7)
    requests = [("POST", f"/api/v1/sharing/assignments/{agreement.id}/consent", {},
                 _bearer(w)) for w in workers]

    results = _race(app, requests)

    statuses = Counter(code for code, _ in results)
    assert statuses == {200: 10}, [r for r in results if r[0] != 200]
    db.session.rollback()
    days = db.session.scalars(select(SharingDay.shift_id).where(
        SharingDay.agreement_id == agreement.id)).all()
    assert len(days) == 7  # one shift per working day, created once
    assert db.session.scalar(select(func.count()).select_from(Shift).where(
        Shift.firm_id == borrower.firm_id)) == 7
    for shift_id in days:
        shift = db.session.get(Shift, shift_id)
        assert (shift.filled, shift.headcount) == (10, 10)
        assert seat_count_matches(shift_id)
    assert db.session.scalar(select(func.count()).select_from(Application)) == 70


def test_a_change_racing_a_signature_never_leaves_a_signature_on_unseen_terms(
        app, make_firm, make_staff, make_agreement):
    lender, borrower = make_firm(), make_firm(name="借入企业")
    worker = make_staff(lender)
    lender_token, borrower_token = _bearer(lender), _bearer(borrower)
    outcomes = Counter()
    for round_ in range(6):
        agreement = make_agreement(lender, borrower, [worker], sign=False, days=2 + round_)
        version = agreement.terms_version
        url = f"/api/v1/sharing/agreements/{agreement.id}"
        results = _race(app, [
            ("POST", f"{url}/sign", {"version": version}, lender_token),
            ("PATCH", url, {"version": version, "address": f"第{round_}号库"}, borrower_token),
        ])
        (sign_status, sign_body), (patch_status, patch_body) = results
        assert patch_status == 200, patch_body
        assert sign_status in (200, 409), sign_body
        db.session.rollback()  # end this thread's snapshot (SQLite WAL) to see the others' work
        final = db.session.get(SharingAgreement, agreement.id)
        # The change always lands; a signature made before it is void, one after it refused.
        assert final.terms_version == version + 1
        assert final.lender_signed_at is None and final.lender_signed_by_id is None
        if sign_status == 409:
            assert sign_body["error"]["code"] == "agreement_changed"
        outcomes[sign_status] += 1
        agreements.cancel(actor=lender, agreement_id=agreement.id)  # free the worker
        db.session.commit()
    assert sum(outcomes.values()) == 6
