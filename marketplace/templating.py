"""Jinja filters and globals: money, local times, taxonomy labels, match reasons."""

from __future__ import annotations

import datetime as dt
import uuid

from flask import Flask, request
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

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
        # HR agencies: proposals, roster memberships, complaints
        "proposed": _("Waiting for the worker's confirmation"), "invited": _("Invited"),
        "requested": _("Asked to join"), "ended": _("Ended"), "upheld": _("Upheld"),
        "dismissed": _("Dismissed"),
    }


def action_text(action: str) -> str:
    return {
        "offer": _("Offer"), "reject": _("Reject"), "withdraw": _("Withdraw"),
        "accept": _("Accept"), "decline": _("Decline"), "check-in": _("Check in"),
        "check-out": _("Check out"), "complete": _("Confirm attendance"),
        "no-show": _("Mark no-show"), "confirm": _("Confirm"), "retract": _("Withdraw"),
    }.get(action, action)


def settlement_text(code: str) -> str:
    return {"daily": _("Paid daily"), "weekly": _("Paid weekly"),
            "on_completion": _("Paid on completion")}.get(code, code)


def reason_text(reasons: list[tuple[str, dict]]) -> str:
    catalog = get_translations()  # once: a feed page has ~80 reasons, and each lookup of the

    def _(message: str, **params) -> str:  # request's catalog costs more than the translation
        return catalog.gettext(message) % params if params else catalog.gettext(message)

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
        **_agency_notification_texts(subject),
        # the sharing exchange (共享用工)
        "sharing_staff_invite": _("%(s)s lists you as its employee: please confirm", s=subject),
        "sharing_staff_accepted": _("%(s)s confirmed being on your staff", s=subject),
        "sharing_staff_declined": _("%(s)s declined to be on your staff list", s=subject),
        "sharing_staff_left": _("%(s)s left your staff list", s=subject),
        "sharing_proposal": _("%(s)s proposes a sharing agreement", s=subject),
        "sharing_changed": _("The terms of the sharing agreement \u201c%(s)s\u201d changed: "
                             "any signature is void", s=subject),
        "sharing_signed_one": _("The other firm signed the sharing agreement \u201c%(s)s\u201d",
                                s=subject),
        "sharing_signed": _("The sharing agreement \u201c%(s)s\u201d is signed by both firms",
                            s=subject),
        "sharing_consent_request": _("%(s)s would like to lend you to another firm: read and "
                                     "decide", s=subject),
        "sharing_consented": _("%(s)s agreed to be lent", s=subject),
        "sharing_declined": _("%(s)s declined to be lent", s=subject),
        "sharing_withdrawn": _("%(s)s withdrew their consent to be lent", s=subject),
        "sharing_cancelled": _("The sharing agreement \u201c%(s)s\u201d was cancelled",
                               s=subject),
        "sharing_confirmed_one": _("The other firm confirmed the end of \u201c%(s)s\u201d",
                                   s=subject),
        "sharing_completed": _("The sharing agreement \u201c%(s)s\u201d is completed",
                               s=subject),
        "cohort_invite": _("%(s)s added you to a group arriving in Weihai: please confirm",
                           s=subject),
    }
    return texts.get(key, message)


def _agency_notification_texts(subject: str) -> dict[str, str]:
    """Messages of the HR agencies domain; "agency|shift" subjects name both."""
    agency, _sep, shift = subject.partition("|")
    return {
        "application_confirm": _("A worker applied for \u201c%(s)s\u201d through an agency",
                                 s=subject),
        "application_retract": _("The agency withdrew its application for \u201c%(s)s\u201d",
                                 s=subject),
        "agency_invitation": _("%(a)s invites you to its roster", a=agency),
        "agency_proposal": _("%(a)s wants to apply for you to \u201c%(s)s\u201d: confirm or "
                             "decline", a=agency, s=shift),
        "agency_applied": _("%(a)s applied for you to \u201c%(s)s\u201d (standing consent)",
                            a=agency, s=shift),
        "agency_join_request": _("%(w)s asks to join your roster", w=subject),
        "agency_invitation_accepted": _("%(w)s accepted your invitation", w=subject),
        "agency_invitation_declined": _("%(w)s declined your invitation", w=subject),
        "agency_request_accepted": _("%(a)s accepted you on its roster", a=subject),
        "agency_request_declined": _("%(a)s declined your request", a=subject),
        "agency_member_left": _("%(w)s left your roster", w=subject),
        "agency_membership_ended": _("%(a)s took you off its roster", a=subject),
        "agency_verified": _("Your agency is verified: you can invite workers and fill shifts"),
        "agency_rejected": _("Your agency's verification was rejected"),
        "agency_suspended": _("Brokering is suspended because of your trust grade"),
        "agency_restored": _("The city restored your agency's brokering"),
        "agency_complaint": _("A complaint about %(a)s needs a decision", a=subject),
    }


def url_with(**changes) -> str:
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        args.pop(key, None)
    from urllib.parse import urlencode

    return f"{request.path}?{urlencode(args)}" if args else request.path


def idempotency_field() -> Markup:
    """A hidden field that makes a form's submission take effect once, however often it is
    sent (see marketplace/idempotency.py)."""
    return Markup(f'<input type="hidden" name="idempotency_key" value="{uuid.uuid4().hex}">')


def install(app: Flask) -> None:
    app.jinja_env.filters.update(
        yuan=yuan, local_time=local_time, label=label, status_text=status_text,
        action_text=action_text, settlement_text=settlement_text, reason_text=reason_text,
        notification_text=notification_text,
    )
    app.jinja_env.globals.update(
        taxonomy=taxonomy, pay_text=pay_text, locale_code=locale_code, url_with=url_with,
        idempotency_field=idempotency_field,
    )

    @app.context_processor
    def inject_user_badges() -> dict:
        unread = 0
        if current_user.is_authenticated:
            from marketplace.notifications.services import unread_count

            unread = unread_count(current_user.id)
        return {"unread_notifications": unread}
