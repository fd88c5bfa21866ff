"""docs/cdc_event_contract.md documents every field the code accepts, and nothing else."""

from __future__ import annotations

import re

from inventory_platform.settings import REPO_ROOT
from streaming.contract import MOVEMENT_TYPES, Source, StockLevelImage, TransactionEvent, TransactionImage

DOC = (REPO_ROOT / "docs" / "cdc_event_contract.md").read_text()


def documented_fields(heading: str) -> set[str]:
    section = DOC.split(heading, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE))


def test_every_field_in_code_is_documented_and_nothing_more():
    assert documented_fields("## Envelope") == set(TransactionEvent.model_fields)
    assert documented_fields("## `source`") == set(Source.model_fields)
    assert documented_fields("## Image: `inventory_transactions`") == set(TransactionImage.model_fields)
    assert documented_fields("## Image: `stock_levels`") == set(StockLevelImage.model_fields)


def test_movement_types_are_documented():
    assert all(m in DOC for m in MOVEMENT_TYPES)
