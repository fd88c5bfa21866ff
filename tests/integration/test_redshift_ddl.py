"""CI check 2: the Redshift DDL dbt renders offline parses as Redshift SQL and matches the reviewed snapshot."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import sqlglot.errors

from inventory_platform.redshift.offline_ddl import SNAPSHOT, parse_redshift, prod_manifest
from inventory_platform.transform.dbt_assets import MANIFEST_PATH


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("ddl") / "redshift_ddl.sql"
    proc = subprocess.run([sys.executable, "-m", "inventory_platform.redshift.offline_ddl", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out.read_text()


def statements(sql: str) -> list[str]:
    body = "\n".join(line for line in sql.splitlines() if not line.startswith("-- "))
    return [s.strip() for s in re.split(r";\n", body) if s.strip()]


def test_rendered_ddl_matches_the_reviewed_snapshot(rendered):
    assert rendered == SNAPSHOT.read_text(), (
        "Redshift DDL changed: run `make redshift-ddl`, review the diff of docs/redshift_ddl.sql, and commit it")


def test_every_statement_parses_as_redshift(rendered):
    parsed = [parse_redshift(s) for s in statements(rendered)]
    assert len(parsed) >= 30


def silver_creates(rendered: str) -> dict[str, str]:
    """The CREATE TABLE statement (up to its end) of every Silver model (incremental ones have no __dbt_tmp)."""
    manifest = json.loads(MANIFEST_PATH.read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    return {m.group(1): m.group(0) for m in re.finditer(
        r'create\s+table\s+"[^"]+"\."silver"\."(\w+?)(?:__dbt_tmp)?"[^;]*', rendered, re.I)
        if m.group(1) in models}


def test_fact_tables_are_distributed_and_sorted(rendered):
    creates = silver_creates(rendered)
    # the lean ledger holds integer version keys (product_key: ~100K SKUs' versions, an even spread); the
    # lean snapshot is distributed on the SKU's entity key, its pairs' identity across versions
    for fact, dist, sort in (("fct_inventory_transactions", "product_key", "event_date"),
                             ("fct_inventory_snapshot_month_end", "sku_entity_key", "month_end_date")):
        assert re.search(rf"distkey\s*\({dist}\)", creates[fact], re.I), fact
        assert re.search(rf"sortkey\s*\({sort}\b", creates[fact], re.I), fact
    assert all(re.search(r"diststyle", ddl, re.I) for ddl in creates.values())


def test_silver_tables_are_created_with_their_contract_columns(rendered):
    manifest = prod_manifest()
    contracted = {n["name"]: n for n in manifest["nodes"].values()
                  if n["resource_type"] == "model" and n["config"]["contract"]["enforced"]
                  and n["config"]["schema"] == "silver" and n["config"]["materialized"] != "view"}  # views carry no column list
    creates = silver_creates(rendered)
    assert set(contracted) == set(creates)
    for name, node in contracted.items():
        declared = [(c, node["columns"][c]["data_type"].replace(" ", "")) for c in node["columns"]]
        column_list = re.search(r"\(([^()]*(?:\([^()]*\)[^()]*)*)\)", creates[name]).group(1)
        rendered_columns = [tuple(part.strip().split(None, 1)) for part in column_list.split(",\n")]
        assert [(c, t.replace(" ", "")) for c, t in rendered_columns] == declared, name


def test_gold_rollups_are_auto_refreshing_materialized_views(rendered):
    for rollup, sort in (("gold_inventory_value_by_region", "month_key"), ("gold_inventory_value_trend", "month_key")):
        mv = re.search(rf'create materialized view "[^"]+"\."gold"\."{rollup}"([\s\S]*?)\bas\s*\(', rendered, re.I)
        assert mv and re.search(r"auto refresh yes", mv.group(1), re.I), rollup
        assert re.search(rf"sortkey\s*\({sort}", mv.group(1), re.I), rollup


def test_gold_monthly_is_an_incremental_table_restating_months(rendered):
    """A materialized view of it would refresh in full (outer joins, UNION): a month-restating table instead."""
    create = re.search(r'create\s+table\s+"[^"]+"\."gold"\."gold_inventory_value_monthly"[^;]*', rendered, re.I)
    assert create and re.search(r"sortkey\s*\(month_key", create.group(0), re.I)
    later = rendered.split("-- Later runs of incremental model gold_inventory_value_monthly")[1]
    select = statements("-- x\n" + later.split("\n", 2)[2])[0]
    parse_redshift(select)
    assert "where j.month_key >=" in select


def test_a_redshift_syntax_error_is_caught():
    with pytest.raises(sqlglot.errors.ParseError):
        parse_redshift('create table "a"."b" diststyle key distkey as (select 1)')


def test_the_incremental_restatement_renders_for_redshift(rendered):
    """Later runs of the snapshot read the table itself (carried balances) and the ledger's restatement window,
    which decides the months once for every ledger model (docs/late_arriving.md "Chunks"): no Bronze of its own."""
    later = rendered.split("-- Later runs of incremental model fct_inventory_snapshot_month_end")[1]
    select = statements("-- x\n" + later.split("\n", 2)[2])[0]
    parse_redshift(select)
    assert 'from "inventory"."silver"."fct_inventory_snapshot_month_end"' in select
    assert '"inventory"."silver"."int_ledger_restate_window"' in select
    assert '"bronze".' not in select and ") as reloaded" not in select
