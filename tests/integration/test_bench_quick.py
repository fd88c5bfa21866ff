"""`inventory-platform bench --quick` runs end to end and reports measured numbers (no targets asserted:
speed is judged by `make bench` on a quiet machine, never by a timed test)."""

from __future__ import annotations

import json
import subprocess
import sys


def test_quick_bench_measures_handler_throughput_and_lag(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "inventory_platform.cli", "bench", "--quick", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads((tmp_path / "performance.json").read_text())
    handler = results["cdc_handler"]["results"]
    assert handler["events"] >= 10_000 and handler["median_events_per_s"] > 0
    lags = {r["rate_events_per_s"]: r for r in results["cdc_lag"]["results"]}
    assert set(lags) == {100, 2000}
    assert all(r["loaded"] == r["events"] > 0 and 0 <= r["lag_p50_s"] <= r["lag_p95_s"] for r in lags.values())
    report = (tmp_path / "performance.md").read_text()
    assert "events/s" in report and "Machine:" in report and "quick run" in report
