"""Through the API, one tenant never reads or changes another's data (404, not 403)."""

from __future__ import annotations

from marketplace.extensions import db
from marketplace.shifts.applications import apply


def test_firms_and_workers_only_reach_their_own(client, make_firm, make_worker, make_shift,
                                                api_token):
    firm_a, firm_b = make_firm(), make_firm(name="别家公司")
    worker_a, worker_b = make_worker(name="甲"), make_worker(name="乙")
    shift_a = make_shift(firm_a)
    application = apply(actor=worker_a, shift_id=shift_a.id)
    db.session.commit()
    firm_b_h, worker_b_h = api_token(firm_b), api_token(worker_b)

    assert client.get(f"/api/v1/shifts/{shift_a.id}/applications",
                      headers=firm_b_h).status_code == 404
    assert client.get(f"/api/v1/applications/{application.id}",
                      headers=firm_b_h).status_code == 404
    assert client.get(f"/api/v1/applications/{application.id}",
                      headers=worker_b_h).status_code == 404
    assert client.post(f"/api/v1/applications/{application.id}/offer", json={},
                       headers=firm_b_h).status_code == 404
    assert client.post(f"/api/v1/applications/{application.id}/withdraw", json={},
                       headers=worker_b_h).status_code == 404
    assert client.patch(f"/api/v1/shifts/{shift_a.id}", json={"title": "偷改"},
                        headers=firm_b_h).status_code == 404
    assert client.post(f"/api/v1/shifts/{shift_a.id}/cancel", json={},
                       headers=firm_b_h).status_code == 404
    db.session.refresh(shift_a)
    assert shift_a.title != "偷改" and shift_a.status == "open"
    assert client.get("/api/v1/feed", headers=firm_b_h).status_code == 403


def test_without_token_401_and_bad_token_401(client):
    assert client.get("/api/v1/me").status_code == 401
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "invalid_token"
    assert client.get("/api/v1/nowhere").status_code == 404
    assert client.get("/api/v1/nowhere").get_json()["error"]["code"] == "not_found"
