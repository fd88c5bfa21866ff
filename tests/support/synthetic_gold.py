"""A small Gold schema with the real tables' columns (the cells, and roll-ups summed from them as dbt does),
published as readers see it: for tests of what reads Gold (dashboard), not of how Gold is computed (e2e)."""

from __future__ import annotations

from pathlib import Path

from inventory_platform.lib.duckdb_warehouse import connect_duckdb
from inventory_platform.serving.published_gold import publish_gold

WAREHOUSES = [("WH-001", "Toronto DC", "NA"), ("WH-002", "Chicago DC", "NA"), ("WH-101", "Lyon DC", "EU")]
CATEGORIES = [("CAT-01", "Electronics"), ("CAT-02", "Home & Garden")]
_PCT = "CASE WHEN sum(p) IS NULL OR sum(p) = 0 THEN NULL ELSE CAST(sum({v}) - sum(p) AS DOUBLE) / CAST(sum(p) AS DOUBLE) * 100 END"


def build_synthetic_gold(warehouse: Path, published: Path, build_id: str = "build-1") -> None:
    """48 month ends (2022-2025) of cells for 3 warehouses x 2 categories; the roll-ups hold the 36 with a prior year."""
    with connect_duckdb(warehouse) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS gold")
        wh = " UNION ALL ".join(f"SELECT '{w}' AS warehouse_id, '{n}' AS warehouse_name, '{r}' AS region, {i} AS wi"
                                for i, (w, n, r) in enumerate(WAREHOUSES))
        cat = " UNION ALL ".join(f"SELECT '{c}' AS category_code, '{n}' AS category_name, {i} AS ci"
                                 for i, (c, n) in enumerate(CATEGORIES))
        con.execute(f"""
            CREATE OR REPLACE TABLE gold.gold_inventory_value_monthly AS
            WITH m AS (SELECT last_day(DATE '2022-01-01' + INTERVAL (i) MONTH) AS month_end_date FROM range(48) t(i)),
            cells AS (
                SELECT m.month_end_date, CAST(strftime(m.month_end_date, '%Y%m') AS INT) AS month_key, wh.*, cat.*,
                       CAST(1000000 + 10000 * wi + 5000 * ci + 1234.56 * date_diff('month', DATE '2022-01-31', m.month_end_date)
                            AS DECIMAL(18, 2)) AS value_usd
                FROM m, ({wh}) AS wh, ({cat}) AS cat)
            SELECT c.month_end_date, c.month_key, c.warehouse_id, c.warehouse_name, c.region, c.category_code,
                   c.category_name, c.value_usd, CAST(c.value_usd * 0.98 AS DECIMAL(18, 2)) AS value_constant_currency_usd,
                   p.value_usd AS prior_year_value_usd
            FROM cells AS c LEFT JOIN cells AS p ON p.month_key = c.month_key - 100
                 AND p.warehouse_id = c.warehouse_id AND p.category_code = c.category_code""")
        comparable = "month_key IN (SELECT month_key FROM gold.gold_inventory_value_monthly WHERE prior_year_value_usd IS NOT NULL)"
        measures = ("CAST(sum(v) AS DECIMAL(18, 2)) AS value_usd, CAST(sum(p) AS DECIMAL(18, 2)) AS prior_year_value_usd, "
                    "CAST(sum(v) - sum(p) AS DECIMAL(18, 2)) AS yoy_change_usd, " + _PCT.format(v="v") + " AS yoy_pct, "
                    "CAST(sum(cc) AS DECIMAL(18, 2)) AS value_constant_currency_usd, " + _PCT.format(v="cc") +
                    " AS constant_currency_yoy_pct")
        cells = ("SELECT *, value_usd AS v, prior_year_value_usd AS p, value_constant_currency_usd AS cc "
                 f"FROM gold.gold_inventory_value_monthly WHERE {comparable}")
        con.execute(f"""
            CREATE OR REPLACE TABLE gold.gold_inventory_value_trend AS
            SELECT month_end_date, month_key, 'TOTAL' AS scope, 'All categories' AS scope_name, {measures}
            FROM ({cells}) GROUP BY ALL
            UNION ALL
            SELECT month_end_date, month_key, category_code, category_name, {measures} FROM ({cells}) GROUP BY ALL""")
        con.execute(f"""CREATE OR REPLACE TABLE gold.gold_inventory_value_by_region AS
            SELECT month_end_date, month_key, region, {measures} FROM ({cells}) GROUP BY ALL""")
    with connect_duckdb(warehouse, read_only=True) as con:
        publish_gold(con, published, build_id)
