"""The simulated history: its days, business days for FX, and day-index arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

DEFAULT_START = date(2022, 1, 1)
DEFAULT_END = date(2025, 12, 31)
FX_LEAD_DAYS = 14  # FX history starts this many days before the first ledger day
HISTORY_YEARS = 4  # 36 month-ends with a prior year, plus the year before them


def years_ending(end: date, years: int = HISTORY_YEARS) -> date:
    """The first day of `years` whole years ending on `end`: 2025-12-31 -> 2022-01-01 (1,461 days for 4).
    A start that would fall on a Feb 29 the earlier year does not have moves to Mar 1."""
    after = end + timedelta(days=1)
    try:
        return after.replace(year=after.year - years)
    except ValueError:  # Feb 29 in a year that is not a leap year
        return date(after.year - years, 3, 1)


def weekday_of(days: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 for datetime64[D] values (1970-01-01 was a Thursday)."""
    return (days.astype("datetime64[D]").astype(np.int64) + 3) % 7


@dataclass(frozen=True)
class History:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def days(self) -> np.ndarray:
        return np.datetime64(self.start, "D") + np.arange(self.n_days)

    @property
    def opening_date(self) -> date:
        """as_of_date of the opening balances: the day before the first ledger day."""
        return self.start - timedelta(days=1)

    @property
    def fx_dates(self) -> np.ndarray:
        first = np.datetime64(self.start - timedelta(days=FX_LEAD_DAYS), "D")
        span = first + np.arange((self.end - self.start).days + 1 + FX_LEAD_DAYS)
        return span[weekday_of(span) < 5]

    def index(self, d: date) -> int:
        return (d - self.start).days

    def date_at(self, t: int | np.ndarray) -> np.ndarray:
        return np.datetime64(self.start, "D") + np.asarray(t)
