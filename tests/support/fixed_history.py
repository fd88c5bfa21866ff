"""Fixtures built on the simulator's fixed history (simulation.timeline: 2022-01-01 to 2025-12-31, or part of it)
hold data that is late by today's clock, so each layer's `data_is_current` check fails on them. Tests about
something else widen its window through the environment; tests/integration/test_data_freshness.py is where
late data is tested."""

# A century: whatever day the suite runs, the fixed history is within the window.
FIXED_HISTORY_FRESHNESS_ENV = {"INVENTORY_DATA_FRESHNESS_WARN_HOURS": str(24 * 365 * 100),
                               "INVENTORY_DATA_FRESHNESS_FAIL_HOURS": str(24 * 365 * 101)}
