"""Benchmark results: JSON (kept per section, so runs of different sections accumulate) and markdown."""

from __future__ import annotations

import json
from pathlib import Path

from inventory_platform.settings import REPO_ROOT

RESULTS_JSON = REPO_ROOT / "docs" / "performance.json"
REPORT_MD = REPO_ROOT / "docs" / "performance.md"

TARGETS = {
    "cdc_handler": "≥ 20,000 events/s on one core",
    "cdc_lag": "p95 ≤ 10 s locally",
}


def save_section(name: str, machine: dict, results, quick: bool, path: Path = RESULTS_JSON) -> dict:
    everything = json.loads(path.read_text()) if path.exists() else {}
    everything[name] = {"machine": machine, "quick": quick, "results": results}
    path.write_text(json.dumps(everything, indent=2) + "\n")
    return everything


def _handler_rows(section: dict) -> list[str]:
    r = section["results"]
    met = "met" if r["median_events_per_s"] >= 20_000 else "not met"
    return [f"| CDC Lambda handler throughput (validate, standardize, dedup; {r['events']:,} events in batches of "
            f"{r['batch_size']}, {r['runs']} runs) | {TARGETS['cdc_handler']} | **{r['median_events_per_s']:,} events/s** "
            f"median (min {r['min_events_per_s']:,}, max {r['max_events_per_s']:,}) | {met} |"]


def _lag_rows(section: dict) -> list[str]:
    rows = []
    for r in section["results"]:
        reached = r["achieved_rate_events_per_s"] >= 0.95 * r["rate_events_per_s"]
        met = ("met" if r["lag_p95_s"] <= 10 else "not met") if reached else "not met: the producer did not reach the rate"
        rows.append(f"| CDC end-to-end lag at {r['rate_events_per_s']:,} events/s for {r['seconds']:g} s "
                    f"({r['events']:,} events, achieved {r['achieved_rate_events_per_s']:,}/s; source commit → Bronze "
                    f"commit) | {TARGETS['cdc_lag']} | **p50 {r['lag_p50_s']} s, p95 {r['lag_p95_s']} s** "
                    f"(max {r['lag_max_s']} s) | {met} |")
    return rows


RENDERERS = {"cdc_handler": _handler_rows, "cdc_lag": _lag_rows}


def render_markdown(everything: dict) -> str:
    lines = ["# Performance", "",
             "Measured by `make bench` (`inventory-platform bench`); every number is a measurement from the run "
             "named below, never an estimate. Regenerate rather than edit: the JSON beside this file holds the raw "
             "results. `--quick` runs are smoke runs (fewer events, shorter windows) and say so.", ""]
    for name, section in everything.items():
        m = section["machine"]
        lines += [f"## {name.replace('_', ' ')}{' (quick run)' if section['quick'] else ''}", "",
                  f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, {m['os']}, Python {m['python']}, "
                  f"DuckDB {m['duckdb']}; measured {m['measured_at']}.", "",
                  "| measure | target | result | |", "|---|---|---|---|", *RENDERERS[name](section), ""]
    return "\n".join(lines)


def write_report(everything: dict, path: Path = REPORT_MD) -> None:
    path.write_text(render_markdown(everything))
