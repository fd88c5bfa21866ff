"""Alerts as incidents: one stale source makes every table after it late, fails their checks and the runs
that build them; paging once per symptom sent 24 alerts for one cause. So unhealthy subjects (freshness
states, check results, failed runs) are grouped into incidents, and the alert sensor notifies once per
incident when it opens, changes level or resolves.

- Two unhealthy assets are in one incident when one is upstream of the other in the lineage (the healthy
  tables between them do not break the chain); every unhealthy subject of an asset joins that asset's
  incident, and a failed run joins every incident whose assets it planned.
- The cause is the most upstream subject, a failed run first: its runbook is the incident's. The level is the
  highest level in it.
- An incident keeps its id while any of its subjects stays unhealthy; when two merge, the older id is kept.

Open incidents are visible in the UI as the observation of the external asset `ops/open_incidents` (a table
of them) and its check `no_open_incidents`, both recorded by the alert sensor when something changes.
"""

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import dagster as dg

from inventory_platform.monitoring.levels import Level

OPEN_INCIDENTS = dg.AssetKey(["ops", "open_incidents"])
NO_OPEN_INCIDENTS = "no_open_incidents"
_RANK = {Level.PASS.value: 0, Level.WARN.value: 1, Level.FAIL.value: 2}


@dataclass
class Incident:
    id: str
    level: str
    cause: str  # the cause's subject, e.g. "check:bronze/inventory_transactions:data_is_current"
    cause_state: str
    runbook: str
    subjects: list[str]
    assets: list[str]
    opened_at: float

    @classmethod
    def from_json(cls, data: Mapping) -> "Incident":
        return cls(**data)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Transition:
    """What to notify about an incident this tick: opened (before None), a level change, or resolved."""

    incident: Incident
    before: Incident | None
    resolved: bool = False


class _Groups:
    def __init__(self, items):
        self.parent = {item: item for item in items}

    def find(self, item):
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return self.parent[item]

    def join(self, a, b) -> None:
        self.parent[self.find(a)] = self.find(b)


def group_subjects(unhealthy: Mapping[str, dict], repo: dg.RepositoryDefinition | None) -> list[list[str]]:
    """Unhealthy subjects (subject -> remembered state with kind and assets) grouped into incidents over the
    repository's lineage, each group listed cause first."""
    graph = repo.asset_graph if repo is not None else None
    groups = _Groups(unhealthy)
    by_asset: dict[str, list[str]] = {}
    for subject, state in unhealthy.items():
        if state.get("kind") != "run":
            for asset in state.get("assets", ()):
                by_asset.setdefault(asset, []).append(subject)
    for subjects in by_asset.values():
        for other in subjects[1:]:
            groups.join(subjects[0], other)
    for asset in by_asset if graph is not None else ():
        key = dg.AssetKey.from_user_string(asset)
        if not graph.has(key):
            continue
        for ancestor in graph.get_ancestor_asset_keys(key):
            upstream = ancestor.to_user_string()
            if upstream in by_asset:
                groups.join(by_asset[asset][0], by_asset[upstream][0])
    for subject, state in unhealthy.items():
        if state.get("kind") == "run":
            for asset in state.get("assets", ()):
                if asset in by_asset:
                    groups.join(subject, by_asset[asset][0])
    order = {k.to_user_string(): n for n, k in enumerate(graph.toposorted_asset_keys)} if graph is not None else {}

    def cause_first(subject: str) -> tuple:
        state = unhealthy[subject]
        upstream = min((order.get(a, len(order)) for a in state.get("assets", ())), default=len(order))
        return (state.get("kind") != "run", upstream, -_RANK[state["level"]], subject)

    grouped: dict[str, list[str]] = {}
    for subject in unhealthy:
        grouped.setdefault(groups.find(subject), []).append(subject)
    return sorted((sorted(members, key=cause_first) for members in grouped.values()), key=lambda g: g[0])


def incident_id(cause: str, opened_at: float) -> str:
    return f"{datetime.fromtimestamp(opened_at, UTC):%Y%m%d-%H%M%S}-{hashlib.sha1(cause.encode()).hexdigest()[:6]}"


def reconcile(open_before: list[Incident], unhealthy: Mapping[str, dict], repo: dg.RepositoryDefinition | None,
              now: float) -> tuple[list[Incident], list[Transition]]:
    """The incidents open now, and the transitions to notify: opened, level changed, resolved."""
    claimed: set[str] = set()
    now_open, transitions = [], []
    for members in group_subjects(unhealthy, repo):
        cause = members[0]
        level = max((unhealthy[s]["level"] for s in members), key=_RANK.__getitem__)
        assets = sorted({a for s in members for a in unhealthy[s].get("assets", ())})
        earlier = sorted((i for i in open_before if i.id not in claimed and set(i.subjects) & set(members)),
                         key=lambda i: i.opened_at)
        before = earlier[0] if earlier else None
        claimed.update(i.id for i in earlier)  # merged incidents end in the oldest, silently
        incident = Incident(
            id=before.id if before else incident_id(cause, now), level=level, cause=cause,
            cause_state=unhealthy[cause]["state"], runbook=unhealthy[cause]["runbook"], subjects=members,
            assets=assets, opened_at=before.opened_at if before else now)
        now_open.append(incident)
        if before is None or before.level != level:
            transitions.append(Transition(incident, before))
    for gone in open_before:
        if gone.id not in claimed:
            transitions.append(Transition(gone, gone, resolved=True))
    return now_open, transitions


def incidents_table(incidents: list[Incident], link: Callable[[str], str]) -> str:
    """Markdown table of the open incidents (the observation of ops/open_incidents)."""
    if not incidents:
        return "No open incident."
    rows = ["| incident | level | cause | since (UTC) | affected assets | runbook |", "|---|---|---|---|---|---|"]
    for i in incidents:
        since = datetime.fromtimestamp(i.opened_at, UTC).strftime("%Y-%m-%d %H:%M")
        doc = i.runbook.split("/")[-1]
        rows.append(f"| {i.id} | {i.level} | {i.cause} ({i.cause_state}) | {since} | "
                    f"{', '.join(i.assets) or '-'} | [{doc}]({link(i.runbook)}) |")
    return "\n".join(rows)


def open_incidents_events(incidents: list[Incident], link: Callable[[str], str]) -> list:
    """The observation of ops/open_incidents and the result of its check, for the alert sensor to record."""
    table = incidents_table(incidents, link)
    worst = max((i.level for i in incidents), key=_RANK.__getitem__, default=Level.PASS.value)
    return [
        dg.AssetObservation(OPEN_INCIDENTS, metadata={"open": len(incidents), "incidents": dg.MetadataValue.md(table)}),
        dg.AssetCheckEvaluation(
            asset_key=OPEN_INCIDENTS, check_name=NO_OPEN_INCIDENTS, passed=not incidents,
            severity=dg.AssetCheckSeverity.WARN if worst == Level.WARN.value else dg.AssetCheckSeverity.ERROR,
            description=("no open incident" if not incidents else f"{len(incidents)} open: "
                         + "; ".join(f"{i.level} {i.cause} ({len(i.assets)} assets)" for i in incidents)),
            metadata={"open": len(incidents), "incidents": dg.MetadataValue.md(table)}),
    ]


def open_incidents_spec() -> dg.AssetSpec:
    return dg.AssetSpec(
        key=OPEN_INCIDENTS,
        description=("The incidents the alert sensor has open: each groups the unhealthy assets of one cause "
                     "(connected in the lineage) and the failed runs that planned them, with its level, cause, "
                     "affected assets and runbook. See the latest observation's `incidents` table; its check "
                     f"{NO_OPEN_INCIDENTS} fails while any is open. Recorded by alert_sensor on every change."),
        kinds={"python"},  # kept in Dagster's event log, not in the warehouse
    )


def build_open_incidents_check() -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        specs=[dg.AssetCheckSpec(NO_OPEN_INCIDENTS, asset=OPEN_INCIDENTS,
                                 description="Evaluated only by alert_sensor when the open incidents change (it "
                                             "ticks every minute while the Dagster daemon runs, `make dev` "
                                             "locally), or on demand. Fails while the alert sensor has an "
                                             "incident open (listed in its description and in "
                                             "ops/open_incidents).")],
        name="open_incidents_check")
    def open_incidents_check(context: dg.AssetCheckExecutionContext):
        """Re-states the latest recorded observation (the alert sensor keeps it current)."""
        records = context.instance.fetch_observations(OPEN_INCIDENTS, limit=1).records
        metadata = records[0].asset_observation.metadata if records else {}
        count = int(metadata["open"].value) if "open" in metadata else 0
        yield dg.AssetCheckResult(
            passed=count == 0, description="no open incident" if not count else f"{count} open incident(s)",
            metadata={"incidents": metadata.get("incidents", dg.MetadataValue.md("No open incident."))})

    return open_incidents_check
