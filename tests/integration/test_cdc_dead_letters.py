"""Dead letters against the real local endpoint (moto Kinesis and DynamoDB): a replay of the raw stream
does not dead-letter a bad record a second time."""

from __future__ import annotations

import json
import os

import pytest

from streaming.local_endpoint import LocalEndpoint
from streaming.pipeline import mapping_checkpoint_file, poll_until_idle
from streaming.producer import Faults, produce

from ..support.cdc import build_tiny_silver, new_lab

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    local = LocalEndpoint(tmp_path_factory.mktemp("endpoint"))
    local.up()
    yield local
    local.down()


@pytest.fixture(scope="module")
def silver_db(tmp_path_factory):
    return build_tiny_silver(tmp_path_factory.mktemp("tiny_silver"))


@pytest.fixture
def lab(tmp_path, endpoint, silver_db, request):
    return new_lab(tmp_path, endpoint, silver_db, prefix=request.node.name.replace("_", "-")[:40])


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
