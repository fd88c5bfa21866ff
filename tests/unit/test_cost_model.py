"""docs/cost_analysis.md holds exactly what the cost model computes, and the model responds to its inputs."""

from __future__ import annotations

import re

from inventory_platform.cost import model


def test_document_tables_are_the_models_output():
    assert model.generated_block(model.DOC.read_text()) == model.render()
    assert model.main(["--check"]) == 0


def test_totals_are_the_sums_of_their_lines_and_follow_the_prices(monkeypatch):
    text = model.generated_block(model.DOC.read_text())
    for option, lines in model.cost_lines().items():
        section = text.split(f"### {option}", 1)[1].split("###", 1)[0]
        shown = [float(v.replace(",", "")) for v in re.findall(r"\| ([\d,]+\.\d\d) \|", section)]
        total = float(re.search(r"\*\*([\d,]+\.\d\d)\*\*", section).group(1).replace(",", ""))
        assert len(shown) == len(lines) and abs(sum(shown) - total) < 0.01 * len(lines)
    before = sum(usd for _, _, usd in model.cost_lines()["Serverless"])
    monkeypatch.setitem(model.PRICES, "serverless_rpu_hour", model.PRICES["serverless_rpu_hour"] * 2)
    after = sum(usd for _, _, usd in model.cost_lines()["Serverless"])
    rpu_hours = sum(float(q.split()[0].replace(",", "")) for item, q, _ in model.cost_lines()["Serverless"] if item.startswith("RPU"))
    assert abs((after - before) - rpu_hours * 0.375) < 1.0
