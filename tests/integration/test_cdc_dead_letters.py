"""Dead letters against the real local endpoint (moto Kinesis and DynamoDB): a replay of the raw stream
does not dead-letter a bad record a second time."""

from __future__ import annotations

import json

from inventory_platform.cdc.local_pipeline import poll_until_idle
from streaming.local.event_source_mapping import mapping_checkpoint_file
from streaming.local.producer import Faults, produce

from ..support.cdc_fixtures import endpoint, lab, silver_db  # noqa: F401 (pytest fixtures)


def test_replaying_the_raw_stream_twice_leaves_each_bad_record_dead_lettered_once(lab):
    source = lab.source()
    stats = produce(lab.kinesis, lab.names.raw, source, 1_500, faults=Faults(malformed=0.04, oversized=0.01))
    bad = stats.malformed + stats.oversized
    assert bad > 40
    poll_until_idle(lab.pipeline(dedup="dynamodb"))
    first = [json.loads(d) for d in lab.dead_letters()]
    assert len(first) == bad

    for _ in range(2):  # replay from TRIM_HORIZON, as the runbook's recovery does
        mapping_checkpoint_file(lab.root / "streaming", lab.pipeline().mapping.reader).unlink()
        replay = lab.pipeline(dedup="dynamodb")
        poll_until_idle(replay)
        assert replay.mapping.stats.records == stats.put  # every raw record was read again
    letters = [json.loads(d) for d in lab.dead_letters()]
    assert len(letters) == bad
    assert sorted(d["raw_shard_sequence_number"] for d in letters) == sorted(d["raw_shard_sequence_number"] for d in first)
