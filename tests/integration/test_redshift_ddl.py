"""CI check 2: the Redshift DDL dbt renders offline parses as Redshift SQL and matches the reviewed snapshot."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from inventory_platform.redshift.offline_ddl import SNAPSHOT, parse_redshift


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


def test_fact_tables_are_distributed_and_sorted(rendered):
    creates = {m.group(1): m.group(0) for m in re.finditer(
        r'create\s+table\s+"[^"]+"\."silver"\."(\w+?)__dbt_tmp"[\s\S]*?as\s*\(', rendered, re.I)}
    for fact in ("fct_inventory_transactions", "fct_inventory_snapshot_month_end"):
        assert re.search(r"distkey\s*\(sku_id\)", creates[fact], re.I), fact
        assert re.search(r"sortkey\s*\(", creates[fact], re.I), fact
    assert all(re.search(r"diststyle", ddl, re.I) for ddl in creates.values())


def test_gold_is_an_auto_refreshing_materialized_view(rendered):
    mv = re.search(r'create materialized view "[^"]+"\."gold"\."gold_inventory_value_monthly"([\s\S]*?)\bas\s*\(',
                   rendered, re.I)
    assert mv and re.search(r"auto refresh yes", mv.group(1), re.I)
    assert re.search(r"sortkey\s*\(month_key", mv.group(1), re.I)


def test_a_redshift_syntax_error_is_caught():
    with pytest.raises(Exception):
        parse_redshift('create table "a"."b" diststyle key distkey as (select 1)')
