"""Does a shift's time fit a worker's availability? Pure functions, local (Asia/Shanghai) time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from marketplace.timeutil import LOCAL_TZ

Window = tuple[int, int]  # minutes since local midnight, [start, end)


@dataclass(frozen=True)
class Availability:
    weekly: dict[int, list[Window]]  # weekday (0 = Monday) -> windows
    dates: dict[dt.date, list[Window] | None]  # None = unavailable all day

    @property
    def unrestricted(self) -> bool:
        """A worker who has not said anything about availability is shown every shift."""
        return not self.weekly and not self.dates

    def windows_on(self, day: dt.date) -> list[Window]:
        if day in self.dates:
            return self.dates[day] or []
        if not self.weekly:
            return [(0, 1440)]  # only date exceptions given: other days are open
        return self.weekly.get(day.weekday(), [])


def build_availability(
    weekly_rows: Iterable[tuple[int, int, int]],
    date_rows: Iterable[tuple[dt.date, bool, int | None, int | None]],
) -> Availability:
    weekly: dict[int, list[Window]] = {}
    for weekday, start, end in weekly_rows:
        weekly.setdefault(weekday, []).append((start, end))
    dates: dict[dt.date, list[Window] | None] = {}
    for day, available, start, end in date_rows:
        if not available:
            dates[day] = None
        elif dates.get(day, []) is not None:
            dates.setdefault(day, []).append((start or 0, end or 1440))
    return Availability(weekly, dates)


def _merged(windows: list[Window]) -> list[Window]:
    merged: list[Window] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _covered(windows: list[Window], start: int, end: int) -> bool:
    return any(ws <= start and end <= we for ws, we in _merged(windows))


def fits(availability: Availability, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    """True when every minute of the shift lies inside the worker's available windows."""
    if availability.unrestricted:
        return True
    start, end = starts_at.astimezone(LOCAL_TZ), ends_at.astimezone(LOCAL_TZ)
    day = start.date()
    while True:
        day_start = dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ)
        seg_start = max(start, day_start)
        seg_end = min(end, day_start + dt.timedelta(days=1))
        if seg_end > seg_start:
            lo = int((seg_start - day_start).total_seconds() // 60)
            hi = int(-(-(seg_end - day_start).total_seconds() // 60))
            if not _covered(availability.windows_on(day), lo, hi):
                return False
        if seg_end >= end:
            return True
        day += dt.timedelta(days=1)
