"""The ad-hoc analyst query of the bench (`adhoc_fact_query`): the Silver fact joined through its dimensions,
grouped by category x region x month over 36 months. Timed like raw_yoy, and checked: every fact row of the
window is counted once (an inner join that drops or fans out rows would make the time meaningless)."""

from __future__ import annotations

import statistics
import time
from datetime import date
from pathlib import Path

from inventory_platform.lib.duckdb_warehouse import connect_duckdb

ADHOC_SQL = Path(__file__).with_name("adhoc_fact_query.sql").read_text()
MONTHS = 36


def first_day_of_window(last_day: date, months: int = MONTHS) -> date:
    """First day of the month `months - 1` months before last_day's: the window holds `months` calendar months."""
    index = last_day.year * 12 + last_day.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def measure_adhoc_fact_query(duckdb_path: Path, runs: int) -> dict:
    with connect_duckdb(duckdb_path, read_only=True) as con:
        con.execute("SET enable_progress_bar = false")
        last_day = con.execute("select max(event_date) from silver.fct_inventory_transactions").fetchone()[0]
        from_day = first_day_of_window(last_day)
        fact_rows = con.execute("select count(*) from silver.fct_inventory_transactions where event_date >= ?",
                                [from_day]).fetchone()[0]
        times, rows = [], []
        for _ in range(runs + 1):  # the first run warms the file cache and is not counted
            started = time.perf_counter()
            rows = con.execute(ADHOC_SQL, {"from_day": from_day}).fetchall()
            times.append(time.perf_counter() - started)
    counted = sum(r[4] for r in rows)
    if counted != fact_rows or not rows:
        raise AssertionError(f"ad-hoc query counted {counted:,} movements, the fact holds {fact_rows:,} from {from_day}")
    times = times[1:]
    return {"runs": runs, "median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
            "max_s": round(max(times), 3), "rows_returned": len(rows), "fact_rows_read": fact_rows,
            "months": len({r[0] for r in rows}), "from_day": str(from_day), "through_day": str(last_day)}
