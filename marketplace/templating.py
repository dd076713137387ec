"""Jinja filters and globals: money, local times, taxonomy labels, match reasons."""

from __future__ import annotations

import datetime as dt

from flask import Flask, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from marketplace import taxonomy
from marketplace.timeutil import to_local


def locale_code() -> str:
    return str(get_locale() or "zh_CN")


def yuan(fen: int | None) -> str:
    if fen is None:
        return "—"
    return f"¥{fen / 100:,.2f}".replace(".00", "")


def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return to_local(value).strftime(fmt) if value else ""


def label(code: str | None) -> str:
    return taxonomy.label(code, locale_code())


def pay_text(shift) -> str:
    units = {"hour": _("per hour"), "day": _("per day"), "piece": _("per piece")}
    return f"{yuan(shift.pay_amount_fen)} {units.get(shift.pay_unit, '')}"


def status_text(status: str) -> str:
    return status_labels().get(status, status)


def status_labels() -> dict[str, str]:
    """Built per call so the labels follow the request's locale."""
    return {
        "applied": _("Applied"), "offered": _("Offer received"), "confirmed": _("Confirmed"),
        "checked_in": _("Checked in"), "completed": _("Completed"), "withdrawn": _("Withdrawn"),
        "declined": _("Declined"), "rejected": _("Not selected"), "cancelled": _("Cancelled"),
        "no_show": _("No-show"), "open": _("Open"), "pending": _("Pending verification"),
        "verified": _("Verified"), "rejected_firm": _("Rejected"), "active": _("Active"),
        "suspended": _("Suspended"),
    }


def action_text(action: str) -> str:
    return {
        "offer": _("Offer"), "reject": _("Reject"), "withdraw": _("Withdraw"),
        "accept": _("Accept"), "decline": _("Decline"), "check-in": _("Check in"),
        "check-out": _("Check out"), "complete": _("Confirm attendance"),
        "no-show": _("Mark no-show"),
    }.get(action, action)


def settlement_text(code: str) -> str:
    return {"daily": _("Paid daily"), "weekly": _("Paid weekly"),
            "on_completion": _("Paid on completion")}.get(code, code)


def reason_text(reasons: list[tuple[str, dict]]) -> str:
    words = {
        "skills": lambda p: _("Skills match %(matched)d/%(required)d", **p),
        "distance": lambda p: _("%(km)s km", **p),
        "pay_above": lambda p: _("Pay %(pct)d%% above your wish", **p),
        "pay_below": lambda p: _("Pay %(pct)d%% below your wish", **p),
        "housing": lambda p: _("Housing provided"),
        "meals": lambda p: _("Meals provided"),
        "history": lambda p: _("Worked here before"),
        "explore": lambda p: _("New for you"),
        "reliability": lambda p: _("Reliability %(pct)d%%", **p),
        "cohort": lambda p: _("Came with a labor-base group"),
    }
    return " · ".join(words[key](params) for key, params in reasons if key in words)


def notification_text(message: str) -> str:
    key, _sep, subject = message.partition(":")
    texts = {
        "shift_cancelled": _("The shift \u201c%(s)s\u201d was cancelled by the firm", s=subject),
        "application_offer": _("You have an offer for \u201c%(s)s\u201d", s=subject),
        "application_reject": _("You were not selected for \u201c%(s)s\u201d", s=subject),
        "application_accept": _("A worker accepted \u201c%(s)s\u201d", s=subject),
        "application_decline": _("A worker declined \u201c%(s)s\u201d", s=subject),
        "application_withdraw": _("A worker withdrew from \u201c%(s)s\u201d", s=subject),
        "application_check-in": _("A worker checked in to \u201c%(s)s\u201d", s=subject),
        "application_check-out": _("A worker checked out of \u201c%(s)s\u201d", s=subject),
        "application_complete": _("Attendance confirmed for \u201c%(s)s\u201d", s=subject),
        "application_no-show": _("You were marked absent for \u201c%(s)s\u201d", s=subject),
        "invitation": _("A firm invites you to \u201c%(s)s\u201d", s=subject),
        "firm_verified": _("Your firm is verified: you can post shifts now"),
        "firm_rejected": _("Your firm's verification was rejected"),
        "cohort_invite": _("%(s)s added you to a group arriving in Weihai: please confirm",
                           s=subject),
    }
    return texts.get(key, message)


def url_with(**changes) -> str:
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        args.pop(key, None)
    from urllib.parse import urlencode

    return f"{request.path}?{urlencode(args)}" if args else request.path


def install(app: Flask) -> None:
    app.jinja_env.filters.update(
        yuan=yuan, local_time=local_time, label=label, status_text=status_text,
        action_text=action_text, settlement_text=settlement_text, reason_text=reason_text,
        notification_text=notification_text,
    )
    app.jinja_env.globals.update(
        taxonomy=taxonomy, pay_text=pay_text, locale_code=locale_code, url_with=url_with,
    )

    @app.context_processor
    def inject_user_badges() -> dict:
        unread = 0
        if current_user.is_authenticated:
            from marketplace.notifications.services import unread_count

            unread = unread_count(current_user.id)
        return {"unread_notifications": unread}
