"""Builders for the HR agency tests: agencies (verified or not) and roster memberships made
through the real services."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from marketplace.extensions import db
from tests.conftest import _HASH, new_credit_code, new_phone

_licences = itertools.count(1)


@pytest.fixture
def make_agency() -> Callable:
    from marketplace.agencies.models import Agency
    from marketplace.auth.models import Role, User
    from marketplace.firms.models import Verification

    def build(*, name: str = "威海诚信人力资源有限公司", verified: bool = True,
              suspended: bool = False) -> User:
        agency = Agency(name=name, credit_code=new_credit_code(),
                        licence_no=f"371000{next(_licences):08d}", district="huancui",
                        verification_status=Verification.VERIFIED if verified
                        else Verification.PENDING, brokering_suspended=suspended)
        user = User(phone=new_phone(), password_hash=_HASH, name="刘经理", role=Role.AGENCY,
                    agency=agency)
        db.session.add(user)
        db.session.commit()
        return user

    return build


@pytest.fixture
def enrol() -> Callable:
    """Put a worker on an agency's roster the way it happens: the agency invites, the worker
    accepts; optionally with standing consent for some categories."""
    from marketplace.agencies import roster

    def do(agency_user, worker, *, consent: tuple[str, ...] = ()):
        membership = roster.invite(actor=agency_user, phone=worker.phone)
        roster.answer_invitation(actor=worker, membership_id=membership.id, accept=True)
        if consent:
            roster.set_consents(actor=worker, membership_id=membership.id,
                                categories=list(consent))
        db.session.commit()
        return membership

    return do


FIXED_50 = {"kind": "fixed", "fixed_fen": 5000}
