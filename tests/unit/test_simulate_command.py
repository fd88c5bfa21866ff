"""`inventory-platform simulate` ends yesterday by default, so a new user's platform looks live, and a landing
zone that already holds another history is kept or refused with the way out, never mixed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from click.testing import CliRunner

from inventory_platform.cli import main
from inventory_platform.landing_contract import MANIFEST_FILE
from inventory_platform.simulation.timeline import years_ending


def test_four_years_end_on_the_given_day():
    assert years_ending(date(2025, 12, 31)) == date(2022, 1, 1)
    for end in (date(2026, 12, 5), date(2027, 2, 28), date(2028, 2, 29), date(2099, 2, 28)):
        start = years_ending(end)
        assert (end - start).days + 1 in (1461, 1460), end  # 1,460 only across 2100, which is not a leap year
    assert (date(2026, 12, 5) - years_ending(date(2026, 12, 5))).days + 1 == 1461


def test_help_names_the_defaults():
    result = CliRunner().invoke(main, ["simulate", "--help"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # help text wraps at the terminal width
    assert "yesterday (UTC)" in text and "four years before --end" in text


def test_end_defaults_to_yesterday_and_another_end_is_refused_with_the_way_out(tmp_path):
    runner = CliRunner()
    out = tmp_path / "landing"
    result = runner.invoke(main, ["simulate", "--scale", "tiny", "--out", str(out), "--end", "2024-03-10"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert (manifest["start"], manifest["end"]) == ("2020-03-11", "2024-03-10")
    assert (out / "inventory_transactions" / "date=2024-03-10").is_dir()
    assert not (out / "inventory_transactions" / "date=2024-03-11").exists()

    # Another explicit end would rewrite landed days: refused, naming both spans and `make clean`.
    refused = runner.invoke(main, ["simulate", "--scale", "tiny", "--out", str(out), "--end", "2024-04-01"])
    assert refused.exit_code != 0
    text = " ".join(refused.output.split())
    assert "from 2020-03-11 to 2024-03-10" in text and "make clean" in text

    # The default end (yesterday) differs too, but a re-run of `make demo` keeps the loaded history.
    kept = runner.invoke(main, ["simulate", "--scale", "tiny", "--out", str(out)])
    assert kept.exit_code == 0, kept.output
    text = " ".join(kept.output.split())
    assert "keeping it" in text and "nothing to do" in text
    assert json.loads((out / MANIFEST_FILE).read_text())["end"] == "2024-03-10"

    # On an empty landing zone the default is yesterday (UTC).
    fresh = tmp_path / "fresh"
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    started = runner.invoke(main, ["simulate", "--scale", "tiny", "--out", str(fresh), "--start",
                                   (yesterday - timedelta(days=3)).isoformat()])
    assert started.exit_code == 0, started.output
    assert json.loads((fresh / MANIFEST_FILE).read_text())["end"] == yesterday.isoformat()
