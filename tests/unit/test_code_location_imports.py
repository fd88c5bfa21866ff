"""Loading the code location (every run worker, sensor tick and `make dev` reload does) imports Dagster and the
project, not the libraries its assets use when they run: dbt-core and dagster-dbt (~2 s: the dbt specs are
built from the manifest, transform/dbt_specs.py), pyarrow with numpy, boto3, pandas, and the dashboard's
Streamlit and Altair. The bench times the load (`load_definitions_s`); this keeps it from creeping back."""

from __future__ import annotations

import json
import subprocess
import sys

from inventory_platform.settings import REPO_ROOT

# Top-level packages the code location must not import when it loads; the project's dashboard too.
RUN_TIME_ONLY = ("dbt", "dagster_dbt", "networkx", "agate", "pyarrow", "numpy", "pandas", "boto3", "botocore",
                 "streamlit", "altair", "plotly")


def test_loading_the_code_location_imports_no_run_time_library():
    script = ("import json, sys, inventory_platform.definitions as d; assert d.defs.get_repository_def(); "
              f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {RUN_TIME_ONLY!r} "
              "or m.startswith('inventory_platform.dashboard'))))")
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=REPO_ROOT)
    assert loaded.returncode == 0, loaded.stderr
    imported = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert imported == [], f"imported when the code location loads: {imported[:20]}"
