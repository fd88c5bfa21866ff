"""Row counts, column types, the YoY selection and the executive view, read from a real DuckDB file."""

from __future__ import annotations

import base64
import re
from datetime import date, timedelta
from types import SimpleNamespace

import dagster as dg
import duckdb
import pytest

from inventory_platform.lib.duckdb_warehouse import DuckDBWarehouse
from inventory_platform.reporting.trend_chart import trend_chart_png
from inventory_platform.reporting.trend_metadata import TREND_KEY, trend_asset_metadata, trend_metadata
from inventory_platform.reporting.yoy import yoy_trend
from inventory_platform.transform.materialization_metadata import (
    LEDGER_FACT_KEY,
    NEWEST_EVENT_DATE,
    column_types,
    newest_event_metadata,
    row_counts,
    table_metadata,
    typed_schema,
    with_table_metadata,
)

TREND_DDL = """CREATE TABLE gold.gold_inventory_value_trend (
    month_end_date DATE, month_key INTEGER, scope VARCHAR, scope_name VARCHAR, quantity_on_hand HUGEINT,
    value_usd DECIMAL(38,2), value_constant_currency_usd DECIMAL(38,2), prior_year_value_usd DECIMAL(38,2),
    yoy_change_usd DECIMAL(38,2), yoy_pct DOUBLE, constant_currency_yoy_pct DOUBLE)"""


def month_end(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


@pytest.fixture
def warehouse(tmp_path) -> DuckDBWarehouse:
    """40 months of trend rows (TOTAL and one category), plus a small Silver table."""
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA gold; CREATE SCHEMA silver")
    con.execute(TREND_DDL)
    for i in range(40):
        end = month_end(2022 + (i // 12), i % 12 + 1)
        for scope, value in (("TOTAL", 1_000_000 + 1000 * i), ("CAT-01", 100_000 + 10 * i)):
            con.execute("INSERT INTO gold.gold_inventory_value_trend VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)",
                        [end, end.year * 100 + end.month, scope, scope, value, value, value - 500, 500,
                         500 / (value - 500) * 100, 1.0])
    con.execute("CREATE TABLE silver.dim_category (category_code VARCHAR, category_name VARCHAR)")
    con.execute("INSERT INTO silver.dim_category VALUES ('CAT-01', 'Tools'), ('CAT-02', 'Toys')")
    con.close()
    return DuckDBWarehouse(path=str(path))


def test_yoy_trend_returns_the_latest_months_oldest_first(warehouse):
    rows = yoy_trend(warehouse.query, by="total", months=36)
    assert len(rows) == 36 and {r.group for r in rows} == {"TOTAL"}
    assert rows[0].month_end_date == date(2022, 5, 31) and rows[-1].month_end_date == date(2025, 4, 30)
    assert [r.month_end_date for r in rows] == sorted(r.month_end_date for r in rows)
    by_category = yoy_trend(warehouse.query, by="category", months=3)
    assert [(r.month_end_date, r.group) for r in by_category] == [
        (date(2025, 2, 28), "CAT-01"), (date(2025, 3, 31), "CAT-01"), (date(2025, 4, 30), "CAT-01")]
    with pytest.raises(ValueError, match="--by"):
        yoy_trend(warehouse.query, by="warehouse")


def test_row_counts_and_column_types_come_from_the_warehouse(warehouse):
    trend, category = dg.AssetKey(["gold", "gold_inventory_value_trend"]), dg.AssetKey(["silver", "dim_category"])
    assert row_counts(warehouse.query, [trend, category]) == {trend: 80, category: 2}
    types = column_types(warehouse.query, [trend, category])
    assert types[category] == [("category_code", "VARCHAR"), ("category_name", "VARCHAR")]
    assert types[trend][5] == ("value_usd", "DECIMAL(38,2)")
    declared = dg.TableSchema(columns=[dg.TableColumn("category_code", description="Category code, e.g. CAT-07.")])
    schema = typed_schema(declared, types[category])
    assert [(c.name, c.type, c.description) for c in schema.columns] == [
        ("category_code", "VARCHAR", "Category code, e.g. CAT-07."), ("category_name", "VARCHAR", None)]


def test_trend_metadata_embeds_the_chart_and_the_yoy_table(warehouse):
    rows = yoy_trend(warehouse.query)
    metadata = trend_metadata(rows)
    markdown = metadata["trend_chart"].value
    assert "May 2022 to Apr 2025 (USD)" in markdown
    embedded = re.search(r"!\[[^\]]+\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown).group(1)
    assert base64.b64decode(embedded) == trend_chart_png(rows)
    table = metadata["yoy_table"].value
    assert len(table.records) == 36
    latest = table.records[0].data
    assert latest["month_end"] == "2025-04-30" and latest["value_usd"] == 1_039_000.0
    assert latest["yoy_pct"] == pytest.approx(0.0, abs=0.1) and latest["prior_year_value_usd"] == 1_038_500.0
    assert metadata["latest_value_usd"].value == 1_039_000.0


def test_trend_metadata_says_so_when_no_month_has_a_prior_year():
    assert "No month end has a prior year yet" in trend_metadata([])["trend_chart"].value


def test_a_warehouse_error_never_costs_the_materializations_dbt_made():
    def unreachable(sql: str):
        raise ConnectionError("warehouse unreachable")

    events = [dg.AssetMaterialization(dg.AssetKey(["silver", "dim_category"]), metadata={"status": "success"}),
              dg.AssetCheckResult(check_name="unique", asset_key=dg.AssetKey(["silver", "dim_category"]), passed=True)]
    out = list(with_table_metadata(dg.build_asset_context(), events, unreachable, {TREND_KEY: trend_asset_metadata}))
    assert out == events



def test_views_are_not_counted_since_counting_one_runs_its_query(warehouse):
    """A view's count(*) runs the view: the ledger's detail view joins the whole fact to all of Bronze."""
    with duckdb.connect(warehouse.path) as con:
        con.execute("CREATE VIEW silver.dim_category_detail AS SELECT * FROM silver.dim_category")
    table, view = dg.AssetKey(["silver", "dim_category"]), dg.AssetKey(["silver", "dim_category_detail"])
    statements = []

    def query(sql: str):
        statements.append(sql)
        return warehouse.query(sql)

    # table_metadata reads the step's asset specs (declared column descriptions) from the context.
    context = SimpleNamespace(assets_def=SimpleNamespace(specs_by_key={k: dg.AssetSpec(k) for k in (table, view)}))
    metadata = table_metadata(context, [table, view], query, {})
    assert metadata[table]["dagster/row_count"] == 2
    assert "dagster/row_count" not in metadata[view]
    assert [c.name for c in metadata[view]["dagster/column_schema"].columns] == ["category_code", "category_name"]
    assert not [sql for sql in statements if "dim_category_detail" in sql and "count(" in sql]


def test_the_ledger_fact_and_gold_record_its_newest_event_day_read_once(warehouse):
    with duckdb.connect(warehouse.path) as con:
        con.execute("CREATE TABLE silver.fct_inventory_transactions AS "
                    "SELECT DATE '2025-12-30' AS event_date UNION ALL SELECT DATE '2025-12-31'")
    fact, monthly = LEDGER_FACT_KEY, dg.AssetKey(["gold", "gold_inventory_value_monthly"])
    statements = []

    def query(sql: str):
        statements.append(sql)
        return warehouse.query(sql)

    context = SimpleNamespace(assets_def=SimpleNamespace(specs_by_key={k: dg.AssetSpec(k) for k in (fact, monthly, TREND_KEY)}))
    extra = {fact: newest_event_metadata, monthly: newest_event_metadata,
             TREND_KEY: (newest_event_metadata, trend_asset_metadata)}
    metadata = table_metadata(context, [fact, TREND_KEY], query, extra)  # monthly was not built this time
    assert metadata[fact][NEWEST_EVENT_DATE].value == metadata[TREND_KEY][NEWEST_EVENT_DATE].value == "2025-12-31"
    assert "trend_chart" in metadata[TREND_KEY] and monthly not in metadata
    assert len([sql for sql in statements if "max(event_date)" in sql]) == 1
