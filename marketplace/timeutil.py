"""Time helpers: UTC in the database, Asia/Shanghai for people."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def to_local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(LOCAL_TZ)


def parse_local(value: str) -> dt.datetime:
    """Parse an ISO-8601 time; a time without offset is taken as Asia/Shanghai local time."""
    parsed = dt.datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LOCAL_TZ)
    return parsed.astimezone(dt.UTC)


UTC_MIN = dt.datetime.min.replace(tzinfo=dt.UTC)
UTC_MAX = dt.datetime.max.replace(tzinfo=dt.UTC)


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC start and end of a local day; the first and last days datetime can hold are
    cut at its limits (their local midnight falls outside it) instead of overflowing."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ)
    try:
        utc_start = start.astimezone(dt.UTC)
    except OverflowError:
        utc_start = UTC_MIN
    try:
        utc_end = (start + dt.timedelta(days=1)).astimezone(dt.UTC)
    except OverflowError:
        utc_end = UTC_MAX
    return utc_start, utc_end
