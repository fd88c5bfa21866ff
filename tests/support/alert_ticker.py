"""Ticks the alert sensor as the daemon does, for tests: the cursor carried from tick to tick, the asset events it
returns stored in the instance, and the alerts it wrote read back from the alerts file."""

from __future__ import annotations

import json

import dagster as dg

from inventory_platform.monitoring.alert_sensor import build_alert_sensor
from inventory_platform.monitoring.incidents import OPEN_INCIDENTS
from inventory_platform.monitoring.notifiers import alerts_file
from inventory_platform.settings import load_settings
from tests.support import alerting_defs


class AlertSensorTicker:
    """Ticks the alert sensor the way the daemon does: each tick resumes from the previous cursor, and the
    asset events it returns (ops/open_incidents) are stored in the instance."""

    def __init__(self, instance: dg.DagsterInstance, definitions: dg.Definitions = alerting_defs.defs):
        self.settings = load_settings()
        self.sensor = build_alert_sensor(self.settings)
        self.instance = instance
        self.definitions = definitions
        self.cursor: str | None = None

    def tick(self) -> list[dict]:
        path = alerts_file(self.settings)
        seen = len(path.read_text().splitlines()) if path.exists() else 0
        with dg.build_sensor_context(instance=self.instance, cursor=self.cursor,
                                     definitions=self.definitions) as context:
            result = self.sensor(context)
        self.cursor = result.cursor
        for event in result.asset_events:
            self.instance.report_runless_asset_event(event)
        lines = path.read_text().splitlines() if path.exists() else []
        return [json.loads(line) for line in lines[seen:]]

    def open_incidents(self) -> str:
        """The incidents table of the latest ops/open_incidents observation."""
        [record] = self.instance.fetch_observations(OPEN_INCIDENTS, limit=1).records
        return record.asset_observation.metadata["incidents"].value
