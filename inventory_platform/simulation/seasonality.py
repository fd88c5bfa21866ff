"""Demand multipliers over time: weekly pattern, yearly profile per category and hemisphere, mild growth."""

from __future__ import annotations

import numpy as np

from .catalog import CATEGORIES
from .timeline import DEFAULT_START, History, weekday_of

# Monday ... Sunday
WEEKDAY_FACTORS = np.array([1.10, 1.06, 1.03, 1.00, 1.04, 0.92, 0.85])
ANNUAL_GROWTH = 0.04
# Growth is compounded from this fixed day, not from the simulation's first day, so that a calendar day has the
# same expected volume whatever day a simulation starts on (the bench's short history starts late in the period).
GROWTH_EPOCH = DEFAULT_START
FORWARD_WINDOW_DAYS = 21  # replenishment plans for the demand expected over roughly lead time plus cover


def _peak(doy: np.ndarray, centre: float, width: float) -> np.ndarray:
    dist = np.abs(doy - centre)
    dist = np.minimum(dist, 365.25 - dist)
    return np.exp(-0.5 * (dist / width) ** 2)


def _wave(doy: np.ndarray, peak_doy: float) -> np.ndarray:
    return np.cos(2 * np.pi * (doy - peak_doy) / 365.25)


def _profile(season: str, doy: np.ndarray, southern: bool) -> np.ndarray:
    # Climate-driven seasons flip in the southern hemisphere; holidays (Q4, New Year) do not.
    shift = 182.6 if southern else 0.0
    match season:
        case "flat":
            return 1 + 0.06 * _wave(doy, 350)
        case "q4_mild":
            return 1 + 0.35 * _peak(doy, 340, 25)
        case "q4":
            return 1 + 0.9 * _peak(doy, 340, 22) + 0.4 * _peak(doy, 331, 3)  # Christmas run-up, Black Friday
        case "q4_strong":
            return 0.6 + 2.5 * _peak(doy, 345, 18) + 0.6 * _peak(doy, 331, 3)
        case "summer":
            return 1 + 0.35 * _wave(doy, 190 + shift)
        case "summer_strong":
            return 1 + 0.7 * _wave(doy, 160 + shift)
        case "winter":
            return 1 + 0.3 * _wave(doy, 10 + shift)
        case "school":
            return 1 + 0.9 * _peak(doy, 30 if southern else 232, 14)
        case "new_year":
            return 1 + 0.8 * _peak(doy, 10, 12)
    raise ValueError(f"unknown season profile {season!r}")


def profile_index(category: np.ndarray, southern: np.ndarray) -> np.ndarray:
    """Column of the factor tables for a (category, hemisphere) combination."""
    return category.astype(np.int32) + len(CATEGORIES) * southern.astype(np.int32)


class Seasonality:
    """Precomputed per-day multipliers; columns follow profile_index()."""

    def __init__(self, history: History):
        n = history.n_days
        extended = np.datetime64(history.start, "D") + np.arange(n + FORWARD_WINDOW_DAYS)
        doy = (extended - extended.astype("datetime64[Y]")).astype(np.float64)
        year_doy = np.arange(365, dtype=np.float64)
        columns = []
        for southern in (False, True):
            for category in CATEGORIES:
                norm = _profile(category.season, year_doy, southern).mean()
                columns.append(_profile(category.season, doy, southern) / norm)
        yearly = np.stack(columns, axis=1)
        since_epoch = (history.start - GROWTH_EPOCH).days + np.arange(n + FORWARD_WINDOW_DAYS)
        growth = (1 + ANNUAL_GROWTH) ** (since_epoch / 365.25)
        trend = yearly * growth[:, None]

        self.daily = trend[:n] * WEEKDAY_FACTORS[weekday_of(extended[:n])][:, None]
        cumulative = np.vstack([np.zeros((1, trend.shape[1])), np.cumsum(trend, axis=0)])
        self.forward = (cumulative[FORWARD_WINDOW_DAYS:FORWARD_WINDOW_DAYS + n] - cumulative[:n]) / FORWARD_WINDOW_DAYS
