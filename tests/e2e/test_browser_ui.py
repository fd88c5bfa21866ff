"""The analyst's path through the Dagster UI and the executive dashboard, in a real headless Chromium against
`inventory-platform dev` (what `make dev` runs) serving a `tiny` warehouse: catalog (owners, column schemas,
search), lineage with checks, the Gold trend page with its chart, YoY table and freshness, a materialization
launched from the UI, `make docs`, and the dashboard (filters, CSV, the runbook pages the UI links to).

Screenshots land in test-artifacts/browser_ui/ (a FAILED-<test>.png whenever a test fails).
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlparse

import dagster as dg
import pytest
from click.testing import CliRunner
from playwright.sync_api import Page, expect, sync_playwright

from inventory_platform.bronze.landing_inventory import loadable_days
from inventory_platform.bronze.loader import landing_files, load_files
from inventory_platform.cli import main as cli
from inventory_platform.dagster_adapter import execute_in_code_location
from inventory_platform.landing_contract import INVENTORY_TRANSACTIONS
from inventory_platform.lib.duckdb_warehouse import connect_duckdb
from inventory_platform.reporting.yoy import Filters, pct_text, yoy_trend
from inventory_platform.serving.gold_reader import gold_query
from inventory_platform.settings import REPO_ROOT, load_settings
from inventory_platform.simulation import simulate

from ..support.browser import launch_chromium
from ..support.dagster_dev import DagsterDev, dagster_dev_env, graphql, new_dagster_home
from ..support.fixed_history import FIXED_HISTORY_FRESHNESS_ENV

pytestmark = pytest.mark.e2e
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser_ui"
TREND = "gold/gold_inventory_value_trend"
LEDGER = "bronze/inventory_transactions"
CHART_ALT = "Month-end inventory value vs prior year, USD"
RUN_TIMEOUT_MS = 150_000

CATALOG_QUERY = """{ assetNodes {
  assetKey { path } description owners { ... on TeamAssetOwner { team } } kinds
  metadataEntries { label ... on TableSchemaMetadataEntry { schema { columns { name type description } } } }
  freshnessStatusInfo { freshnessStatus }
  assetMaterializations(limit: 1) { runId metadataEntries { label
    ... on TableSchemaMetadataEntry { schema { columns { name type description } } }
    ... on MarkdownMetadataEntry { mdStr } } }
} }"""

# Assertions wait for the UI's live data (asset and check states load after the page); the 5 s
# default is too short for a loaded CI machine.
expect.set_options(timeout=60_000)


def load_history_directly(settings, before: date) -> None:
    """Ledger days before `before` straight into Bronze through the loader, as a migration would: a
    history of 1,461 daily partitions costs minutes of Dagster event bookkeeping, and the UI needs none."""
    days = [d for d in loadable_days(settings.landing_dir, INVENTORY_TRANSACTIONS) if d < before]
    with connect_duckdb(settings.duckdb_path) as con:  # dagster dev's sensors may be reading meanwhile
        result = load_files(con, INVENTORY_TRANSACTIONS, landing_files(settings.landing_dir, INVENTORY_TRANSACTIONS, days),
                            settings.quarantine_dir)
    assert result.rows_loaded and not result.rejections


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    """A tiny warehouse whose last month was closed by the `monthly_close` schedule's own run request
    (reference data, the month's ledger partitions, Silver and Gold with every check), and `dagster dev`
    (booting meanwhile) serving it with the first-visit modal dismissed."""
    root = tmp_path_factory.mktemp("browser_ui")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    dagster_home = new_dagster_home(root / "dagster_home")
    # The fixed 2022-2025 history is late by today's clock: widen data_is_current's window (its own test is
    # tests/integration/test_data_freshness.py), in this process and in `dagster dev`'s sensors alike.
    inventory_env = {"INVENTORY_ENV": "local", "INVENTORY_DATA_DIR": str(root / "data"),
                     "INVENTORY_DUCKDB_PATH": str(root / "data" / "warehouse.duckdb"), **FIXED_HISTORY_FRESHNESS_ENV}
    env = pytest.MonkeyPatch()
    for var in [v for v in os.environ if v.startswith("INVENTORY_")]:
        env.delenv(var)
    for var, value in {**inventory_env, "DAGSTER_HOME": str(dagster_home)}.items():
        env.setenv(var, value)
    # `inventory-platform dev`, as `make dev` runs it: the Dagster UI and the dashboard.
    dev = DagsterDev(dagster_dev_env(dagster_home, **inventory_env), root / "dagster_dev.log", with_dashboard=True)
    try:
        settings = load_settings()
        simulate("tiny", 5, settings.landing_dir, progress=False)
        last_day = loadable_days(settings.landing_dir, INVENTORY_TRANSACTIONS)[-1]
        load_history_directly(settings, before=last_day.replace(day=1))

        from inventory_platform.definitions import build_defs

        defs = build_defs(settings)
        close_tick = datetime.combine(last_day + timedelta(days=3), datetime.min.time(), tzinfo=UTC)
        with dg.DagsterInstance.get() as instance:
            request = defs.get_schedule_def("monthly_close_schedule").evaluate_tick(
                dg.build_schedule_context(instance=instance, scheduled_execution_time=close_tick)).run_requests[0]
            # In a run of the code location, as the daemon launches it (and `inventory-platform materialize` runs).
            result = execute_in_code_location(defs.resolve_job_def("monthly_close"), instance, run_config={},
                                              tags=request.tags)
        assert result.success, "monthly_close failed"
        assert not [c for c in result.get_asset_check_evaluations() if not c.passed]
        events = result.get_asset_materialization_events()
        ledger = [e.partition for e in events if e.asset_key.to_user_string() == LEDGER]
        assert min(ledger) == last_day.replace(day=1).isoformat() and max(ledger) == last_day.isoformat()
        built = {e.asset_key.to_user_string() for e in events}

        dev.wait_until_serving()
        assert graphql(dev.port, "mutation { setNuxSeen }")["setNuxSeen"] is True
        graph = defs.resolve_asset_graph()
        keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
        upstream = {k.to_user_string() for k in dg.AssetSelection.assets(TREND.split("/")).upstream().resolve(graph)}
        yield SimpleNamespace(url=dev.url, port=dev.port, settings=settings, root=root, asset_keys=keys,
                              built=built, upstream_of_trend=upstream, dashboard_url=dev.dashboard_url)
    finally:
        dev.stop()
        env.undo()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path_factory.mktemp("chromium_profile"))
        yield context
        context.close()


@pytest.fixture
def page(browser, platform, request) -> Page:
    page = browser.new_page()
    page.set_default_timeout(60_000)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is None or report.failed:
        page.screenshot(path=ARTIFACTS / f"FAILED-{request.node.name}.png", full_page=True)
    page.close()


def open_ui(page: Page, platform, path: str) -> None:
    page.goto(platform.url + path)
    expect(page.get_by_role("link", name="Catalog")).to_be_visible()


def asset_link(page: Page, key: str):
    # Long names are middle-truncated on screen ("gold_in…ry_value_trend"); the link target is exact.
    return page.locator(f'a[href="/assets/{key}"]').first


def search_catalog(page: Page, text: str) -> None:
    # The catalog's search box is a CodeMirror editor: focus it, type, and close its suggestions.
    page.locator(".CodeMirror").first.click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.get_by_text("Assets", exact=True).first.click()  # leave the editor, closing its suggestions
    expect(page.get_by_text("to navigate")).to_be_hidden()


def catalog_links(page: Page) -> set[str]:
    hrefs = page.locator('a[href^="/assets/"]').evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return {h.removeprefix("/assets/") for h in hrefs if h.count("/") == 3}


def shot(page: Page, name: str) -> None:
    page.screenshot(path=ARTIFACTS / f"{name}.png")


def test_catalog_lists_every_asset_with_owners_and_described_columns(platform, page):
    nodes = {"/".join(n["assetKey"]["path"]): n for n in graphql(platform.port, CATALOG_QUERY)["assetNodes"]}
    assert set(nodes) == platform.asset_keys
    assert all(node["owners"] and node["kinds"] and node["description"] for node in nodes.values())
    for key in sorted(platform.built):
        node = nodes[key]
        assert "**Grain:**" in node["description"] and "**Refreshed:**" in node["description"], key
        declared = next(e for e in node["metadataEntries"] if e["label"] == "dagster/column_schema")
        assert declared["schema"]["columns"], key
        latest = node["assetMaterializations"][0]
        built = next(e for e in latest["metadataEntries"] if e["label"] == "dagster/column_schema"
                     ) if key.startswith(("silver/", "gold/")) else declared
        # Every column the warehouse actually holds is typed and described (dbt yml covers them all).
        assert all(c["type"] and c["description"] for c in built["schema"]["columns"]), key

    # The catalog's table renders only the rows in view: tall enough for every asset (about 50 px a row),
    # so every row is rendered and fits one screenshot.
    page.set_viewport_size({"width": 1440, "height": 400 + 56 * len(platform.asset_keys)})
    open_ui(page, platform, "/assets")
    for key in sorted(platform.asset_keys):
        expect(asset_link(page, key)).to_be_visible()
    # What the close materialized shows as such (the ledger shows partition counts instead).
    expect(page.get_by_text("Materialized", exact=True)).to_have_count(len(platform.built - {LEDGER}))
    shot(page, "catalog")

    search_catalog(page, 'owner:"finance-analytics"')
    expect(page).to_have_url(re.compile("asset-selection="))
    expect(asset_link(page, TREND)).to_be_visible()
    assert catalog_links(page) == {k for k in platform.asset_keys if k.startswith("gold/")}


def test_catalog_search_finds_an_asset_by_name(platform, page):
    open_ui(page, platform, "/assets")
    expect(asset_link(page, "bronze/products")).to_be_visible()
    search_catalog(page, "value_trend")
    expect(asset_link(page, "bronze/products")).to_be_hidden()
    expect(asset_link(page, TREND)).to_be_visible()
    assert catalog_links(page) == {TREND}
    shot(page, "catalog_search")
    asset_link(page, TREND).click()
    expect(page).to_have_url(re.compile(f"/assets/{TREND}"))
    expect(page.get_by_text("The executive trend", exact=False).first).to_be_visible()


def test_lineage_graph_shows_the_layers_with_their_checks(platform, page):
    open_ui(page, platform, f"/assets/{TREND}?view=lineage&lineageScope=upstream&lineageDepth=10")  # deeper than the graph: all of it
    graph = page.locator("svg").filter(has_text="gold_")
    for layer in ("bronze", "silver", "gold"):
        expect(graph.get_by_text(layer, exact=True).first).to_be_visible()
    # Zoomed out, a node is a box coloured by status: green once live data says it is materialized.
    # (The ledger is partly materialized and bronze/cdc_events is loaded outside Dagster: not green.)
    expect(graph.locator('[style*="--color-background-green"]')).to_have_count(
        len(platform.upstream_of_trend & platform.built - {LEDGER}))
    shot(page, "lineage_upstream_of_trend")

    open_ui(page, platform, "/locations/inventory_platform/asset-groups/gold/lineage")
    models = ("gold_inventory_value_monthly", "gold_inventory_value_by_region", "gold_inventory_value_trend",
              "gold_unvalued_stock_monthly")
    for name in (*models, "published_gold"):
        expect(page.get_by_text(name, exact=True).first).to_be_visible()
    for upstream in ("dim_category", "fx_rates_monthly"):
        expect(page.get_by_text(upstream, exact=True).first).to_be_visible()
    # One "n / n Passed" per Gold model once live data has loaded: every check ran and passed (the published
    # copy has no checks of its own: the models' checks ran before it).
    expect(page.get_by_text(re.compile(r"^(\d+) / \1 Passed$"))).to_have_count(len(models))
    expect(page.get_by_text("Materialized", exact=True)).to_have_count(len(models) + 1)
    shot(page, "lineage_gold")


def wait_for_freshness(port: int, asset_path: list[str], timeout_s: float = 120) -> str:
    """The freshness daemon evaluates every 30 s; the asset page shows the state it found at load."""
    path = str(asset_path).replace("'", '"')
    query = ("{ assetNodeOrError(assetKey: {path: " + path + "}) "
             "{ ... on AssetNode { freshnessStatusInfo { freshnessStatus } } } }")
    deadline = time.monotonic() + timeout_s
    while True:
        info = graphql(port, query)["assetNodeOrError"]["freshnessStatusInfo"]
        status = info["freshnessStatus"] if info else "UNKNOWN"
        if status != "UNKNOWN" or time.monotonic() > deadline:
            return status
        time.sleep(2)


def test_gold_trend_page_shows_chart_yoy_table_checks_and_freshness(platform, page):
    with connect_duckdb(platform.settings.duckdb_path, read_only=True) as con:
        rows, latest = con.execute("SELECT count(*), max(month_end_date) FROM gold.gold_inventory_value_trend").fetchone()
    assert wait_for_freshness(platform.port, TREND.split("/")) == "HEALTHY"
    open_ui(page, platform, f"/assets/{TREND}")
    expect(page.get_by_text("Freshness policy").first).to_be_visible()
    expect(page.get_by_text("Passing").first).to_be_visible()
    expect(page.get_by_text(f"{rows:,}", exact=True).first).to_be_visible()  # row count
    for owner in ("finance-analytics", "data-platform"):
        expect(page.get_by_text(owner, exact=True).first).to_be_visible()
    expect(page.get_by_text("Calendar month end of the balance.").first).to_be_visible()  # column docs
    expect(page.get_by_role("row").filter(has_text="yoy_table")).to_contain_text(latest.isoformat())

    page.get_by_role("row").filter(has_text="trend_chart").get_by_text("[Show Markdown]").click()
    chart = page.get_by_role("dialog").get_by_role("img", name=CHART_ALT)
    expect(chart).to_be_visible()
    width, height = chart.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert width >= 800 and height >= 400, (width, height)
    shot(page, "gold_trend_chart")
    page.get_by_role("button", name="Close").click()

    open_ui(page, platform, f"/assets/{TREND}?view=checks")
    checks = graphql(platform.port, '{ assetNodeOrError(assetKey: {path: ["gold", "gold_inventory_value_trend"]}) '
                                    '{ ... on AssetNode { assetChecksOrError { ... on AssetChecks { checks { name } } } } } }')
    names = [c["name"] for c in checks["assetNodeOrError"]["assetChecksOrError"]["checks"]]
    assert len(names) >= 3
    expect(page.get_by_text(f"Checks ({len(names)})")).to_be_visible()
    expect(page.get_by_text("Succeeded", exact=True)).to_have_count(len(names))
    shot(page, "gold_trend_checks")


def test_report_yoy_chart_is_the_chart_the_ui_shows(platform, tmp_path):
    chart_file = tmp_path / "trend.png"
    result = CliRunner().invoke(cli, ["report", "yoy", "--format", "csv", "--chart", str(chart_file)])
    assert result.exit_code == 0, result.output
    node = graphql(platform.port, CATALOG_QUERY)["assetNodes"]
    trend = next(n for n in node if "/".join(n["assetKey"]["path"]) == TREND)
    markdown = next(e["mdStr"] for e in trend["assetMaterializations"][0]["metadataEntries"] if e["label"] == "trend_chart")
    embedded = base64.b64decode(re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", markdown).group(1))
    assert chart_file.read_bytes() == embedded


def test_overview_timeline_shows_the_run_under_its_job(platform, page):
    open_ui(page, platform, "/overview/activity/timeline")
    # The UI leaves a run without a code location out of the timeline (and out of its job's runs).
    expect(page.get_by_text("inventory_platform", exact=True).first).to_be_visible()
    expect(page.get_by_text("monthly_close", exact=True).first).to_be_visible()
    shot(page, "overview_timeline")


def test_materialize_an_asset_from_the_ui(platform, page):
    query = '{ assetOrError(assetKey: {path: ["bronze", "products"]}) { ... on Asset { assetMaterializations { runId } } } }'
    runs_before = {m["runId"] for m in graphql(platform.port, query)["assetOrError"]["assetMaterializations"]}
    open_ui(page, platform, "/assets/bronze/products")
    page.get_by_role("button", name="Materialize").click()
    toast = page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}"))
    expect(toast).to_be_visible()
    prefix = re.search(r"Launched run ([0-9a-f]{8})", toast.inner_text()).group(1)
    runs = graphql(platform.port, "{ runsOrError { ... on Runs { results { runId } } } }")["runsOrError"]["results"]
    run_id = next(r["runId"] for r in runs if r["runId"].startswith(prefix))
    open_ui(page, platform, f"/runs/{run_id}")
    expect(page.get_by_text("Success", exact=True).first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    shot(page, "materialized_from_ui")
    runs_after = {m["runId"] for m in graphql(platform.port, query)["assetOrError"]["assetMaterializations"]}
    assert runs_after - runs_before == {run_id}


def test_make_docs_builds_a_static_dbt_site(platform, page):
    docs_dir = platform.root / "dbt_docs"
    proc = subprocess.run(["make", "docs", f"DOCS_DIR={docs_dir}"], cwd=REPO_ROOT, capture_output=True, text=True,
                          env={**os.environ, "INVENTORY_DUCKDB_PATH": str(platform.settings.duckdb_path)}, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    site = docs_dir / "static_index.html"
    page.goto(site.as_uri() + "#!/model/model.inventory_platform.gold_inventory_value_trend")
    expect(page.get_by_text("The executive trend").first).to_be_visible()  # yml description
    expect(page.get_by_text("constant_currency_yoy_pct").first).to_be_visible()
    expect(page.get_by_text("DECIMAL(38,2)").first).to_be_visible()  # column type: the catalog read the warehouse
    expect(page.get_by_text("gold_inventory_value_monthly").first).to_be_visible()  # lineage: depends on
    shot(page, "dbt_docs_trend")


def open_dashboard(page: Page, platform, path: str = "") -> list[str]:
    """Open a dashboard page and wait for it to render; returns the hosts every request went to."""
    hosts: list[str] = []
    page.on("request", lambda request: hosts.append(urlparse(request.url).hostname or request.url))
    page.goto(platform.dashboard_url + path)
    expect(page.get_by_test_id("stApp")).to_be_visible()
    wait_for_app_run(page)
    return hosts


def wait_for_app_run(page: Page) -> None:
    """Until Streamlit's script run is over: a rerun replaces its elements one by one, so the KPIs can show
    the new filter while the download button still serves the last run's CSV."""
    expect(page.locator("[data-testid='stApp'][data-test-script-state='notRunning']")).to_be_attached()


def kpi(page: Page, label: str) -> str:
    tile = page.get_by_test_id("stMetric").filter(has=page.get_by_text(label, exact=True))
    return tile.get_by_test_id("stMetricValue").inner_text()


def test_dashboard_answers_from_gold_and_a_filter_changes_the_numbers(platform, page):
    hosts = open_dashboard(page, platform)
    expect(page.get_by_role("heading", name="Inventory value")).to_be_visible()
    expect(page.get_by_test_id("stMetricValue").first).to_be_visible()
    with gold_query(platform.settings) as read:
        total = yoy_trend(read)
        eu = yoy_trend(read, filters=Filters(regions=("EU",)))
    assert kpi(page, "YoY") == pct_text(total[-1].yoy_pct)
    assert kpi(page, "YoY, constant currency") == pct_text(total[-1].constant_currency_yoy_pct)
    expect(page.locator("svg, canvas").first).to_be_visible()  # the Vega-Lite chart
    expect(page.get_by_test_id("stTable")).to_be_visible()
    page.set_viewport_size({"width": 1440, "height": 1400})
    page.wait_for_timeout(1000)  # the chart's transition
    shot(page, "dashboard")

    page.get_by_test_id("stMultiSelect").first.click()
    page.get_by_role("option", name="Europe (EU)").click()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("stMetric").filter(has=page.get_by_text("YoY", exact=True))
           .get_by_test_id("stMetricValue")).to_have_text(pct_text(eu[-1].yoy_pct))
    assert pct_text(eu[-1].yoy_pct) != pct_text(total[-1].yoy_pct)
    wait_for_app_run(page)
    shot(page, "dashboard_eu")

    with page.expect_download() as download:
        page.get_by_test_id("stDownloadButton").get_by_role("button").click()
    exported = download.value.path().read_bytes()
    report = CliRunner().invoke(cli, ["report", "yoy", "--region", "EU", "--format", "csv"])
    assert report.exit_code == 0, report.output
    assert exported == report.stdout_bytes and exported.count(b"\n") == 37
    assert set(hosts) == {"127.0.0.1"}, f"the dashboard fetched from other hosts: {sorted(set(hosts))}"


def test_gold_pages_link_the_dashboard_and_runbook_links_open(platform, page):
    open_ui(page, platform, f"/assets/{TREND}")
    link = page.locator(f'a[href^="{platform.dashboard_url}"]').first
    expect(link).to_be_visible()
    runbook = page.locator(f'a[href="{platform.dashboard_url}/runbook?doc=runbook_freshness"]').first
    expect(runbook).to_be_visible()
    hosts = open_dashboard(page, platform, "/runbook?doc=runbook_freshness")
    heading = (REPO_ROOT / "ops_runbooks" / "runbook_freshness.md").read_text().splitlines()[0].lstrip("# ")
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    shot(page, "dashboard_runbook")
    assert set(hosts) == {"127.0.0.1"}
