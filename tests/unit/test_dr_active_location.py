"""load_settings() follows the DR active-location pointer, and rejects a damaged one by name."""

from __future__ import annotations

import pytest

from inventory_platform.dr.active_location import clear_active_pointer, pointer_path, write_active_pointer
from inventory_platform.settings import load_settings


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("INVENTORY_DR_DIR", raising=False)
    monkeypatch.delenv("INVENTORY_DUCKDB_PATH", raising=False)
    monkeypatch.delenv("INVENTORY_LANDING_DIR", raising=False)
    return tmp_path


def test_pointer_repoints_warehouse_and_landing_until_cleared(dirs):
    primary = load_settings()
    assert primary.dr_dir == dirs / "data-dr" and primary.active_location == "primary"
    assert primary.duckdb_path == dirs / "data" / "warehouse.duckdb"
    restored = dirs / "data-dr" / "restored" / "b1"
    write_active_pointer(primary.dr_dir, {"backup_id": "b1", "duckdb_path": str(restored / "warehouse.duckdb"),
                                          "landing_dir": str(restored / "landing")})
    failed_over = load_settings()
    assert failed_over.active_location == "dr:b1"
    assert (failed_over.duckdb_path, failed_over.landing_dir) == (restored / "warehouse.duckdb", restored / "landing")
    assert clear_active_pointer(primary.dr_dir)
    assert load_settings().duckdb_path == primary.duckdb_path


def test_damaged_pointer_is_a_clear_error(dirs):
    path = pointer_path(dirs / "data-dr")
    path.parent.mkdir(parents=True)
    path.write_text('{"backup_id": "b1"}')
    with pytest.raises(ValueError, match=r"active_location.json: not a valid active-location pointer "
                                         r"\(missing or non-text 'duckdb_path'\)"):
        load_settings()
