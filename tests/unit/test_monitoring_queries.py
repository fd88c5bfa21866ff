"""ops_runbooks/monitoring_queries.sql: every query has a machine-readable header, every Redshift query
parses in the Redshift dialect (a fallback to an unparsed command counts as a failure), and the file
covers what the on-call engineer must be able to detect."""

from __future__ import annotations

import pytest
import sqlglot.errors

from inventory_platform.monitoring.queries import ENGINES, QUERIES_FILE, all_queries, monitoring_query, parse_queries
from inventory_platform.redshift.offline_ddl import parse_redshift

REDSHIFT = [q for q in all_queries() if q.engine.startswith("redshift")]


def test_every_query_states_engine_what_it_detects_and_its_threshold():
    queries = all_queries()
    assert len(queries) >= 25
    for q in queries:
        assert q.engine in ENGINES, q.name
        assert len(q.detects) > 20 and len(q.threshold) > 10, q.name
        assert q.name.startswith("duckdb_" if q.engine == "duckdb" else q.engine.replace("-", "_") + "_"), q.name


@pytest.mark.parametrize("query", REDSHIFT, ids=[q.name for q in REDSHIFT])
def test_redshift_query_parses_as_redshift(query):
    parse_redshift(query.sql)


def test_an_unparseable_redshift_statement_is_caught():
    with pytest.raises(sqlglot.errors.ParseError):
        parse_redshift("SELECT FROM WHERE svv_table_info")
    with pytest.raises(ValueError, match="unparsed command"):
        parse_redshift("VACUUM FULL bronze.products TO 95 PERCENT BOOST")


def test_the_file_covers_every_production_failure_mode():
    names = {q.name for q in all_queries()}
    required = {
        # storage per table and schema, spill, unsorted/stats-off, long-running, locks, 1023, streaming, MVs
        "redshift_storage_total", "redshift_disk_usage_by_table", "redshift_disk_usage_by_schema",
        "redshift_provisioned_disk_capacity", "redshift_spill_to_disk", "redshift_provisioned_spill_to_disk",
        "redshift_tables_needing_maintenance", "redshift_long_running_queries", "redshift_blocking_locks",
        "redshift_serialization_conflicts", "redshift_provisioned_serialization_conflicts",
        "redshift_streaming_ingestion_errors", "redshift_streaming_ingestion_lag", "redshift_mv_refresh_status",
        # the local equivalents
        "duckdb_database_size", "duckdb_disk_usage_by_table", "duckdb_disk_usage_by_schema",
        "duckdb_spill_to_disk", "duckdb_bronze_load_freshness", "duckdb_ledger_load_lag",
    }
    assert required <= names, required - names
    sys_views_only = [q for q in all_queries() if q.engine == "redshift"]
    for q in sys_views_only:  # Serverless and Multi-AZ have no STL/STV/SVL tables
        assert not any(t in q.sql.lower() for t in ("stl_", "stv_", "svl_")), q.name


def test_queries_used_by_code_say_so():
    for name in ("redshift_storage_total", "redshift_provisioned_disk_capacity", "redshift_tables_needing_maintenance"):
        assert monitoring_query(name).used_by, name
    with pytest.raises(KeyError, match="no query named"):
        monitoring_query("redshift_nonexistent")


def test_headers_are_validated_with_the_line_of_the_bad_query():
    good = "-- name: a\n-- engine: duckdb\n-- detects: something\n-- threshold: some\nSELECT 1;\n"
    assert parse_queries(good, "f.sql")[0].sql == "SELECT 1"
    with pytest.raises(ValueError, match=r"f.sql:7: query header lacks threshold"):
        parse_queries(good + "\n-- name: b\n-- engine: duckdb\n-- detects: x\nSELECT 2;\n", "f.sql")
    with pytest.raises(ValueError, match=r"f.sql:1: .* engine 'oracle'"):
        parse_queries(good.replace("duckdb", "oracle"), "f.sql")
    with pytest.raises(ValueError, match=r"f.sql:7: query name 'a' already used on line 1"):
        parse_queries(good + "\n" + good, "f.sql")
    with pytest.raises(ValueError, match="one statement"):
        parse_queries(good.replace("SELECT 1;", "SELECT 1; SELECT 2;"), "f.sql")
    assert QUERIES_FILE.name == "monitoring_queries.sql"
