"""The dashboard script (Streamlit's AppTest runs it headless) on a published Gold: its numbers are the report's,
filters change them, the CSV is the report's CSV, and it renders runbooks by name only."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from inventory_platform.dashboard.runbooks import runbook_markdown
from inventory_platform.reporting.yoy import Filters, change_over_years, compact_money, pct_text, render, yoy_trend
from inventory_platform.serving.gold_reader import gold_query
from inventory_platform.settings import REPO_ROOT, load_settings
from tests.support.synthetic_gold import build_synthetic_gold

APP = str(REPO_ROOT / "inventory_platform" / "dashboard" / "app.py")


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("INVENTORY_ENV", "local")
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVENTORY_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("INVENTORY_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.delenv("INVENTORY_PUBLISHED_GOLD_PATH", raising=False)
    settings = load_settings()
    build_synthetic_gold(settings.duckdb_path, settings.published_gold_path)
    return settings


def metrics(app: AppTest) -> dict[str, str]:
    return {"Value" if m.label.startswith("Value, ") else m.label: m.value for m in app.metric}


def expected(settings, filters: Filters) -> tuple[dict[str, str], str]:
    with gold_query(settings) as query:
        rows = yoy_trend(query, filters=filters)
        change = change_over_years(query, 3, filters)
    latest = rows[-1]
    return ({"Value": f"USD {compact_money(latest.value_usd)}", "YoY": pct_text(latest.yoy_pct),
             "YoY, constant currency": pct_text(latest.constant_currency_yoy_pct), "3-year change": pct_text(change.pct)},
            render(rows, "csv", {"TOTAL": "Company total"}))


def test_the_tiles_and_the_csv_are_the_reports_and_a_region_filter_changes_them(settings):
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    tiles, csv = expected(settings, Filters())
    assert metrics(app) == tiles
    assert "run build-1" in app.caption[0].value
    [download] = app.get("download_button")
    assert download.proto.label == "Download CSV"

    [region, _category, _warehouse] = app.sidebar.multiselect
    assert region.options == ["Europe (EU)", "North America (NA)"]
    region.select("EU").run()
    eu_tiles, eu_csv = expected(settings, Filters(regions=("EU",)))
    assert metrics(app) == eu_tiles and eu_tiles["Value"] != tiles["Value"]
    assert eu_csv != csv and len(app.table[0].value) == 36


def test_a_filter_matching_nothing_says_so(settings):
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.sidebar.multiselect[1].select("CAT-01").run()
    app.sidebar.multiselect[0].select("EU").run()
    assert not app.exception and app.metric  # EU holds CAT-01
    with gold_query(settings) as query:
        assert yoy_trend(query, filters=Filters(regions=("EU",), warehouses=("WH-001",))) == []
    app.sidebar.multiselect[2].select("WH-001").run()  # a North American warehouse: nothing in EU
    assert not app.metric and "No month end" in app.warning[0].value


def test_before_the_first_publish_the_page_says_how_to_publish(settings):
    settings.published_gold_path.unlink()
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception and "inventory-platform materialize" in app.error[0].value


def test_runbooks_are_served_by_name_only_with_their_links_rewritten():
    text = runbook_markdown("runbook_freshness")
    assert text.startswith("# Runbook") and "](runbook_" not in text
    for name in ("../../etc/passwd", "runbook_freshness.md", "", "monitoring_queries", "infrastructure"):
        with pytest.raises(KeyError):
            runbook_markdown(name)

