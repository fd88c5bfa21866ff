"""Retry a unit of work that lost a write-write race: Redshift serializable isolation violations
(error 1023, SQLSTATE 40001) and DuckDB transaction conflicts. Anything else is raised at once."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_CONFLICT_MARKERS = (
    "serializable isolation violation",  # Redshift ERROR: 1023
    "error: 1023",
    "40001",  # SQLSTATE serialization_failure
    "could not serialize access",  # PostgreSQL
    "transactioncontext error: conflict",  # DuckDB write-write conflict
    "write-write conflict",
)


def is_write_conflict(exc: BaseException) -> bool:
    return is_write_conflict_message(f"{type(exc).__name__} {exc}")


def is_write_conflict_message(text: str) -> bool:
    """Whether an error text (an exception, a failed run's log) reports a lost write-write race."""
    return any(marker in text.lower() for marker in _CONFLICT_MARKERS)


def retry_write_conflicts(
    work: Callable[[], T],
    *,
    attempts: int = 5,
    base_delay_seconds: float = 0.5,
    max_delay_seconds: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> T:
    """Run `work`; when it fails with a write conflict, wait (exponential backoff with jitter) and rerun it.

    `work` must be a whole transaction, so a rerun starts from a clean state.
    """
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except Exception as exc:  # noqa: BLE001 - classified below, re-raised when not a conflict
            if attempt == attempts or not is_write_conflict(exc):
                raise
            delay = min(max_delay_seconds, base_delay_seconds * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
            if on_retry:
                on_retry(attempt, exc, delay)
            sleep(delay)
    raise AssertionError("unreachable")
