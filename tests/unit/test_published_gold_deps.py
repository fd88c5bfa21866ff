"""gold/published_gold waits for every Gold model: a new Gold model left out of it would be published a build late."""

from inventory_platform.definitions import defs
from inventory_platform.serving.assets import PUBLISHED_FROM, PUBLISHED_GOLD_KEY


def test_published_gold_depends_on_every_gold_dbt_model():
    repo = defs.get_repository_def()
    gold_models = {key for key, a in repo.assets_defs_by_key.items()
                   if key.path[0] == "gold" and "dbt" in a.specs_by_key[key].kinds}
    assert gold_models and set(PUBLISHED_FROM) == gold_models
    published = repo.assets_defs_by_key[PUBLISHED_GOLD_KEY].specs_by_key[PUBLISHED_GOLD_KEY]
    assert {d.asset_key for d in published.deps} == gold_models


def test_every_job_that_builds_gold_publishes_it():
    repo = defs.get_repository_def()
    building_gold = [job.name for job in repo.get_all_jobs() if job.asset_layer.executable_asset_keys & set(PUBLISHED_FROM)]
    assert {"build_silver_gold", "daily_batch_load", "monthly_close", "cdc_microbatch"} <= set(building_gold)
    for job in repo.get_all_jobs():
        if job.name in building_gold:
            assert PUBLISHED_GOLD_KEY in job.asset_layer.executable_asset_keys, job.name
