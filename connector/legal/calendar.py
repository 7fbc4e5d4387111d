"""Business days and the sending window.

A dunning step never goes out on a weekend, a public holiday or outside the client's sending
window; it moves to the next business moment instead. Holidays come from the `holidays` package
(public holidays of the country) plus any days the client lists (e.g. days equated by decree).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_pkg


@lru_cache(maxsize=64)
def _country_holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays_pkg.country_holidays(country, years=year).keys())


class BusinessCalendar:
    """Monday–Friday minus the country's public holidays and `extra_holidays`."""

    def __init__(
        self,
        country: str = "NL",
        extra_holidays: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
    ) -> None:
        self.country = country
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_working_days = frozenset(extra_working_days)

    def is_holiday(self, d: date) -> bool:
        if d in self.extra_working_days:
            return False
        return d in self.extra_holidays or d in _country_holidays(self.country, d.year)

    def is_business_day(self, d: date) -> bool:
        if d in self.extra_working_days:
            return True
        return d.weekday() < 5 and not self.is_holiday(d)

    def next_business_day(self, d: date, *, inclusive: bool = True) -> date:
        """`d` itself when it is a business day and `inclusive`, else the next one."""
        current = d if inclusive else d + timedelta(days=1)
        while not self.is_business_day(current):
            current += timedelta(days=1)
        return current


@dataclass(frozen=True, slots=True)
class SendingWindow:
    """Local hours in which mail may go out, e.g. 08:00–17:00 Europe/Amsterdam."""

    start: time
    end: time
    timezone: str = "Europe/Amsterdam"

    @classmethod
    def parse(cls, spec: str, timezone: str = "Europe/Amsterdam") -> SendingWindow:
        """Parse "HH:MM-HH:MM"; raises ValueError with what is wrong."""
        try:
            a, b = (part.strip() for part in spec.split("-"))
            start, end = time.fromisoformat(a), time.fromisoformat(b)
        except ValueError as exc:
            raise ValueError(f"expected 'HH:MM-HH:MM', got {spec!r}") from exc
        if start >= end:
            raise ValueError(f"window start {a} is not before end {b}")
        ZoneInfo(timezone)  # raises on an unknown zone
        return cls(start, end, timezone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def is_open(self, moment: datetime, calendar: BusinessCalendar) -> bool:
        local = self.local(moment)
        return calendar.is_business_day(local.date()) and self.start <= local.time() < self.end

    def opening_on(self, d: date) -> datetime:
        """The window's opening on local day `d`, as an aware UTC datetime (DST-correct)."""
        return datetime.combine(d, self.start, tzinfo=self.zone).astimezone(UTC)

    def next_moment(self, moment: datetime, calendar: BusinessCalendar) -> datetime:
        """`moment` if the window is open then, else the next opening on a business day."""
        if self.is_open(moment, calendar):
            return moment
        local = self.local(moment)
        d = local.date()
        if not (calendar.is_business_day(d) and local.time() < self.start):
            d = calendar.next_business_day(d, inclusive=False)
        return self.opening_on(d)

    def earliest_send(self, scheduled: date, calendar: BusinessCalendar) -> datetime:
        """When a step scheduled for local day `scheduled` may first go out."""
        return self.next_moment(self.opening_on(scheduled), calendar)
