"""Words of the sharing pages in the user's language: statuses, reasons, terms."""

from __future__ import annotations

from flask_babel import gettext as _


def reason_text(reasons: list[tuple[str, dict]]) -> str:
    """A suggestion's reasons, e.g. "技能匹配 2/3 · 12.5 km · 重叠 10 天 · 可满足 3/5 人"."""
    words = {
        "skills": lambda p: _("Skills match %(matched)d/%(required)d", **p),
        "distance": lambda p: _("%(km)s km", **p),
        "overlap": lambda p: _("%(days)d days overlap", **p),
        "headcount": lambda p: _("covers %(covered)d of %(wanted)d workers", **p),
    }
    return " · ".join(words[key](params) for key, params in reasons if key in words)


def agreement_status(status: str) -> str:
    return {
        "draft": _("Being negotiated"), "signed": _("Signed, waiting for the workers' consent"),
        "active": _("Under way"), "completed": _("Completed"), "cancelled": _("Cancelled"),
    }.get(status, status)


def consent_status(status: str) -> str:
    return {
        "pending": _("Waiting for the worker's consent"), "consented": _("Consented"),
        "declined": _("Declined"), "withdrawn": _("Withdrew consent"),
    }.get(status, status)


def staff_status(status: str) -> str:
    return {
        "invited": _("Waiting for the worker to confirm"), "active": _("Confirmed"),
        "declined": _("Declined"), "ended": _("Left"),
    }.get(status, status)


def listing_kind(kind: str) -> str:
    return {"offer": _("Idle staff to lend"), "need": _("Staff needed")}.get(kind, kind)


def injury_text(code: str) -> str:
    return {
        "lender": _("The lender carries work-injury liability (work-injury insurance stays "
                    "with the lender)"),
        "borrower_compensates": _("Work-injury insurance stays with the lender; the borrower "
                                  "compensates the lender for work-injury costs"),
    }.get(code, code)


def weekdays_text(weekdays: str) -> str:
    names = {"1": _("Mon"), "2": _("Tue"), "3": _("Wed"), "4": _("Thu"), "5": _("Fri"),
             "6": _("Sat"), "7": _("Sun")}
    if weekdays == "1234567":
        return _("every day")
    return " ".join(names[d] for d in sorted(weekdays) if d in names)


def clock(minutes: int | None) -> str:
    if minutes is None:
        return ""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
