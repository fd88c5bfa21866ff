"""gold/published_gold: Gold as readers see it (serving/published_gold.py), published after every Gold build.

It sits in group `gold`, so every job that builds Gold (build_silver_gold, the nightly and month-end jobs, each
CDC micro-batch) publishes in the same run, after the Gold models and their tests.
"""

import dagster as dg

from inventory_platform.lib.duckdb_warehouse import DuckDBWarehouse
from inventory_platform.serving.published_gold import SCHEMA, publish_gold
from inventory_platform.settings import Settings

PUBLISHED_GOLD_KEY = dg.AssetKey(["gold", "published_gold"])
# The Gold dbt models, published together (tests/unit/test_published_gold_deps.py keeps the list whole).
PUBLISHED_FROM = [dg.AssetKey(["gold", name]) for name in (
    "gold_inventory_value_by_region", "gold_inventory_value_monthly", "gold_inventory_value_trend",
    "gold_unvalued_stock_monthly")]


# The asset's own table: which build the file holds (the copied Gold tables keep their own columns).
INFO_COLUMNS = dg.TableSchema(columns=[
    dg.TableColumn("build_id", "VARCHAR", description="The Dagster run whose Gold this file holds."),
    dg.TableColumn("published_at", "TIMESTAMPTZ", description="When that run published it."),
    dg.TableColumn("relations", "VARCHAR[]", description="The Gold relations copied, each as a table of schema gold."),
    dg.TableColumn("row_counts", "BIGINT[]", description="Rows copied per relation, in the order of relations."),
])


def open_with(settings: Settings) -> str:
    return f"duckdb -readonly {settings.published_gold_path} \"FROM gold.gold_inventory_value_trend\""


def build_published_gold_asset(settings: Settings) -> dg.AssetsDefinition:
    @dg.asset(key=PUBLISHED_GOLD_KEY, deps=PUBLISHED_FROM, kinds={"python", "duckdb"}, pool="duckdb_writer",
              metadata={"dagster/column_schema": INFO_COLUMNS, "dagster/table_name": "main.published"},
              description=(
                  "Gold as readers see it: a copy of every Gold relation taken in one read transaction after each "
                  "Gold build and swapped in whole, beside the warehouse (`data/warehouse_published.duckdb` by "
                  "default, INVENTORY_PUBLISHED_GOLD_PATH). The dashboard, `report yoy` and any SQL client read it "
                  "without waiting for a run that is writing the warehouse; a reader opened before a publish keeps "
                  "the build it opened. Table `main.published` says which build (Dagster run) it holds. Open it with "
                  "`duckdb -readonly data/warehouse_published.duckdb` (each materialization records the exact "
                  "command).\n\n"
                  "**Grain:** each Gold table as the last build left it, plus one row in `main.published`."))
    def published_gold(context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse) -> dg.MaterializeResult:
        with warehouse.connect(read_only=True) as con:
            published = publish_gold(con, settings.published_gold_path, context.run_id)
        return dg.MaterializeResult(metadata={
            "path": dg.MetadataValue.path(str(published.path)),
            "build_id": published.build_id,
            "dagster/column_schema": INFO_COLUMNS,
            "open_with": dg.MetadataValue.md(f"`{open_with(settings)}`"),
            **{f"rows/{SCHEMA}.{name}": count for name, count in published.row_counts.items()},
        })

    return published_gold
