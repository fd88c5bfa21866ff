"""Check names an analyst can read on an asset's Checks tab: short, no dbt-generated name (which the UI
truncates to `relationships_f…f_dim_currency_`); the asset beside a check says whose it is."""

from __future__ import annotations

import json
import re
from collections import Counter

from inventory_platform.definitions import defs
from inventory_platform.transform.dbt_assets import MANIFEST_PATH

LONGEST = 40
# What dbt generates when a test has no `name:`: the test, the model and its arguments joined by `_`/`__`.
GENERATED = re.compile(r"^(not_null|unique|accepted_values|relationships|unique_combination_of_columns|"
                       r"expression_is_true|scd2_windows_valid)_|__")


def test_every_check_in_the_code_location_has_a_short_readable_name():
    repo = defs.get_repository_def()
    names = {spec.key.name for a in repo.assets_defs_by_key.values() for spec in a.check_specs}
    assert len(names) >= 60
    assert [n for n in names if len(n) > LONGEST or GENERATED.search(n)] == []


def test_every_generic_dbt_test_is_named_and_unique_on_its_model():
    tests = [n for n in json.loads(MANIFEST_PATH.read_text())["nodes"].values() if n["resource_type"] == "test"]
    generic = [t for t in tests if t.get("test_metadata")]
    assert len(generic) >= 70
    assert [t["name"] for t in generic if GENERATED.search(t["name"])] == []
    per_model = Counter((t.get("attached_node"), t["name"]) for t in tests)
    assert [key for key, count in per_model.items() if count > 1] == []
