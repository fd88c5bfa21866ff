"""The executive YoY question, two ways: from Gold exactly as the product answers it (reporting.yoy.yoy_trend,
behind `inventory-platform report yoy`), and from raw Bronze rows with independent SQL, month by month (raw_yoy.py).
Both give 36 months x (company total + each category) of value, prior year, YoY and constant-currency YoY."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import astuple
from decimal import Decimal
from pathlib import Path

import duckdb

from inventory_platform.bench.raw_yoy import MONTHS, ledger_files, ledger_span, raw_answer
from inventory_platform.lib.duckdb_warehouse import connect_duckdb
from inventory_platform.reporting.yoy import TREND, YoYRow, yoy_trend


def gold_answer(query: Callable[[str], list[tuple]], months: int = MONTHS) -> list[YoYRow]:
    """Company total and per-category rows, as `report yoy` and `report yoy --by category` return them."""
    return yoy_trend(query, by="total", months=months) + yoy_trend(query, by="category", months=months)


def as_tuples(rows: list[YoYRow]) -> list[tuple]:
    return sorted((astuple(r) for r in rows), key=lambda r: (r[0], r[1]))


def differences(gold: list[tuple], raw: list[tuple], limit: int = 5) -> list[str]:
    """Where the two answers differ: amounts to the cent, percentages to 1e-9 relative."""
    problems = []
    if [r[:2] for r in gold] != [r[:2] for r in raw]:
        only_gold = sorted(set(r[:2] for r in gold) - set(r[:2] for r in raw))[:limit]
        only_raw = sorted(set(r[:2] for r in raw) - set(r[:2] for r in gold))[:limit]
        return [f"rows differ: {len(gold)} from Gold, {len(raw)} from raw; only in Gold {only_gold}, only in raw {only_raw}"]
    for g, r in zip(gold, raw, strict=True):
        for name, a, b in zip(("value_usd", "prior_year_value_usd", "yoy_change_usd", "yoy_pct",
                               "value_constant_currency_usd", "constant_currency_yoy_pct"), g[2:], r[2:], strict=True):
            same = (a is None and b is None) or (
                a is not None and b is not None
                and (Decimal(a) == Decimal(b) if isinstance(a, Decimal) else math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)))
            if not same:
                problems.append(f"{g[0]} {g[1]} {name}: Gold {a}, raw {b}")
    return problems[:limit]


def _timed(fn: Callable[[], object], runs: int) -> tuple[list[float], object]:
    fn()  # warm: the first run pays for reading the file from disk
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def _stats_ms(times: list[float]) -> dict:
    return {"median_ms": round(statistics.median(times), 3), "min_ms": round(min(times), 3),
            "max_ms": round(max(times), 3)}


def history_size(con: duckdb.DuckDBPyConnection) -> dict:
    ledger, first, last = con.execute(
        "select count(*), min(event_ts)::date, max(event_ts)::date from bronze.inventory_transactions").fetchone()
    return {"ledger_rows": ledger, "history_first_day": str(first), "history_last_day": str(last)}


def measure_gold_yoy(duckdb_path: Path, runs: int) -> dict:
    with connect_duckdb(duckdb_path, read_only=True) as con:
        query = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        times, rows = _timed(lambda: gold_answer(query), runs)
        gold_rows = con.execute(f"select count(*) from {TREND}").fetchone()[0]
        size = history_size(con)
    connect_times = []
    for _ in range(min(runs, 5)):
        started = time.perf_counter()
        with connect_duckdb(duckdb_path, read_only=True) as con:
            con.execute("select 1").fetchall()
        connect_times.append((time.perf_counter() - started) * 1000)
    rows = as_tuples(rows)
    months = sorted({r[0] for r in rows})
    return {"runs": runs, **_stats_ms(times), "rows_returned": len(rows), "months": len(months),
            "first_month": str(months[0]) if months else None, "last_month": str(months[-1]) if months else None,
            "scopes": len({r[1] for r in rows}), "gold_rows_read": gold_rows,
            "open_connection_median_ms": round(statistics.median(connect_times), 2), **size}


def measure_raw_yoy(duckdb_path: Path, runs: int) -> dict:
    """Times the raw query and proves its answer equals Gold's (raises if not: a wrong query's time means nothing)."""
    with connect_duckdb(duckdb_path, read_only=True) as con:
        con.execute("SET enable_progress_bar = false")
        times, raw = _timed(lambda: raw_answer(con), runs)
        gold = as_tuples(gold_answer(lambda sql: con.execute(sql).fetchall()))
        size = history_size(con)
    problems = differences(gold, raw)
    if problems or not gold:
        raise AssertionError("raw YoY does not equal Gold's answer: " + ("; ".join(problems) or "Gold has no rows"))
    return {"runs": runs, "median_s": round(statistics.median(times) / 1000, 3), "min_s": round(min(times) / 1000, 3),
            "max_s": round(max(times) / 1000, 3), "rows_returned": len(raw), "equals_gold": True,
            "formulation": "bench/raw_yoy.py", **size}


def explain_plans(duckdb_path: Path) -> str:
    """EXPLAIN ANALYZE of every statement of the Gold answer and of the raw query, as DuckDB prints them."""
    with connect_duckdb(duckdb_path, read_only=True) as con:
        con.execute("SET enable_progress_bar = false")
        statements: list[str] = []
        gold_answer(lambda sql: statements.append(sql) or con.execute(sql).fetchall())
        size = history_size(con)
        sections = [f"-- Gold answer, statement {i} of {len(statements)} (reporting.yoy.yoy_trend)\n{sql}\n\n"
                    + con.execute(f"EXPLAIN ANALYZE {sql}").fetchall()[0][1] for i, sql in enumerate(statements, 1)]
        sections.append(_explain_raw_last_month(con))
    header = (f"DuckDB {duckdb.__version__}; warehouse {duckdb_path.name} with {size['ledger_rows']:,} Bronze ledger rows "
              f"({size['history_first_day']} .. {size['history_last_day']}).\n")
    return header + "\n\n".join(sections) + "\n"


def _explain_raw_last_month(con: duckdb.DuckDBPyConnection) -> str:
    """The raw answer's heaviest statement: the last month's balances (the largest carried state, and in the
    simulated history the busiest month), profiled as it runs inside the month-by-month computation."""
    last = ledger_span(con, ledger_files(con))[1]
    plan: list[str] = []

    def explain(sql: str, params: dict) -> None:
        if last is not None and params["month_start"] <= last < params["next_month_start"]:
            plan.append(f"-- Raw answer (inventory_platform/bench/raw_yoy.py), the balances of its last month, "
                        f"{params['month_end']}, {len(params['files'])} ledger files\n{sql}\n\n"
                        + con.execute(f"EXPLAIN ANALYZE {sql}", params).fetchall()[0][1])

    raw_answer(con, on_month=explain)
    return plan[0] if plan else "-- Raw answer: no ledger rows"
