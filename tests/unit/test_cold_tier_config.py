"""The cold tier's configuration and its production DDL, without a warehouse: the folder and retention
come from settings, every statement of the Redshift procedure parses in the Redshift dialect (UNLOAD's
query included), and the offline check refuses an UNLOAD it cannot vouch for."""

from __future__ import annotations

from datetime import date

import dagster as dg
import pytest

from inventory_platform.cold_tier.assets import COLD_TIER_KEY, UNION_VIEW_KEY
from inventory_platform.cold_tier.jobs import JOB_NAME
from inventory_platform.cold_tier.offload import cutoff_for
from inventory_platform.redshift.offline_ddl import parse_redshift, render_platform_ddl
from inventory_platform.settings import load_settings

ROLE = "arn:aws:iam::123456789012:role/inventory-redshift-lake"


def test_cold_dir_defaults_under_the_data_dir_and_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("INVENTORY_COLD_DIR", raising=False)
    monkeypatch.delenv("INVENTORY_COLD_AFTER_MONTHS", raising=False)
    settings = load_settings()
    assert settings.cold_dir == (tmp_path / "data" / "cold").resolve() and settings.cold_after_months == 36
    monkeypatch.setenv("INVENTORY_COLD_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("INVENTORY_COLD_AFTER_MONTHS", "24")
    settings = load_settings()
    assert settings.cold_dir == (tmp_path / "elsewhere").resolve() and settings.cold_after_months == 24


@pytest.mark.parametrize("value", ["0", "three"])
def test_a_bad_retention_is_refused_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("INVENTORY_COLD_AFTER_MONTHS", value)
    with pytest.raises(ValueError, match="INVENTORY_COLD_AFTER_MONTHS"):
        load_settings()


def test_cutoff_is_the_first_of_the_month_the_window_reaches():
    assert cutoff_for(date(2025, 12, 31), 36) == date(2022, 12, 1)
    assert cutoff_for(date(2025, 1, 1), 36) == date(2022, 1, 1)
    assert cutoff_for(date(2025, 3, 15), 14) == date(2024, 1, 1)


def test_every_cold_tier_statement_parses_as_redshift():
    statements = [s for s in render_platform_ddl() if "cold" in s.lower()]
    kinds = [type(parse_redshift(s)).__name__ for s in statements]
    assert kinds.count("Command") == 3  # the DATA CATALOG external schema and two UNLOADs, checked by pattern
    assert sum(s.startswith("UNLOAD") for s in statements) == 2
    assert all(ROLE in s for s in statements if "IAM_ROLE" in s)  # a role from configuration, never a key


@pytest.mark.parametrize(("statement", "message"), [
    (f"UNLOAD ('SELEC x FROM t') TO 's3://b/cold/t/' IAM_ROLE '{ROLE}' FORMAT AS PARQUET PARTITION BY (year, month)",
     "Invalid|Required|unparsed|Expected"),
    (f"UNLOAD ('SELECT x FROM t') TO 's3://b/cold/t/' IAM_ROLE '{ROLE}' FORMAT AS PARQUET", "unparsed command"),
    ("UNLOAD ('SELECT x FROM t') TO 's3://b/cold/t/' ACCESS_KEY_ID 'AKIA' SECRET_ACCESS_KEY 'x' FORMAT AS PARQUET "
     "PARTITION BY (year, month)", "unparsed command"),
    ("UNLOAD ('DELETE FROM t') TO 's3://b/cold/t/' IAM_ROLE default FORMAT AS PARQUET PARTITION BY (year)",
     "not a SELECT"),
])
def test_the_offline_check_refuses_unloads_it_cannot_vouch_for(statement, message):
    with pytest.raises(Exception, match=message):  # sqlglot ParseError or ValueError
        parse_redshift(statement)


@pytest.fixture(params=["local", "prod"])
def defs(request, monkeypatch, tmp_path) -> tuple[str, dg.Definitions]:
    monkeypatch.setenv("INVENTORY_ENV", request.param)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    from inventory_platform.definitions import build_defs
    return request.param, build_defs(load_settings())


def test_the_cold_tier_asset_follows_the_ops_conventions(defs):
    engine, definitions = defs
    repo = definitions.get_repository_def()
    spec = repo.assets_defs_by_key[COLD_TIER_KEY].specs_by_key[COLD_TIER_KEY]
    assert spec.group_name == "ops" and spec.owners == ["team:data-platform"] and spec.tags["layer"] == "ops"
    assert "parquet" in spec.kinds and ("duckdb" if engine == "local" else "redshift") in spec.kinds
    view = repo.assets_defs_by_key[UNION_VIEW_KEY]
    assert COLD_TIER_KEY in view.asset_deps[UNION_VIEW_KEY]  # the view is downstream of the offload
    if engine == "local":
        assert spec.freshness_policy is not None and repo.assets_defs_by_key[COLD_TIER_KEY].is_executable
        checks = {k.name for k in repo.asset_graph.asset_check_keys if k.asset_key == COLD_TIER_KEY}
        assert checks == {"cold_files_match_offloaded_totals", "no_hot_rows_in_closed_months"}
        assert repo.get_schedule_def("cold_tier_offload_schedule").job_name == JOB_NAME
    else:
        assert not repo.assets_defs_by_key[COLD_TIER_KEY].is_executable  # UNLOAD runs outside Dagster
