"""Pass, warn and fail: the three states every check and alert in this package speaks in."""

from __future__ import annotations

from enum import Enum


class Level(str, Enum):  # noqa: UP042 - StrEnum changes what str() and format() give for a member
    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"


def level_for(value: float, warn_at: float, fail_at: float) -> Level:
    """FAIL from fail_at up, WARN from warn_at up, PASS below: thresholds are inclusive."""
    if value >= fail_at:
        return Level.FAIL
    if value >= warn_at:
        return Level.WARN
    return Level.PASS
