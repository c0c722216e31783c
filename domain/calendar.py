"""Calendar arithmetic for business dates. Pure: callers supply every instant."""

from __future__ import annotations

import calendar
from datetime import datetime


def add_months(moment: datetime, months: int) -> datetime:
    """Shift by whole months, clamping the day (31 Jan + 1 month = 28/29 Feb)."""
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if moment.day <= 28:  # every month has the day: no need to ask the calendar
        return moment.replace(year=year, month=month)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def add_years(moment: datetime, years: int) -> datetime:
    return add_months(moment, 12 * years)
