"""The raw YoY answer (bench/raw_yoy.py), computed month by month from Bronze, equals the independent pandas
valuation of the landing files to the cent, on a `tiny` history with the month-by-month edges: a month with
no ledger row at all (balances carried across it, the month left out as Gold leaves it out), a warehouse
that changes currency mid-history, products that change category, costs that change, pairs whose first flow
is the opening balance and pairs that stop moving. Each month's statement reads only the ledger files whose
event_ts range (from their footers) meets the month."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from inventory_platform.bench.raw_yoy import MONTHS, raw_answer
from inventory_platform.bronze.loader import landing_files, load_files
from inventory_platform.landing_contract import SOURCE_TABLES
from inventory_platform.simulation import simulate

from ..e2e.independent_valuation import expected_gold_cells

GAP_MONTH = "2023-06"
CURRENCY_CHANGE = ("WH-002", date(2024, 3, 15), "GBP")


@pytest.fixture(scope="module")
def bronze(tmp_path_factory):
    root = tmp_path_factory.mktemp("raw_yoy")
    landing = root / "landing"
    simulate("tiny", 5, landing, progress=False)
    for day in (landing / "inventory_transactions").glob(f"date={GAP_MONTH}-*"):
        shutil.rmtree(day)
    warehouses = pq.read_table(landing / "warehouses" / "warehouses.parquet")
    warehouse_id, valid_from, currency = CURRENCY_CHANGE
    version = warehouses.filter(pc.equal(warehouses["warehouse_id"], warehouse_id)).slice(0, 1)
    for name, value in (("valid_from", valid_from), ("currency_code", currency)):
        column = version.schema.get_field_index(name)
        version = version.set_column(column, name, pa.array([value], version.schema.field(name).type))
    pq.write_table(version, landing / "warehouses" / "currency_change.parquet")

    path = root / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    try:
        for table in SOURCE_TABLES.values():
            result = load_files(con, table, landing_files(landing, table), root / "quarantine", landing_dir=landing)
            assert not result.rejections, [r.message() for r in result.rejections]
    finally:
        con.close()
    return {"path": path, "landing": landing}


def _expected_answer(cells: pd.DataFrame, months: int) -> list[tuple]:
    """(month end, scope, value_usd, prior year value_usd, constant-currency value) as the YoY answer lists
    them: a row per scope with value in the month or a year earlier, for the latest months with a prior year."""
    totals: dict[tuple[date, str], list] = {}
    for row in cells.itertuples():
        for scope in ("TOTAL", row.category_code):
            usd, cc = totals.setdefault((row.month_end.date(), scope), [Decimal(0), None])
            totals[(row.month_end.date(), scope)] = [
                usd + row.value_usd, cc if row.value_cc is None else (cc or Decimal(0)) + row.value_cc]
    by_month: dict[date, set[str]] = {}
    for month, scope in totals:
        by_month.setdefault(month, set()).add(scope)

    def year_before(month: date) -> date:
        return (pd.Timestamp(month) - pd.offsets.MonthEnd(12)).date()

    comparable = sorted(m for m in by_month if year_before(m) in by_month)[-months:]
    answer = []
    for month in comparable:
        for scope in sorted(by_month[month] | by_month[year_before(month)]):
            usd, cc = totals.get((month, scope), [Decimal(0), Decimal(0)])
            prior = totals.get((year_before(month), scope), [None])[0]
            answer.append((month, scope, usd, prior, cc))
    return answer


def test_raw_answer_month_by_month_equals_the_independent_valuation(bronze):
    con = duckdb.connect(str(bronze["path"]), read_only=True)
    files_read = {}
    try:
        ledger_files = con.execute("select count(*) from bronze.load_log where source_table = 'inventory_transactions' "
                                   "and status = 'loaded'").fetchone()[0]
        raw = raw_answer(con, on_month=lambda sql, params: files_read.update({params["month_end"]: len(params["files"])}))
        leftover = con.execute("select count(*) from duckdb_tables() where temporary").fetchone()[0]
    finally:
        con.close()

    expected = _expected_answer(expected_gold_cells(bronze["landing"]), MONTHS)
    assert [(m, s) for m, s, *_ in expected] == [(m, s) for m, s, *_ in raw]
    assert [r[2:5] for r in expected] == [(usd, prior, cc) for _, _, usd, prior, _, _, cc, _ in raw]
    assert len({s for _, s, *_ in raw}) > 10

    # the latest 36 of 2022-12 (a year after the opening balances) .. 2025-12, without the gap month and the
    # month a year after it (no prior year)
    months = {m for m, *_ in raw}
    gap = pd.Period(GAP_MONTH, "M")
    assert len(months) == MONTHS - 1 and not {gap, gap + 12} & {pd.Period(m, "M") for m in months}
    gap = gap.end_time.date()
    # each month reads its own days' files (plus, at a month's edge, none of another month's)
    assert ledger_files > 1000 and files_read[gap] == 0
    assert max(files_read.values()) <= 31 and min(n for n in files_read.values() if n) >= 1
    assert leftover == 0
