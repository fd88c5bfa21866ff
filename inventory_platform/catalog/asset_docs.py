"""Finishes every asset for the catalog: how it is refreshed, its runbooks, and links to its code."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import dagster as dg

from inventory_platform.catalog.runbook_links import runbook_metadata
from inventory_platform.orchestration.schedules import REFRESHING_JOBS, refresh_note
from inventory_platform.settings import REPO_ROOT, Settings

# Code references are labelled beta; they are exactly what the catalog needs, so say so once here.
_CODE_REFERENCE_API = ("with_source_code_references|link_code_references_to_git|CodeReferencesMetadataValue|"
                       "LocalFileCodeReference|UrlCodeReference|AnchorBasedFilePathMapping")
warnings.filterwarnings("ignore", message=f".*({_CODE_REFERENCE_API}).*is currently in beta", category=dg.BetaWarning)
Assets = Sequence[dg.AssetsDefinition | dg.AssetSpec]


def refreshing_jobs(assets: Assets, jobs: Sequence[dg.UnresolvedAssetJobDefinition]) -> dict[dg.AssetKey, list[str]]:
    """The jobs that refresh each asset on their own, read from the jobs' own selections."""
    # Specs (prod's external Bronze) become definitions only so the selections can be resolved.
    defs = [a if isinstance(a, dg.AssetsDefinition) else dg.AssetsDefinition(specs=[a]) for a in assets]
    by_key: dict[dg.AssetKey, list[str]] = {}
    for job in jobs:
        if job.name in REFRESHING_JOBS:
            for key in job.selection.resolve(defs):
                by_key.setdefault(key, []).append(job.name)
    return by_key


def document_assets(assets: Assets, jobs: Sequence[dg.UnresolvedAssetJobDefinition], settings: Settings) -> list:
    refreshed_by = refreshing_jobs(assets, jobs)

    def document(spec: dg.AssetSpec) -> dg.AssetSpec:
        note = refresh_note(refreshed_by.get(spec.key, []), settings)
        # Gold's pages link the executive dashboard (`make dev` serves it), which reads the published copy.
        dashboard = {"dashboard": dg.MetadataValue.url(settings.dashboard_url)} if spec.key.path[0] == "gold" else {}
        return spec.replace_attributes(description=f"{spec.description}\n\n{note}").merge_attributes(
            metadata={**runbook_metadata(spec, settings), **dashboard})

    documented = dg.with_source_code_references(dg.map_asset_specs(document, assets))
    if not settings.code_url:
        return documented
    return dg.link_code_references_to_git(
        documented, git_url=settings.code_url, git_branch=settings.code_branch,
        file_path_mapping=dg.AnchorBasedFilePathMapping(local_file_anchor=REPO_ROOT, file_anchor_path_in_repository=""))
