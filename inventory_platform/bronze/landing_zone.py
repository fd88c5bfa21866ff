"""The landing zone as a Dagster resource: where source files land and where rejected files are copied."""

from __future__ import annotations

import dagster as dg


class LandingZone(dg.ConfigurableResource):
    """Where source files land and where rejected files are copied with their reasons."""

    path: str
    quarantine_path: str
