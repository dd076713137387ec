"""Exposure of priority-group and new workers in firms' top-10 candidate lists.

For a sample of open shifts: among the workers eligible for each shift, the share who are
verified priority-group members (or new: no completed shift yet), against their share of the
top-10 list the firm would see. A ratio near 1 means exposure matches presence.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.matching.candidates import eligible_workers, reciprocal
from marketplace.shifts.models import Application, Shift, ShiftStatus
from marketplace.shifts.states import AppStatus
from marketplace.workers.models import WorkerProfile

TOP = 10


def exposure_report(*, max_shifts: int = 50, seed: int = 0) -> dict:
    shift_ids = list(db.session.scalars(select(Shift.id).where(
        Shift.status == ShiftStatus.OPEN, Shift.starts_at > utcnow(),
        Shift.filled < Shift.headcount).order_by(Shift.id)))
    rng = np.random.default_rng(seed)
    if len(shift_ids) > max_shifts:
        shift_ids = sorted(rng.choice(shift_ids, max_shifts, replace=False).tolist())
    groups = {"priority": set(db.session.scalars(select(WorkerProfile.user_id).where(
        WorkerProfile.priority_verified.is_(True), WorkerProfile.priority_group.isnot(None)))),
              "new": None}
    experienced = set(db.session.scalars(select(Application.worker_id).where(
        Application.status == AppStatus.COMPLETED).distinct()))
    eligible_n = {"priority": 0, "new": 0}
    top_n = {"priority": 0, "new": 0}
    eligible_total = top_total = lists = 0
    for shift_id in shift_ids:
        shift = db.session.get(Shift, shift_id)
        ids = eligible_workers(shift)
        if not ids:
            continue
        scores = reciprocal(shift, ids)
        top = [ids[i] for i in np.argsort(-scores, kind="stable")[:TOP]]
        lists += 1
        eligible_total += len(ids)
        top_total += len(top)
        for name in eligible_n:
            member = (lambda w: w not in experienced) if name == "new" else (
                lambda w: w in groups["priority"])
            eligible_n[name] += sum(1 for w in ids if member(w))
            top_n[name] += sum(1 for w in top if member(w))
    report = {"lists": lists, "eligible_pairs": eligible_total, "top_slots": top_total}
    for name in eligible_n:
        share_eligible = eligible_n[name] / eligible_total if eligible_total else 0.0
        share_top = top_n[name] / top_total if top_total else 0.0
        report[name] = {
            "share_of_eligible": round(share_eligible, 4),
            "share_of_top10": round(share_top, 4),
            "exposure_ratio": round(share_top / share_eligible, 3) if share_eligible else None,
        }
    return report
