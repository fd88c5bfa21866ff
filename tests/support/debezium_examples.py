"""Real Debezium change events (tests/support/debezium/, copied from Debezium's documentation) with
our tables' row images in place of the documentation's `customers` rows."""

from __future__ import annotations

import copy
import json
from pathlib import Path

EXAMPLES = Path(__file__).parent / "debezium"

# The Kafka Connect schema of each table's row, as the JSON converter with schemas enabled describes it.
ROW_SCHEMAS = {
    "inventory_transactions": [
        {"type": "int64", "optional": False, "field": "transaction_id"},
        {"type": "string", "optional": False, "name": "io.debezium.time.ZonedTimestamp", "version": 1, "field": "event_ts"},
        {"type": "string", "optional": False, "field": "warehouse_id"},
        {"type": "string", "optional": False, "field": "sku_id"},
        {"type": "string", "optional": False, "field": "movement_type"},
        {"type": "int64", "optional": False, "field": "quantity"},
        {"type": "string", "optional": True, "field": "reference_id"},
    ],
    "stock_levels": [
        {"type": "string", "optional": False, "field": "warehouse_id"},
        {"type": "string", "optional": False, "field": "sku_id"},
        {"type": "int64", "optional": False, "field": "quantity_on_hand"},
        {"type": "string", "optional": False, "field": "unit_of_measure"},
        {"type": "string", "optional": False, "field": "currency_code"},
        {"type": "string", "optional": False, "name": "io.debezium.time.ZonedTimestamp", "version": 1, "field": "updated_at"},
    ],
}


def example(name: str, table: str, before: dict | None = None, after: dict | None = None) -> dict:
    """The documented message `name` for a row of `table`: only the row images and source.table change."""
    message = json.loads((EXAMPLES / f"{name}.json").read_text())
    payload = message["payload"] if "payload" in message else message
    payload["source"]["table"] = table
    for image, value in (("before", before), ("after", after)):
        if image in payload:
            payload[image] = copy.deepcopy(value)
    for field in message.get("schema", {}).get("fields", []):
        if field["field"] in ("before", "after"):
            field["fields"] = copy.deepcopy(ROW_SCHEMAS[table])
    return message
