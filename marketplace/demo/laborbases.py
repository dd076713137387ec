"""Demo data of the labor-base domain: the registry (31 out-of-province labor bases and the
labor-cooperation regions), partner accounts, and cohorts over the last months with members
among the demo's out-of-province workers.

The loader calls `add_registry` before it creates the workers (their profiles get the base's
id) and `add_cohorts` at the end, with a random generator of its own, so the rest of the demo
market is the same with or without this domain.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

import numpy as np

from marketplace.auth.models import Role
from marketplace.timeutil import LOCAL_TZ

PARTNER_PHONE = "13900000005"
PARTNER_BASE = "重庆云阳劳务协作基地"
PARTNER_NAME = "刘晓梅"

# (province, city or county, short name, how the partner organisation is called)
_LABOR_BASES: tuple[tuple[str, str, str, str], ...] = (
    ("河南", "周口市", "周口", "周口市人力资源和社会保障局"),
    ("河南", "商丘市", "商丘", "商丘市人力资源和社会保障局"),
    ("河南", "驻马店市", "驻马店", "驻马店市人力资源和社会保障局"),
    ("河南", "信阳市", "信阳", "信阳市人力资源和社会保障局"),
    ("河南", "南阳市", "南阳", "南阳市人力资源和社会保障局"),
    ("甘肃", "定西市", "定西", "定西市人力资源和社会保障局"),
    ("甘肃", "陇南市", "陇南", "陇南市人力资源和社会保障局"),
    ("甘肃", "天水市", "天水", "天水市人力资源和社会保障局"),
    ("甘肃", "临夏回族自治州", "临夏", "临夏州人力资源和社会保障局"),
    ("贵州", "毕节市", "毕节", "毕节市人力资源和社会保障局"),
    ("贵州", "铜仁市", "铜仁", "铜仁市人力资源和社会保障局"),
    ("贵州", "遵义市", "遵义", "遵义市人力资源和社会保障局"),
    ("四川", "广安市", "广安", "广安市人力资源和社会保障局"),
    ("四川", "南充市", "南充", "南充市人力资源和社会保障局"),
    ("四川", "达州市", "达州", "达州市人力资源和社会保障局"),
    ("云南", "昭通市", "昭通", "昭通市人力资源和社会保障局"),
    ("云南", "曲靖市", "曲靖", "曲靖市人力资源和社会保障局"),
    ("广西", "河池市", "河池", "河池市人力资源和社会保障局"),
    ("广西", "百色市", "百色", "百色市人力资源和社会保障局"),
    ("安徽", "阜阳市", "阜阳", "阜阳市人力资源和社会保障局"),
    ("安徽", "六安市", "六安", "六安市人力资源和社会保障局"),
    ("山西", "吕梁市", "吕梁", "吕梁市人力资源和社会保障局"),
    ("山西", "忻州市", "忻州", "忻州市人力资源和社会保障局"),
    ("黑龙江", "绥化市", "绥化", "绥化市人力资源和社会保障局"),
    ("黑龙江", "齐齐哈尔市", "齐齐哈尔", "齐齐哈尔市人力资源和社会保障局"),
    ("宁夏", "固原市", "固原", "固原市人力资源和社会保障局"),
    ("陕西", "汉中市", "汉中", "汉中市人力资源和社会保障局"),
    ("陕西", "安康市", "安康", "安康市人力资源和社会保障局"),
    ("湖北", "恩施土家族苗族自治州", "恩施", "恩施州人力资源和社会保障局"),
    ("湖南", "邵阳市", "邵阳", "邵阳市人力资源和社会保障局"),
    ("江西", "赣州市", "赣州", "赣州市人力资源和社会保障局"),
)
# Labor cooperation with central and western regions (东西部劳务协作), e.g. 重庆云阳.
_COOPERATION_REGIONS: tuple[tuple[str, str, str, str], ...] = (
    ("重庆", "云阳县", "云阳", "云阳县人力资源和社会保障局"),
    ("重庆", "巫山县", "巫山", "巫山县人力资源和社会保障局"),
)
_CONTACT_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭"
_NOTES = (
    "多数有水产加工经验，部分持健康证。", "带队人随行，希望集中安排住宿。",
    "以青壮年为主，可上夜班。", "部分人员会开叉车，证件齐全。", "希望就近安排，方便统一管理。",
)


def registry() -> list[dict[str, str]]:
    """The demo registry, in a fixed order: 31 labor bases, then the cooperation regions."""
    entries = []
    for kind, rows, suffix in (("labor_base", _LABOR_BASES, "劳务基地"),
                               ("cooperation_region", _COOPERATION_REGIONS, "劳务协作基地")):
        for province, city, short, org in rows:
            entries.append({"kind": kind, "province": province, "city": city,
                            "name": f"{province}{short}{suffix}", "partner_org": org})
    return entries


def add_registry(builder) -> dict[str, int]:
    """Registry rows (and their audit entries); returns base name -> id."""
    ids: dict[str, int] = {}
    for n, entry in enumerate(registry()):
        created = builder.base - dt.timedelta(days=420 - n)
        base_id = builder.new_id("labor_bases")
        builder.add("labor_bases", id=base_id, name=entry["name"], province=entry["province"],
                    city=entry["city"], partner_org=entry["partner_org"],
                    contact_name=f"{_CONTACT_SURNAMES[n % len(_CONTACT_SURNAMES)]}科长",
                    contact_phone=None, kind=entry["kind"], created_at=created)
        builder.add("audit_log", id=builder.new_id("audit_log"), at=created,
                    actor_id=builder.admin_id, action="labor_base.create",
                    target_type="labor_base", target_id=base_id,
                    details={"name": entry["name"], "province": entry["province"],
                             "kind": entry["kind"]})
        ids[entry["name"]] = base_id
    return ids


def add_cohorts(builder, base_ids: dict[str, int], *, seed: int,
                demo_worker_id: int) -> dict[str, Any]:
    """Partner accounts and cohorts: for every base with demo workers an old and a mid cohort
    (counted only, and members), a recent one with members and an upcoming one; a past cohort
    for some other bases. The demo worker has an unanswered invitation."""
    rng = np.random.default_rng([seed, 2026, 4])
    rows = builder.market.rows
    today = builder.base  # local midnight of today, in UTC
    workers: dict[int, list[int]] = defaultdict(list)
    skills: dict[int, Counter] = defaultdict(Counter)
    profile_of = {}
    for profile in rows["worker_profiles"]:
        if profile["labor_base_id"] is not None:
            workers[profile["labor_base_id"]].append(profile["user_id"])
            profile_of[profile["user_id"]] = profile
    for skill in rows["worker_skills"]:
        profile = profile_of.get(skill["worker_id"])
        if profile is not None:
            skills[profile["labor_base_id"]][skill["code"]] += 1
    name_of = {v: k for k, v in base_ids.items()}
    busy = sorted(workers, key=lambda b: (-len(workers[b]), b))
    quiet = [b for b in base_ids.values() if b not in workers]
    quiet = [quiet[i] for i in sorted(rng.choice(len(quiet), size=min(10, len(quiet)),
                                                 replace=False))]
    partners: dict[int, int] = {}
    for base_id in busy:
        name = name_of[base_id]
        demo = name == PARTNER_BASE
        created = today - dt.timedelta(days=int(rng.integers(200, 300)))
        uid = builder.user(phone=PARTNER_PHONE if demo else builder.phone(),
                           name=PARTNER_NAME if demo else builder.person_name(),
                           role=Role.PARTNER.value, firm_id=None, created_at=created,
                           labor_base_id=base_id)
        partners[base_id] = uid
        builder.add("audit_log", id=builder.new_id("audit_log"), at=created,
                    actor_id=builder.admin_id, action="labor_base.partner_create",
                    target_type="labor_base", target_id=base_id, details={"user_id": uid})

    counts = {"cohorts": 0, "members": 0}

    def day(days_from_today: int) -> dt.date:
        return (today + dt.timedelta(days=days_from_today, hours=12)).astimezone(
            LOCAL_TZ).date()

    def cohort(base_id: int, offset: int, headcount: int, members: list[int],
               pending: set[int] = frozenset()) -> None:
        arrival = day(offset)
        top = [code for code, _n in skills[base_id].most_common(3)]
        registered = min(today + dt.timedelta(days=offset - int(rng.integers(5, 20))),
                         today - dt.timedelta(hours=2))
        cohort_id = builder.new_id("cohorts")
        by = partners.get(base_id)
        builder.add("cohorts", id=cohort_id, labor_base_id=base_id, agency_id=None,
                    registered_by_id=by, arrival_date=arrival,
                    headcount=max(headcount, len(members)), members=len(members),
                    district=str(rng.choice(["rongcheng", "jingqu", "lingang", "wendeng"])),
                    housing_needed=bool(rng.random() < 0.7),
                    meals_needed=bool(rng.random() < 0.6),
                    note=str(rng.choice(_NOTES)) if rng.random() < 0.6 else None,
                    status="registered", created_at=registered, cancelled_at=None)
        for code in top:
            builder.add("cohort_skills", cohort_id=cohort_id, code=code)
        if by is not None:
            builder.add("audit_log", id=builder.new_id("audit_log"), at=registered,
                        actor_id=by, action="cohort.create", target_type="cohort",
                        target_id=cohort_id, details={"labor_base_id": base_id,
                                                      "headcount": headcount})
        for worker_id in members:
            invited = registered + dt.timedelta(hours=float(rng.uniform(1, 48)))
            invited = min(invited, today - dt.timedelta(hours=1))
            answered = worker_id not in pending
            responded = (min(invited + dt.timedelta(hours=float(rng.uniform(1, 72))),
                             today - dt.timedelta(minutes=30)) if answered else None)
            builder.add("cohort_members", id=builder.new_id("cohort_members"),
                        cohort_id=cohort_id, worker_id=worker_id,
                        status="accepted" if answered else "invited", invited_by_id=by,
                        invited_at=invited, responded_at=responded)
            if not answered:
                builder.add("notifications", id=builder.new_id("notifications"),
                            user_id=worker_id, kind="cohort_invite",
                            message=f"cohort_invite:{name_of[base_id]}", link="/me/base",
                            created_at=invited, read_at=None)
        counts["cohorts"] += 1
        counts["members"] += len(members)

    for base_id in busy:
        people = list(workers[base_id])
        order = rng.permutation(len(people))
        people = [people[i] for i in order]
        if name_of[base_id] == PARTNER_BASE and demo_worker_id in people:
            people.remove(demo_worker_id)
            people.insert(0, demo_worker_id)
        mid, recent = people[1::2][:10], people[0::2][:10]
        cohort(base_id, -int(rng.integers(150, 175)), int(rng.integers(15, 40)), [])
        cohort(base_id, -int(rng.integers(80, 110)), len(mid) + int(rng.integers(5, 20)), mid)
        pending = {demo_worker_id} | {w for w in recent if rng.random() < 0.1}
        cohort(base_id, -int(rng.integers(31, 45)), len(recent) + int(rng.integers(3, 15)),
               recent, pending)
        cohort(base_id, int(rng.integers(3, 25)), int(rng.integers(10, 45)), [])
    for base_id in quiet:
        cohort(base_id, -int(rng.integers(20, 170)), int(rng.integers(8, 30)), [])
    return {"labor bases": len(base_ids), "cohorts": counts["cohorts"],
            "cohort members": counts["members"]}
