"""Daily closing FX rates: a mean-reverting geometric random walk per currency from realistic levels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geography import FX_DAILY_VOLATILITY, FX_START_LEVELS
from .timeline import History

MEAN_REVERSION = 0.01
DOLLAR_FACTOR_SHARE = 0.5  # part of each day's move that is the dollar itself moving against everything


@dataclass(frozen=True)
class FxRates:
    dates: np.ndarray  # datetime64[D] business days
    currencies: list[str]
    rates: np.ndarray  # [date, currency] USD per unit, rounded to 8 dp

    def as_of(self, currency: str, when: np.ndarray) -> np.ndarray:
        """Rate of the latest business day on or before each date in `when`."""
        row = np.searchsorted(self.dates, when.astype("datetime64[D]"), side="right") - 1
        if (row < 0).any():
            raise ValueError("date before the first FX rate")
        return self.rates[row, self.currencies.index(currency)]

    def columns(self) -> dict[str, np.ndarray]:
        n_dates, n_cur = self.rates.shape
        return {
            "rate_date": np.repeat(self.dates, n_cur),
            "currency_code": np.tile(np.array(self.currencies), n_dates),
            "usd_per_unit": self.rates.reshape(-1),
        }


def build_fx(currencies: list[str], history: History, rng: np.random.Generator) -> FxRates:
    codes = sorted(set(currencies) | {"USD"})
    dates = history.fx_dates
    level = np.log(np.array([FX_START_LEVELS[c] for c in codes]))
    vol = np.array([FX_DAILY_VOLATILITY[c] for c in codes])
    common = rng.standard_normal(len(dates))
    own = rng.standard_normal((len(dates), len(codes)))
    shocks = vol * (np.sqrt(DOLLAR_FACTOR_SHARE) * common[:, None] + np.sqrt(1 - DOLLAR_FACTOR_SHARE) * own)

    log_rate = np.empty((len(dates), len(codes)))
    log_rate[0] = level
    for i in range(1, len(dates)):
        log_rate[i] = log_rate[i - 1] + MEAN_REVERSION * (level - log_rate[i - 1]) + shocks[i]
    rates = np.round(np.exp(log_rate), 8)
    rates[:, codes.index("USD")] = 1.0
    return FxRates(dates=dates, currencies=codes, rates=rates)
