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
from sqlalchemy import select

from marketplace.agencies import roster
from marketplace.agencies.brokering import broker_apply, make_terms
from marketplace.agencies.models import Commission
from marketplace.agencies.trust import file_complaint
from marketplace.auth.models import ApiToken
from marketplace.auth.services import issue_token
from marketplace.extensions import db
from marketplace.firms.services import add_favourite
from marketplace.shifts import applications as apps
from tests.conftest import TEST_PASSWORD, csrf_from, empty_tables

PUBLIC, ANY_USER, PARTY = "public", "any_user", "party"  # party: the worker or the firm
BROKER_PARTY = "broker_party"  # the worker, the firm, or the agency that put the worker forward
WORKER, FIRM, ADMIN = "worker", "firm", "admin"
PARTNER, AGENCY = "partner", "agency"
# Labor bases: several roles share some routes.
BASE_STAFF = "base_staff"  # administrators, and a base's partner for its own base
COHORT_ORG = "cohort_org"  # partners and agencies, who register cohorts
COHORT_VIEW = "cohort_view"  # the same, and administrators (read only)
ROLE_GROUPS = {
    ANY_USER: {WORKER, FIRM, ADMIN, PARTNER, AGENCY}, PARTY: {WORKER, FIRM},
    BROKER_PARTY: {WORKER, FIRM, AGENCY},
    BASE_STAFF: {ADMIN, PARTNER}, COHORT_ORG: {PARTNER, AGENCY},
    COHORT_VIEW: {ADMIN, PARTNER, AGENCY},
}


@dataclass(frozen=True)
class Rule:
    who: str  # PUBLIC, ANY_USER, or a role
    owner: str | None = None  # whose object the URL names: "worker_a", "firm_a", "agency_a",
    # or a key of OWNERS


# The sharing exchange: firm B lends worker B to firm A under an agreement; firm C is a third
# firm that must see nothing of either.
OWNERS: dict[str, set[str]] = {
    "lender": {"firm_b"},  # firm B's staff link, listing
    "borrower": {"firm_a"},  # firm A's need
    "parties": {"firm_a", "firm_b"},  # the agreement's two firms
    "lent_worker": {"worker_b"},  # the worker named (and consenting) in the agreement
    "staff_link": {"firm_b", "worker_b"},  # worker B's link to firm B, either side of it
    "token_owner": {"worker_a"},  # worker A's API token: only worker A, not even administrators
}
OWN_ONLY = {"token_owner"}  # objects administrators do not reach either


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
    ("/account/password", "GET"): Rule(ANY_USER), ("/account/password", "POST"): Rule(ANY_USER),
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
    ("/api/v1/auth/token", "DELETE"): Rule(ANY_USER),
    ("/api/v1/auth/tokens", "GET"): Rule(ANY_USER),
    ("/api/v1/auth/tokens/<int:token_id>", "DELETE"): Rule(ANY_USER, "token_owner"),
    ("/api/v1/auth/password", "POST"): Rule(ANY_USER),
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
    ("/api/v1/applications/<int:application_id>/<action>", "POST"): Rule(BROKER_PARTY, "both"),
    ("/api/v1/applications/<int:application_id>/rating", "POST"): Rule(PARTY, "both"),
    ("/api/v1/admin/firms/<int:firm_id>/verify", "POST"): Rule(ADMIN),
    ("/api/v1/shifts/<int:shift_id>/candidates", "GET"): Rule(FIRM, "firm_a"),
    ("/api/v1/match", "GET"): Rule(FIRM), ("/api/v1/match", "POST"): Rule(FIRM),
    # HR agencies: registration and profiles
    ("/register/agency", "GET"): Rule(PUBLIC), ("/register/agency", "POST"): Rule(PUBLIC),
    ("/agencies/<int:agency_id>", "GET"): Rule(ANY_USER),
    ("/agencies/<int:agency_id>/complaints", "POST"): Rule(PARTY, "both"),
    # the agency's pages: only workers on its own roster, only its own applications
    ("/agency/", "GET"): Rule(AGENCY), ("/agency/roster", "GET"): Rule(AGENCY),
    ("/agency/roster/invite", "POST"): Rule(AGENCY),
    ("/agency/roster/requests/<int:membership_id>/<answer>", "POST"): Rule(AGENCY, "agency_a"),
    ("/agency/roster/<int:worker_id>", "GET"): Rule(AGENCY, "agency_a"),
    ("/agency/roster/<int:worker_id>/end", "POST"): Rule(AGENCY, "agency_a"),
    ("/agency/shifts", "GET"): Rule(AGENCY),
    ("/agency/shifts/<int:shift_id>", "GET"): Rule(AGENCY),
    ("/agency/shifts/<int:shift_id>/apply", "POST"): Rule(AGENCY, "agency_a"),
    ("/agency/fill", "GET"): Rule(AGENCY), ("/agency/fill", "POST"): Rule(AGENCY, "agency_a"),
    ("/agency/placements", "GET"): Rule(AGENCY),
    ("/agency/applications/<int:application_id>/retract", "POST"): Rule(AGENCY, "agency_a"),
    ("/agency/settlement", "GET"): Rule(AGENCY),
    ("/agency/commissions/<int:commission_id>/settle", "POST"): Rule(AGENCY, "agency_a"),
    ("/agency/scorecard", "GET"): Rule(AGENCY), ("/agency/notifications", "GET"): Rule(AGENCY),
    # the worker's agency page
    ("/me/agencies", "GET"): Rule(WORKER),
    ("/me/agencies/memberships/<int:membership_id>/<answer>", "POST"): Rule(WORKER, "worker_a"),
    ("/me/agencies/memberships/<int:membership_id>/consents", "POST"):
        Rule(WORKER, "worker_a"),
    ("/me/agencies/<int:agency_id>/join", "POST"): Rule(WORKER),
    # administrators
    ("/admin/agencies", "GET"): Rule(ADMIN),
    ("/admin/agencies/<int:agency_id>", "GET"): Rule(ADMIN),
    ("/admin/agencies/<int:agency_id>/<decision>", "POST"): Rule(ADMIN),
    ("/admin/agencies/<int:agency_id>/brokering/<change>", "POST"): Rule(ADMIN),
    ("/admin/agencies/ranking", "GET"): Rule(ADMIN),
    ("/admin/agencies/reassess", "POST"): Rule(ADMIN),
    ("/admin/agencies/complaints", "GET"): Rule(ADMIN),
    ("/admin/agencies/complaints/<int:complaint_id>/<verdict>", "POST"): Rule(ADMIN),
    # agencies over the JSON API
    ("/api/v1/agency", "GET"): Rule(AGENCY),
    ("/api/v1/agency/roster", "GET"): Rule(AGENCY),
    ("/api/v1/agency/roster/invitations", "POST"): Rule(AGENCY),
    ("/api/v1/agency/roster/<int:worker_id>", "GET"): Rule(AGENCY, "agency_a"),
    ("/api/v1/agency/roster/<int:worker_id>/end", "POST"): Rule(AGENCY, "agency_a"),
    ("/api/v1/agency/roster/requests/<int:membership_id>/<answer>", "POST"):
        Rule(AGENCY, "agency_a"),
    ("/api/v1/agency/applications", "GET"): Rule(AGENCY),
    ("/api/v1/agency/applications", "POST"): Rule(AGENCY, "agency_a"),
    ("/api/v1/agency/fill", "GET"): Rule(AGENCY),
    ("/api/v1/agency/fill", "POST"): Rule(AGENCY, "agency_a"),
    ("/api/v1/agency/commissions", "GET"): Rule(AGENCY),
    ("/api/v1/agency/commissions/<int:commission_id>/settle", "POST"): Rule(AGENCY, "agency_a"),
    ("/api/v1/me/agencies", "GET"): Rule(WORKER),
    ("/api/v1/me/agencies/memberships/<int:membership_id>/<answer>", "POST"):
        Rule(WORKER, "worker_a"),
    ("/api/v1/me/agencies/memberships/<int:membership_id>/consents", "PUT"):
        Rule(WORKER, "worker_a"),
    ("/api/v1/agencies/<int:agency_id>/join", "POST"): Rule(WORKER),
    ("/api/v1/agencies", "GET"): Rule(ANY_USER),
    ("/api/v1/agencies/<int:agency_id>", "GET"): Rule(ANY_USER),
    ("/api/v1/agencies/<int:agency_id>/complaints", "POST"): Rule(PARTY, "both"),
    ("/api/v1/admin/agencies/<int:agency_id>/verify", "POST"): Rule(ADMIN),
    ("/api/v1/admin/agencies/<int:agency_id>/brokering", "POST"): Rule(ADMIN),
    ("/api/v1/admin/agencies/ranking", "GET"): Rule(ADMIN),
    ("/api/v1/admin/agencies/complaints/<int:complaint_id>/decide", "POST"): Rule(ADMIN),
    # the sharing exchange (共享用工): firm pages
    ("/firm/staff", "GET"): Rule(FIRM), ("/firm/staff", "POST"): Rule(FIRM),
    ("/firm/staff/<int:staff_id>/end", "POST"): Rule(FIRM, "lender"),
    ("/firm/staff/list-idle", "POST"): Rule(FIRM),
    ("/firm/sharing", "GET"): Rule(FIRM),
    ("/firm/sharing/listings/new", "GET"): Rule(FIRM),
    ("/firm/sharing/listings/new", "POST"): Rule(FIRM),
    ("/firm/sharing/listings/<int:listing_id>", "GET"): Rule(FIRM),  # open: the market
    ("/firm/sharing/listings/<int:listing_id>/edit", "GET"): Rule(FIRM, "lender"),
    ("/firm/sharing/listings/<int:listing_id>/edit", "POST"): Rule(FIRM, "lender"),
    ("/firm/sharing/listings/<int:listing_id>/close", "POST"): Rule(FIRM, "lender"),
    ("/firm/sharing/listings/<int:listing_id>/propose", "POST"): Rule(FIRM),
    ("/firm/sharing/agreements", "GET"): Rule(FIRM),
    ("/firm/sharing/agreements/<int:agreement_id>", "GET"): Rule(FIRM, "parties"),
    ("/firm/sharing/agreements/<int:agreement_id>/edit", "GET"): Rule(FIRM, "parties"),
    ("/firm/sharing/agreements/<int:agreement_id>/edit", "POST"): Rule(FIRM, "parties"),
    ("/firm/sharing/agreements/<int:agreement_id>/sign", "POST"): Rule(FIRM, "parties"),
    ("/firm/sharing/agreements/<int:agreement_id>/cancel", "POST"): Rule(FIRM, "parties"),
    ("/firm/sharing/agreements/<int:agreement_id>/confirm", "POST"): Rule(FIRM, "parties"),
    ("/firm/sharing/agreements/<int:agreement_id>/print", "GET"): Rule(FIRM, "parties"),
    # the sharing exchange: the worker's pages
    ("/me/sharing", "GET"): Rule(WORKER),
    ("/me/sharing/staff/<int:staff_id>/<decision>", "POST"): Rule(WORKER, "lent_worker"),
    ("/me/sharing/agreements/<int:agreement_id>", "GET"): Rule(WORKER, "lent_worker"),
    ("/me/sharing/agreements/<int:agreement_id>/<decision>", "POST"):
        Rule(WORKER, "lent_worker"),
    # the sharing exchange: JSON API
    ("/api/v1/sharing/staff", "GET"): Rule(FIRM), ("/api/v1/sharing/staff", "POST"): Rule(FIRM),
    ("/api/v1/sharing/staff/<int:staff_id>/<decision>", "POST"): Rule(PARTY, "staff_link"),
    ("/api/v1/sharing/staff/list-idle", "POST"): Rule(FIRM),
    ("/api/v1/sharing/employers", "GET"): Rule(WORKER),
    ("/api/v1/sharing/listings", "GET"): Rule(FIRM),
    ("/api/v1/sharing/listings", "POST"): Rule(FIRM),
    ("/api/v1/sharing/listings/<int:listing_id>", "GET"): Rule(FIRM),
    ("/api/v1/sharing/listings/<int:listing_id>", "PATCH"): Rule(FIRM, "lender"),
    ("/api/v1/sharing/listings/<int:listing_id>/close", "POST"): Rule(FIRM, "lender"),
    ("/api/v1/sharing/listings/<int:listing_id>/suggestions", "GET"): Rule(FIRM, "lender"),
    ("/api/v1/sharing/agreements", "GET"): Rule(FIRM),
    ("/api/v1/sharing/agreements", "POST"): Rule(FIRM, "borrower"),  # names A's need
    ("/api/v1/sharing/agreements/<int:agreement_id>", "GET"): Rule(FIRM, "parties"),
    ("/api/v1/sharing/agreements/<int:agreement_id>", "PATCH"): Rule(FIRM, "parties"),
    ("/api/v1/sharing/agreements/<int:agreement_id>/sign", "POST"): Rule(FIRM, "parties"),
    ("/api/v1/sharing/agreements/<int:agreement_id>/cancel", "POST"): Rule(FIRM, "parties"),
    ("/api/v1/sharing/agreements/<int:agreement_id>/confirm", "POST"): Rule(FIRM, "parties"),
    ("/api/v1/sharing/assignments", "GET"): Rule(WORKER),
    ("/api/v1/sharing/assignments/<int:agreement_id>", "GET"): Rule(WORKER, "lent_worker"),
    ("/api/v1/sharing/assignments/<int:agreement_id>/<decision>", "POST"):
        Rule(WORKER, "lent_worker"),
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
    "/account/password": {"current_password": TEST_PASSWORD,
                          "new_password": "tide-harbour-lantern-5",
                          "confirm_password": "tide-harbour-lantern-5"},
    "/api/v1/auth/password": {"current_password": TEST_PASSWORD,
                              "new_password": "tide-harbour-lantern-5"},
    "/api/v1/applications/<int:application_id>/rating": {"score": 5},
    "/me/applications/<int:application_id>/rate": {"score": "5"},
    "/firm/applications/<int:application_id>/rate": {"score": "5"},
    "/firm/favourites/invite": {"shift_id": "{shift_id}", "worker_id": "{worker_id}"},
    "/admin/users/<int:user_id>/<change>": {"reason": "test"},
    "/admin/firms/<int:firm_id>/<decision>": {"note": "test"},
    "/admin/ranker/promote": {"version": "no-such-model"},
    "/admin/ranker/boost": {"enabled": "y", "weight": "10"},
    # agencies: worker A on agency A's roster, shift A open
    "/agency/shifts/<int:shift_id>/apply": {"worker_id": "{worker_id}", "kind": "fixed",
                                            "amount": "50"},
    "/agency/fill": {"row": "{shift_id}:{worker_id}", "kind": "fixed", "amount": "50"},
    "/agency/roster/invite": {"phone": "13912345678"},
    "/agencies/<int:agency_id>/complaints": {"category": "conduct",
                                             "description": "多次临时更换人员，沟通不畅"},
    "/admin/agencies/<int:agency_id>/<decision>": {"note": "test"},
    "/admin/agencies/<int:agency_id>/brokering/<change>": {"note": "test"},
    "/admin/agencies/complaints/<int:complaint_id>/<verdict>": {"note": "test"},
    "/me/agencies/memberships/<int:membership_id>/consents": {
        "m{membership_id}-categories": "food_processing"},
    "/api/v1/agency/applications": {"shift_id": "{shift_id}", "worker_id": "{worker_id}",
                                    "commission": {"kind": "fixed", "fixed_fen": 5000}},
    "/api/v1/agency/fill": {"rows": [{"shift_id": "{shift_id}", "worker_id": "{worker_id}"}],
                            "commission": {"kind": "fixed", "fixed_fen": 5000}},
    "/api/v1/agency/roster/invitations": {"phone": "13912345678"},
    "/api/v1/me/agencies/memberships/<int:membership_id>/consents": {
        "categories": ["food_processing"]},
    "/api/v1/agencies/<int:agency_id>/complaints": {"category": "conduct",
                                                    "description": "多次临时更换人员，沟通不畅"},
    "/api/v1/admin/agencies/<int:agency_id>/brokering": {"suspended": True, "reason": "test"},
    "/api/v1/admin/agencies/complaints/<int:complaint_id>/decide": {"uphold": False,
                                                                    "note": "test"},
    "/firm/staff": {"phone": "{worker_a_phone}"},
    "/api/v1/sharing/staff": {"phone": "{worker_a_phone}"},
    "/firm/staff/list-idle": {"all": "1"},
    "/firm/sharing/listings/new": {
        "title": "装卸工", "headcount": "2", "start_date": "{tomorrow}", "end_date": "{tomorrow}",
        "district": "jingqu", "daily_pay": "230", "work_content": "装卸"},
    "/api/v1/sharing/listings": {
        "kind": "need", "title": "装卸工", "headcount": 2, "start_date": "{tomorrow}",
        "end_date": "{tomorrow}", "district": "jingqu", "daily_pay_fen": 23000,
        "work_content": "装卸"},
    "/firm/sharing/listings/<int:listing_id>/edit": {
        "title": "富余员工", "headcount": "2", "start_date": "{tomorrow}",
        "end_date": "{tomorrow}", "district": "jingqu"},
    "/api/v1/sharing/listings/<int:listing_id>": {"title": "富余员工"},
    "/firm/sharing/listings/<int:listing_id>/propose": {"with_id": "{need_id}"},
    "/api/v1/sharing/agreements": {"listing_id": "{need_id}", "counterpart_id": "{listing_id}"},
    "/api/v1/sharing/agreements/<int:agreement_id>": {"version": "{agreement_version}",
                                                       "address": "临港物流园"},
    "/firm/sharing/agreements/<int:agreement_id>/edit": {"version": "{agreement_version}"},
    "/api/v1/sharing/agreements/<int:agreement_id>/sign": {"version": "{agreement_version}"},
    "/firm/sharing/agreements/<int:agreement_id>/sign": {"version": "{agreement_version}"},
    "/api/v1/sharing/agreements/<int:agreement_id>/confirm": {"score": 5},
    "/firm/sharing/agreements/<int:agreement_id>/confirm": {"score": "5"},
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
    "/me/sharing/staff/<int:staff_id>/<decision>": {"decision": "staff_decision"},
    "/api/v1/sharing/staff/<int:staff_id>/<decision>": {"decision": "staff_decision"},
    "/me/sharing/agreements/<int:agreement_id>/<decision>": {"decision": "worker_decision"},
    "/api/v1/sharing/assignments/<int:agreement_id>/<decision>": {
        "decision": "worker_decision"},
}

MARKER_SHIFT_B = "MARKERSHIFTB"  # firm B's private shift title (cancelled, so not public)
# worker A's name: only A, firm A (applicant), agency A (roster) and admins
MARKER_WORKER_A = "MARKERWORKERA"
MARKER_WORKER_B = "MARKERWORKERB"  # worker B's name: on agency B's roster, never agency A's
MARKER_STAFF_B = "MARKERSTAFFB"  # firm B's idle employee: only firm B (and admins)
MARKER_AGREEMENT = "MARKERAGREEMENT"  # the B-lends-to-A agreement: its firms and worker B
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

    from marketplace.auth.models import Role, User
    from marketplace.laborbases import services as bases
    from tests.conftest import _HASH, new_phone

    db.session.rollback()
    empty_tables()
    firm_a, firm_b = make_firm(name="甲公司"), make_firm(name="乙公司")
    worker_a, worker_b = make_worker(name=MARKER_WORKER_A), make_worker(name=MARKER_WORKER_B)
    admin = make_admin()
    agency_a, agency_b = make_agency_user("甲人力"), make_agency_user("乙人力")
    base_a = bases.create_base(actor=admin, data={
        "name": "甲劳务基地", "province": "甘肃", "city": "定西市", "partner_org": "定西市人社局"})
    base_b = bases.create_base(actor=admin, data={
        "name": "乙劳务基地", "province": "贵州", "city": "毕节市", "partner_org": "毕节市人社局"})
    partner_a, partner_b = (
        User(phone=new_phone(), password_hash=_HASH, name=f"{n}基地联络员", role=Role.PARTNER,
             labor_base_id=base.id) for n, base in (("甲", base_a), ("乙", base_b)))
    db.session.add_all([partner_a, partner_b])
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
    # Worker A is on agency A's roster (standing consent for the category), worker B on B's;
    # agency A applied for worker A to shift A and firm A made an offer.
    membership_a = enrol(agency_a, worker_a, consent=["food_processing"])
    enrol(agency_b, worker_b)
    app_a = broker_apply(actor=agency_a, shift_id=shift_a.id, worker_id=worker_a.id,
                         terms=make_terms(kind="fixed", fixed_fen=5000))
    db.session.flush()
    apps.transition(actor=firm_a, application_id=app_a.id, action="offer")
    complaint = file_complaint(actor=firm_a, agency_id=agency_a.agency_id, category="conduct",
                               description="到岗人员与名单不符")
    add_favourite(actor=firm_a, worker_id=worker_a.id)
    issue_token(user=worker_a, ttl_days=1)
    db.session.commit()
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == worker_a.id))
    from marketplace.shifts.services import cancel_shift

    cancel_shift(actor=firm_b, shift_id=shift_b.id)
    db.session.commit()
    firm_c = make_firm(name="丙公司")
    sharing_values = build_sharing(firm_a, firm_b, worker_b, make_worker)
    users = {"worker_a": worker_a, "worker_b": worker_b, "firm_a": firm_a, "firm_b": firm_b,
             "firm_c": firm_c, "admin": admin, "agency_a": agency_a, "agency_b": agency_b,
             "partner_a": partner_a, "partner_b": partner_b}
    commission = db.session.scalar(select(Commission).where(
        Commission.application_id == app_a.id))
    values = {"shift_id": shift_a.id, "application_id": app_a.id, "firm_id": firm_a.firm_id,
              "worker_id": worker_a.id, "user_id": worker_b.id, "candidate_id": worker_b.id,
              "action": "withdraw", "decision": "verify", "change": "suspend", "code": "en",
              "filename": "css/app.css", "agency_id": agency_a.agency_id,
              "membership_id": membership_a.id, "answer": "decline",
              "commission_id": commission.id, "complaint_id": complaint.id,
              "verdict": "dismiss", "worker_a_phone": worker_a.phone, **sharing_values,
              "base_id": base_a.id, "cohort_id": cohort_a.id, "member_id": member_a.id,
              "arrival": arrival.isoformat(), "worker_b_phone": worker_b.phone,
              "token_id": token_id}
    return users, values


def make_agency_user(name: str):
    from marketplace.agencies.models import Agency
    from marketplace.auth.models import Role, User
    from tests.conftest import _HASH, new_credit_code, new_phone

    agency = Agency(name=name, credit_code=new_credit_code(),
                    licence_no=f"LIC{new_credit_code()}", verification_status="verified")
    user = User(phone=new_phone(), password_hash=_HASH, name=f"{name}经理", role=Role.AGENCY,
                agency=agency)
    db.session.add(user)
    db.session.commit()
    return user


def enrol(agency_user, worker, consent=()):
    membership = roster.invite(actor=agency_user, phone=worker.phone)
    roster.answer_invitation(actor=worker, membership_id=membership.id, accept=True)
    if consent:
        roster.set_consents(actor=worker, membership_id=membership.id,
                            categories=list(consent))
    db.session.commit()
    return membership


def build_sharing(firm_a, firm_b, worker_b, make_worker) -> dict:
    """Firm B lists worker B and another employee (MARKER_STAFF_B) as idle staff; firm A needs
    staff; firm B lends worker B to firm A under a signed agreement worker B consented to."""
    import datetime as dt

    from marketplace.sharing import agreements
    from marketplace.sharing import services as sharing

    staff = {}
    # Far from every shift of the world, so no candidate list shows them for another reason.
    idle = make_worker(name=MARKER_STAFF_B, district="rongcheng", lat=37.1652, lon=122.4867,
                       radius=1)
    for worker in (worker_b, idle):
        member = sharing.add_staff(actor=firm_b, phone=worker.phone)
        db.session.flush()
        sharing.respond_staff(actor=worker, staff_id=member.id, accept=True)
        staff[worker.id] = member.id
    db.session.commit()
    tomorrow = sharing.local_today() + dt.timedelta(days=1)
    later = tomorrow + dt.timedelta(days=9)  # clear of shift A (in two days)
    period = {"start_date": later, "end_date": later + dt.timedelta(days=2),
              "district": "jingqu", "skills": ["loading"], "headcount": 2}
    offer = sharing.create_listing(actor=firm_b, kind="offer", data={
        "title": "乙公司富余员工", "staff_ids": sorted(staff.values()), **period})
    need = sharing.create_listing(actor=firm_a, kind="need", data={
        "title": "甲公司装卸需求", "work_content": "装卸", "daily_pay_fen": 23000, **period})
    db.session.commit()
    agreement = agreements.propose(actor=firm_a, listing_id=need.id, counterpart_id=offer.id)
    db.session.commit()
    agreement = agreements.update_terms(
        actor=firm_b, agreement_id=agreement.id, version=agreement.terms_version,
        changes={"title": f"{MARKER_AGREEMENT}装卸", "weekdays": "1234567",
                 "worker_ids": [worker_b.id]})
    db.session.commit()
    for firm_user in (firm_a, firm_b):
        agreements.sign(actor=firm_user, agreement_id=agreement.id,
                        version=agreement.terms_version)
        db.session.commit()
    agreements.consent(actor=worker_b, agreement_id=agreement.id)
    db.session.commit()
    return {"staff_id": staff[worker_b.id], "listing_id": offer.id, "need_id": need.id,
            "agreement_id": agreement.id, "agreement_version": agreement.terms_version,
            "tomorrow": tomorrow.isoformat(), "staff_decision": "end",
            "worker_decision": "withdraw"}


def build_url(rule: str, values: dict, principal: str | None) -> str:
    values = {**values, **{name: values[key] for name, key in URL_VALUES.get(rule, {}).items()}}
    if "<action>" in rule:
        values = {**values, "action": "withdraw" if principal and "worker" in principal
                  else "retract" if principal and "agency" in principal else "reject"}
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule)


def signed_in_client(app, user):
    client = app.test_client()
    if user is not None:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
    return client


def fill_in(payload, values):
    """The payload with "{name}" placeholders (in keys and values, nested) filled in."""
    if isinstance(payload, str):
        return payload.format(**values)
    if isinstance(payload, dict):
        return {fill_in(k, values): fill_in(v, values) for k, v in payload.items()}
    if isinstance(payload, list):
        return [fill_in(v, values) for v in payload]
    return payload


def request_as(app, principal, users, values, rule, method, url):
    user = users.get(principal) if principal else None
    client = signed_in_client(app, user)
    payload = fill_in(PAYLOADS.get(rule, {}), values)
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


PRINCIPALS = [None, "worker_a", "worker_b", "firm_a", "firm_b", "firm_c", "admin", "agency_a",
              "agency_b", "partner_a", "partner_b"]


def expected_denial(entry: Rule, principal: str | None, rule: str) -> int | None:
    """The status a principal must get, or None when access is allowed."""
    api = rule.startswith("/api/")
    if entry.who == PUBLIC:
        return None
    if principal is None:
        return 401 if api else 302
    role = principal.split("_")[0]
    if entry.owner == "both" and role == PARTNER and entry.who != PARTY:
        return 404  # an application exists only for its parties and administrators
    allowed = ROLE_GROUPS.get(entry.who, {entry.who})
    if role not in allowed:
        return 403 if api else 404
    owner = entry.owner
    if owner == "both":
        owner = {"firm": "firm_a", "worker": "worker_a", "agency": "agency_a"}.get(role)
    owners = OWNERS.get(owner, {owner}) if owner else set()
    if owners and principal not in owners and (role != "admin" or owner in OWN_ONLY):
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
            if (principal in ("worker_b", "firm_b", "agency_b", None, "partner_a", "partner_b")
                    and MARKER_WORKER_A in body):
                failures.append(f"{method} {url} as {principal}: shows worker A")
            if principal in ("agency_a", "worker_a") and MARKER_WORKER_B in body:
                failures.append(f"{method} {url} as {principal}: shows worker B")
            if (principal in ("worker_a", "worker_b", None, "partner_a", "agency_a", "agency_b")
                    and MARKER_COHORT_B in body):
                failures.append(f"{method} {url} as {principal}: shows base B's cohort")
            if principal not in ("firm_b", "admin") and MARKER_SHIFT_B in body:
                failures.append(f"{method} {url} as {principal}: shows firm B's shift")
            if principal not in ("firm_b", "admin") and MARKER_STAFF_B in body:
                failures.append(f"{method} {url} as {principal}: shows firm B's other staff")
            if (principal not in ("firm_a", "firm_b", "worker_b", "admin")
                    and MARKER_AGREEMENT in body):
                failures.append(f"{method} {url} as {principal}: shows the agreement")
    assert not failures, "\n".join(failures)
