"""Suite-wide ordering: `make test` spreads test files over two workers (pytest-xdist, `--dist loadfile`),
which hand out files in collection order. The slowest files go first so that no long file starts last and
runs alone at the end; within a file the order is unchanged. Measured slowest first (2026-12, CI durations)."""

SLOWEST_FIRST = (
    "tests/integration/test_chunked_pass.py",
    "tests/integration/test_bench_quick.py",
    "tests/faults/test_crash_sweep.py",
    "tests/integration/test_gold_when_rows_fail.py",
    "tests/e2e/test_platform_tiny.py",
    "tests/integration/test_incremental_snapshot.py",
    "tests/integration/test_dbt_on_postgres.py",
    "tests/integration/test_cdc_pipeline.py",
    "tests/integration/test_dr_drill.py",
    "tests/e2e/test_browser_ui.py",
    "tests/e2e/test_ops_sensors_in_daemon.py",
)


def pytest_collection_modifyitems(items):
    rank = {path: i for i, path in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
