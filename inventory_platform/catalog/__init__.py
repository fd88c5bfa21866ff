"""What analysts see in the Dagster catalog beyond the asset itself: refresh notes, runbooks, code links."""
