"""Builders for the labor-base tests: registry entries, partner and agency accounts, cohorts."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import pytest

from marketplace.extensions import db
from tests.conftest import _HASH, new_credit_code, new_phone

_licences = itertools.count(1)


def local_today() -> dt.date:
    from marketplace.laborbases.services import today_local

    return today_local()


@pytest.fixture
def admin(make_admin):
    return make_admin()


@pytest.fixture
def make_base(admin) -> Callable:
    from marketplace.laborbases import services

    def build(*, name: str = "甘肃定西劳务基地", province: str = "甘肃", city: str = "定西市",
              partner_org: str = "定西市人力资源和社会保障局", kind: str = "labor_base", **extra):
        base = services.create_base(actor=admin, data={
            "name": name, "province": province, "city": city, "partner_org": partner_org,
            "kind": kind, **extra})
        db.session.commit()
        return base

    return build


@pytest.fixture
def make_partner() -> Callable:
    from marketplace.auth.models import Role, User

    def build(base, *, name: str = "基地联络员") -> User:
        user = User(phone=new_phone(), password_hash=_HASH, name=name, role=Role.PARTNER,
                    labor_base_id=base.id)
        db.session.add(user)
        db.session.commit()
        return user

    return build


@pytest.fixture
def make_agency_user() -> Callable:
    from marketplace.agencies.models import Agency
    from marketplace.auth.models import Role, User

    def build(*, verified: bool = True, name: str = "威海人力资源服务有限公司") -> User:
        agency = Agency(name=name, credit_code=new_credit_code(),
                        licence_no=f"371000{next(_licences):06d}",
                        verification_status="verified" if verified else "pending")
        user = User(phone=new_phone(), password_hash=_HASH, name="中介经理", role=Role.AGENCY,
                    agency=agency)
        db.session.add(user)
        db.session.commit()
        return user

    return build


@pytest.fixture
def make_cohort() -> Callable:
    from marketplace.laborbases import services

    def build(actor, *, arrival: dt.date | None = None, headcount: int = 10,
              housing: bool = False, meals: bool = False, **extra):
        cohort = services.create_cohort(actor=actor, data={
            "arrival_date": arrival or local_today() + dt.timedelta(days=7),
            "headcount": headcount, "housing_needed": housing, "meals_needed": meals,
            **extra})
        db.session.commit()
        return cohort

    return build
