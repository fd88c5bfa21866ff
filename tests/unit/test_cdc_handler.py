"""The Lambda handler and the local event-source mapping, with in-process fakes for Kinesis."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from streaming.dedup import InMemoryDedupStore
from streaming.lambda_handler import Runtime, handle
from streaming.local.event_source_mapping import EventSourceMapping, FileCheckpoints
from streaming.local.shard_reader import ShardBatch


class FakeKinesis:
    """put_records that refuses records whose partition key is in `refuse` (a throttled shard)."""

    def __init__(self, refuse=()):
        self.refuse = set(refuse)
        self.streams: dict[str, list[tuple[bytes, str]]] = {}

    def put_records(self, StreamName, Records):
        results = []
        for r in Records:
            if r["PartitionKey"] in self.refuse:
                results.append({"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "slow down"})
            else:
                self.streams.setdefault(StreamName, []).append((r["Data"], r["PartitionKey"]))
                results.append({"SequenceNumber": "1", "ShardId": "shardId-000000000000"})
        return {"FailedRecordCount": sum("ErrorCode" in r for r in results), "Records": results}


def transaction(event_id="e1", lsn=1, tid=100, quantity=5, op="c", event_ts="2025-12-31T10:00:00+09:00", **after):
    image = {"transaction_id": tid, "event_ts": event_ts, "warehouse_id": "wh-001", "sku_id": "sku-000001",
             "movement_type": "receipt", "quantity": quantity, "reference_id": None, **after}
    return {"event_id": event_id, "op": op, "source": {"table": "inventory_transactions", "lsn": lsn, "ts_ms": 1, "txid": 1},
            "before": image if op == "d" else None, "after": None if op == "d" else image}


def stock(event_id="s1", lsn=2, unit="each", currency="eur"):
    return {"event_id": event_id, "op": "u", "source": {"table": "stock_levels", "lsn": lsn, "ts_ms": 1},
            "after": {"warehouse_id": "WH-001", "sku_id": "SKU-000001", "quantity_on_hand": 7, "unit_of_measure": unit,
                      "currency_code": currency, "updated_at": "2025-12-31T10:00:00Z"}}


def kinesis_event(payloads: list) -> dict:
    records = []
    for i, p in enumerate(payloads):
        data = p if isinstance(p, bytes) else json.dumps(p).encode()
        records.append({"eventSource": "aws:kinesis", "eventSourceARN": "arn:aws:kinesis:us-east-1:0:stream/raw",
                        "eventID": f"shardId-000000000000:{1000 + i}",
                        "kinesis": {"partitionKey": f"pk-{i}", "sequenceNumber": str(1000 + i),
                                    "data": base64.b64encode(data).decode(), "approximateArrivalTimestamp": 1.0}})
    return {"Records": records}


def runtime(kinesis=None, dedup=None) -> Runtime:
    return Runtime(kinesis=kinesis or FakeKinesis(), dedup=dedup or InMemoryDedupStore(), clean_stream="clean", dlq_stream="dlq")


def clean_events(rt) -> list[dict]:
    return [json.loads(d) for d, _ in rt.kinesis.streams.get("clean", [])]


def test_events_are_standardized_on_the_way_through():
    rt = runtime()
    assert handle(kinesis_event([transaction(), stock()]), rt) == {"batchItemFailures": []}
    txn, level = clean_events(rt)
    assert txn["after"]["event_ts"] == "2025-12-31T01:00:00Z"  # +09:00 converted to UTC
    assert (txn["after"]["warehouse_id"], txn["after"]["sku_id"], txn["after"]["movement_type"]) == (
        "WH-001", "SKU-000001", "RECEIPT")
    assert (level["after"]["unit_of_measure"], level["after"]["currency_code"]) == ("EA", "EUR")
    keys = [pk for _, pk in rt.kinesis.streams["clean"]]
    assert keys == ["inventory_transactions|100", "stock_levels|WH-001|SKU-000001"]


def test_duplicates_are_dropped_by_event_id_and_by_source_position_across_batches():
    rt = runtime()
    handle(kinesis_event([transaction(), transaction(), transaction(event_id="other-id")]), rt)
    handle(kinesis_event([transaction(), transaction(event_id="again", lsn=1)]), rt)
    handle(kinesis_event([transaction(event_id="e2", lsn=3, quantity=6, op="u")]), rt)
    assert [(e["event_id"], e["source"]["lsn"]) for e in clean_events(rt)] == [("e1", 1), ("e2", 3)]


def test_bad_events_are_dead_lettered_with_the_field_and_reason_and_the_rest_flows():
    rt = runtime()
    bad = [b"{not json", transaction(quantity=-5), transaction(event_id="n", event_ts="2025-12-31T10:00:00"),
           stock(unit="furlong"), {**transaction(), "op": "x"}, transaction(event_id="big", reference_id="x" * 70_000)]
    assert handle(kinesis_event([*bad, transaction(event_id="ok", lsn=9)]), rt) == {"batchItemFailures": []}
    reasons = [json.loads(d)["reason"] for d, _ in rt.kinesis.streams["dlq"]]
    assert reasons[0].startswith("invalid event: event: Invalid JSON: key must be a string")
    assert "after: Value error, RECEIPT quantity must be positive, got -5" in reasons[1]
    assert "after.event_ts: Value error, timestamp must carry a UTC offset" in reasons[2]
    assert "after.unit_of_measure: Value error, unknown unit_of_measure 'furlong'" in reasons[3]
    assert "op: Input should be 'c', 'u', 'd' or 'r'" in reasons[4]
    assert reasons[5].startswith("oversized: ")
    assert [e["event_id"] for e in clean_events(rt)] == ["ok"]


def test_refused_records_are_reported_as_partial_failures_and_not_remembered():
    dedup = InMemoryDedupStore()
    rt = runtime(FakeKinesis(refuse={"inventory_transactions|101"}), dedup)
    response = handle(kinesis_event([transaction(tid=100), transaction(event_id="e2", tid=101, lsn=2),
                                     transaction(event_id="e3", tid=102, lsn=3)]), rt)
    assert response == {"batchItemFailures": [{"itemIdentifier": "1001"}]}
    assert dedup.seen(["inventory_transactions#101#2"]) == set()  # so the retry forwards it
    assert dedup.seen(["inventory_transactions#100#1", "inventory_transactions#102#3"]) == {
        "inventory_transactions#100#1", "inventory_transactions#102#3"}


class FakeReader:
    stream_arn = "arn:aws:kinesis:us-east-1:0:stream/raw"
    stream_name = "raw"

    def __init__(self, records):
        self.records = records

    def shard_ids(self):
        return ["shardId-000000000000"]

    def read(self, shard_id, after, limit=None):
        start = 0 if after is None else next(i for i, r in enumerate(self.records) if r["SequenceNumber"] == after) + 1
        return ShardBatch(shard_id, self.records[start:start + (limit or 100)], 0)

    def forget(self, shard_id):
        pass


def raw_records(n):
    at = datetime(2025, 12, 31, tzinfo=UTC)
    return [{"SequenceNumber": str(i), "PartitionKey": f"k{i}", "Data": json.dumps({"n": i}).encode(),
             "ApproximateArrivalTimestamp": at} for i in range(n)]


def test_mapping_bisects_a_poison_record_sends_it_to_the_failure_destination_and_moves_on(tmp_path):
    seen = []

    def function(event):
        numbers = [json.loads(base64.b64decode(r["kinesis"]["data"]))["n"] for r in event["Records"]]
        if 5 in numbers:
            raise RuntimeError("cannot process record 5")
        seen.extend(numbers)
        return {"batchItemFailures": []}

    checkpoints = FileCheckpoints(tmp_path / "ckpt.json")
    mapping = EventSourceMapping(FakeReader(raw_records(12)), function, checkpoints, tmp_path / "failures.jsonl",
                                 max_retries=2, retry_delay_s=0)
    mapping.poll()
    assert sorted(seen) == [n for n in range(12) if n != 5]
    failure = json.loads((tmp_path / "failures.jsonl").read_text())
    assert (failure["start_sequence_number"], failure["end_sequence_number"], failure["batch_size"]) == ("5", "5", 1)
    assert FileCheckpoints(tmp_path / "ckpt.json").get("shardId-000000000000") == "11"


def test_mapping_retries_from_the_first_reported_failure(tmp_path):
    calls = []

    def function(event):
        sequence = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
        calls.append(sequence)
        return {"batchItemFailures": [{"itemIdentifier": "3"}]} if len(calls) == 1 else {"batchItemFailures": []}

    mapping = EventSourceMapping(FakeReader(raw_records(6)), function, FileCheckpoints(tmp_path / "c.json"),
                                 tmp_path / "f.jsonl", retry_delay_s=0)
    mapping.poll()
    assert calls == [["0", "1", "2", "3", "4", "5"], ["3", "4", "5"]]
    assert mapping.checkpoints.get("shardId-000000000000") == "5"


def test_debezium_shaped_events_that_are_really_malformed_are_still_refused():
    mysql_source = {"connector": "mysql", "ts_ms": 0, "table": "stock_levels", "file": "mysql-bin.000003", "pos": 154, "row": 0}
    level = stock()["after"]
    bad = [
        {"schema": {"type": "struct"}, "payload": None},  # a tombstone: nothing to apply
        {"op": "c", "source": {**mysql_source, "file": "binlog"}, "after": level},  # no lsn, no usable position
        {"op": "c", "source": {**mysql_source, "pos": 2 ** 32}, "after": level},  # beyond what an lsn holds
        {"op": "d", "source": {"table": "inventory_transactions", "lsn": 5, "ts_ms": 1, "txId": 7},
         "before": {"transaction_id": 100, "colour": "red"}},  # a key image with a column we do not know
        {"op": "c", "source": {"table": "stock_levels", "lsn": 5, "ts_ms": 1}, "after": level, "extra": 1},
    ]
    rt = runtime()
    handle(kinesis_event(bad), rt)
    reasons = [json.loads(d)["reason"] for d, _ in rt.kinesis.streams["dlq"]]
    assert len(reasons) == len(bad) and "clean" not in rt.kinesis.streams
    assert "binlog file 'binlog' does not end in a sequence number" in reasons[1]
    assert "binlog position mysql-bin.000003:4294967296 row 0 is outside the range" in reasons[2]
    assert "before.full.event_ts: Field required" in reasons[3]
    assert "stock_levels.extra: Extra inputs are not permitted" in reasons[4]


def test_a_replayed_bad_record_is_not_dead_lettered_again_but_an_identical_one_elsewhere_is():
    dedup = InMemoryDedupStore()
    batch = kinesis_event([b"{not json", b"{not json", transaction(quantity=-5), transaction(event_id="ok")])
    first, replay = runtime(dedup=dedup), runtime(dedup=dedup)
    handle(batch, first)
    handle(batch, replay)  # the same raw positions read again
    assert len(first.kinesis.streams["dlq"]) == 3  # the two identical records sit at two positions
    assert "dlq" not in replay.kinesis.streams and "clean" not in replay.kinesis.streams
