"""The dbt build can be asked for a full refresh (the incremental snapshot refuses schema changes)."""

from __future__ import annotations

import dagster as dg
import pytest

from inventory_platform.definitions import defs


def test_full_refresh_is_optional_config_of_the_dbt_build():
    job = defs.resolve_job_def("build_silver_gold")
    assert dg.validate_run_config(job, {})
    assert dg.validate_run_config(job, {"ops": {"dbt_silver_gold": {"config": {"full_refresh": True}}}})
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.validate_run_config(job, {"ops": {"dbt_silver_gold": {"config": {"full_refresh": "sometimes"}}}})
