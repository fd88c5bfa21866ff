"""A platform run for the benchmarks, in its own process (so its memory is measured on its own):

    python -m inventory_platform.bench.platform_run full        everything, as `inventory-platform materialize`
    python -m inventory_platform.bench.platform_run daily DAY   the daily_batch_load job for DAY, as its schedule asks
    python -m inventory_platform.bench.platform_run simulate SCALE SEED START OUT
                                                                the landing files, as `inventory-platform simulate`

Paths come from the environment (INVENTORY_DUCKDB_PATH, INVENTORY_LANDING_DIR, DAGSTER_HOME, ...). Prints
one JSON line: per run, job, success, seconds and failed checks; exits 1 when a run or a check failed.
"""

import json
import sys
import time

RESULT_PREFIX = "BENCH_RESULT "


def _simulate(scale: str, seed: str, start: str, out: str) -> int:
    from datetime import date
    from pathlib import Path

    from inventory_platform.simulation import simulate

    manifest = simulate(scale, int(seed), Path(out), start=date.fromisoformat(start), progress=False)
    print(RESULT_PREFIX + json.dumps({"rows": sum(f["rows"] for f in manifest["files"]),
                                      "files": len(manifest["files"])}), flush=True)
    return 0


def main(argv: list[str]) -> int:
    if argv[0] == "simulate":
        return _simulate(*argv[1:])
    started = time.perf_counter()
    import dagster as dg

    # Importing the code location builds its Definitions, as `dagster dev` does: that is the load measured.
    from inventory_platform.definitions import defs
    from inventory_platform.orchestration.materialize import materialize_everything
    from inventory_platform.settings import load_settings

    settings = load_settings()
    loaded_s = time.perf_counter() - started
    runs = []
    with dg.DagsterInstance.get() as instance:
        if argv[0] == "full":
            for summary in materialize_everything(defs, instance, settings.landing_dir):
                stats = instance.get_run_stats(summary.run_id)
                runs.append({"job": summary.job, "success": summary.success, "failed_checks": summary.failed_checks,
                             "checks": len(summary.checks), "seconds": round(stats.end_time - stats.start_time, 2)})
        elif argv[0] == "daily":
            day = argv[1]
            job_started = time.perf_counter()
            result = defs.resolve_job_def("daily_batch_load").execute_in_process(
                instance=instance, partition_key=day, tags={"business_date": day}, raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}})
            checks = result.get_asset_check_evaluations()
            runs.append({"job": "daily_batch_load", "partition": day, "success": result.success,
                         "failed_checks": [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in checks if not e.passed],
                         "checks": len(checks), "seconds": round(time.perf_counter() - job_started, 2)})
        else:
            raise SystemExit(f"unknown mode {argv[0]!r}: full | daily DAY | simulate SCALE SEED START OUT")
    print(RESULT_PREFIX + json.dumps({"load_definitions_s": round(loaded_s, 2), "runs": runs}), flush=True)
    return 0 if all(r["success"] and not r["failed_checks"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
