"""The local Kinesis endpoint's O(1) sequence-number lookups return what moto's own code computes."""

from moto.kinesis.models import Shard

from streaming.local.moto_server import _max_sequence_number, _min_sequence_number


def test_sequence_number_lookups_match_moto_over_a_growing_shard():
    shard = Shard(0, 0, 2**128)
    assert (_min_sequence_number(shard), _max_sequence_number(shard)) == (0, 0)
    issued = [int(shard.put_record(f"key-{i}", "ZGF0YQ==", None)) for i in range(50)]
    assert issued == list(range(1, 51))  # each put still continues from the newest number
    assert _max_sequence_number(shard) == list(shard.records.keys())[-1] == 50
    assert _min_sequence_number(shard) == list(shard.records.keys())[0] == 1
