"""Clock helpers for the generator: working-hours timestamps in a person's time zone.

Every helper takes the generator's ``random.Random`` and returns aware UTC
datetimes, or ``None`` when the moment would fall after the period's end (the
thing has not happened yet as of ``World.now``).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import random
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
DAY_START_HOUR = 9
DAY_END_HOUR = 18


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def to_work_hours(rng: random.Random, tz: str, when: dt.datetime) -> dt.datetime:
    """Move ``when`` forward to the next weekday working moment in ``tz`` (unchanged if already inside)."""
    local = when.astimezone(_zone(tz))
    if local.weekday() < 5 and DAY_START_HOUR <= local.hour < DAY_END_HOUR:
        return when
    day = local.date()
    if local.hour >= DAY_END_HOUR or local.weekday() >= 5:
        day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    minutes = int(rng.expovariate(1 / 35))  # people trickle in after the start of the day
    start = dt.datetime(day.year, day.month, day.day, DAY_START_HOUR, tzinfo=_zone(tz))
    moment = start + dt.timedelta(minutes=min(minutes, 180), seconds=rng.randrange(60))
    return moment.astimezone(UTC)


def work_moment(rng: random.Random, tz: str, start: dt.datetime, end: dt.datetime) -> dt.datetime | None:
    """A random weekday working-hours moment in ``tz`` within ``[start, end]``; None if there is none."""
    if end <= start:
        return None
    span = (end - start).total_seconds()
    for _ in range(8):
        local_day = (start + dt.timedelta(seconds=rng.random() * span)).astimezone(_zone(tz)).date()
        if local_day.weekday() >= 5:
            continue
        seconds = rng.randrange(DAY_START_HOUR * 3600, DAY_END_HOUR * 3600)
        local = dt.datetime(local_day.year, local_day.month, local_day.day, tzinfo=_zone(tz))
        moment = (local + dt.timedelta(seconds=seconds)).astimezone(UTC)
        if start <= moment <= end:
            return moment
    return None


def later(
    rng: random.Random,
    tz: str | None,
    after: dt.datetime,
    median_hours: float,
    end: dt.datetime,
    *,
    sigma: float = 1.0,
    min_minutes: float = 1.0,
) -> dt.datetime | None:
    """``after`` plus a lognormal delay (median ``median_hours``), moved into working hours of ``tz``.

    ``tz=None`` keeps the raw delay (bots, reflex approvals).  Returns None when
    the result is past ``end``.
    """
    hours = rng.lognormvariate(math.log(median_hours), sigma)
    moment = after + dt.timedelta(hours=hours, minutes=min_minutes)
    if tz is not None:
        moment = to_work_hours(rng, tz, moment)
    moment = moment.replace(microsecond=0)
    return moment if moment <= end else None


def minutes_after(
    rng: random.Random, after: dt.datetime, low: float, high: float, end: dt.datetime
) -> dt.datetime | None:
    """``after`` plus a uniform ``low``..``high`` minutes; None past ``end``."""
    moment = after + dt.timedelta(minutes=rng.uniform(low, high))
    return moment.replace(microsecond=0) if moment <= end else None
