"""Write conflicts are retried with backoff; other errors surface at once. Redshift connections commit,
roll back and switch autocommit as Redshift requires."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from inventory_platform.lib import write_conflicts
from inventory_platform.lib.redshift_warehouse import RedshiftWarehouse, needs_autocommit, redshift_from_env
from inventory_platform.lib.write_conflicts import is_write_conflict, retry_write_conflicts


class SerializableIsolationViolation(Exception):
    pass


REDSHIFT_1023 = SerializableIsolationViolation(
    "{'S': 'ERROR', 'C': 'XX000', 'M': '1023', 'D': 'Serializable isolation violation on table - 123456, "
    "transactions forming the cycle are: 1, 2 (pid:3)'}")


def real_duckdb_conflict(tmp_path) -> Exception:
    con = duckdb.connect(str(tmp_path / "c.duckdb"))
    con.execute("CREATE TABLE t AS SELECT 1 AS id, 0 AS v")
    first, second = con.cursor(), con.cursor()
    first.execute("BEGIN TRANSACTION")
    second.execute("BEGIN TRANSACTION")
    first.execute("UPDATE t SET v = 1 WHERE id = 1")
    with pytest.raises(duckdb.Error) as caught:
        second.execute("UPDATE t SET v = 2 WHERE id = 1")
    return caught.value


def test_classifies_redshift_and_duckdb_conflicts_but_not_other_errors(tmp_path):
    assert is_write_conflict(REDSHIFT_1023)
    assert is_write_conflict(real_duckdb_conflict(tmp_path))
    assert not is_write_conflict(ValueError("relation \"silver.x\" does not exist"))
    assert not is_write_conflict(ValueError("row 1023 has a bad value"))


def test_retries_conflicts_with_growing_backoff_then_succeeds():
    calls, delays = [], []

    def work():
        calls.append(1)
        if len(calls) < 3:
            raise REDSHIFT_1023
        return "done"

    assert retry_write_conflicts(work, attempts=5, base_delay_seconds=1, sleep=delays.append) == "done"
    assert len(calls) == 3 and len(delays) == 2
    assert 0.5 <= delays[0] <= 1 and 1 <= delays[1] <= 2


def test_gives_up_after_the_last_attempt_and_never_retries_other_errors():
    delays = []
    with pytest.raises(SerializableIsolationViolation):
        retry_write_conflicts(lambda: (_ for _ in ()).throw(REDSHIFT_1023), attempts=3, sleep=delays.append)
    assert len(delays) == 2
    with pytest.raises(KeyError):
        retry_write_conflicts(lambda: {}["missing"], attempts=3, sleep=delays.append)
    assert len(delays) == 2


class FakeCursor:
    def __init__(self, con):
        self.con, self.description = con, None

    def execute(self, sql, params=None):
        self.con.log.append(("execute", sql, params, self.con.autocommit))
        if self.con.failures:
            raise self.con.failures.pop(0)
        self.description = [("x",)] if sql.lower().startswith("select") else None

    def fetchall(self):
        return [(1,)]


class FakeConnection:
    def __init__(self, log, failures):
        self.log, self.failures, self.autocommit = log, failures, False

    def cursor(self):
        return FakeCursor(self)

    def commit(self):
        self.log.append(("commit",))

    def rollback(self):
        self.log.append(("rollback",))

    def close(self):
        self.log.append(("close",))


@pytest.fixture
def fake_redshift(monkeypatch):
    import redshift_connector

    log, failures, connects = [], [], []

    def connect(**options):
        connects.append(options)
        return FakeConnection(log, failures)

    monkeypatch.setattr(redshift_connector, "connect", connect)
    monkeypatch.setattr(write_conflicts.time, "sleep", lambda _: None)
    warehouse = RedshiftWarehouse(host="example.invalid", database="inventory", user="dagster", password="from-env")
    return warehouse, log, failures, connects


def test_query_is_parameterised_and_committed(fake_redshift):
    warehouse, log, _, connects = fake_redshift
    assert warehouse.query("select * from gold.t where month_key = %s", [202501]) == [(1,)]
    assert log == [("execute", "select * from gold.t where month_key = %s", [202501], False), ("commit",), ("close",)]
    assert connects[0]["password"] == "from-env" and "iam" not in connects[0]


def test_serialization_conflict_rolls_back_and_reruns_the_transaction(fake_redshift):
    warehouse, log, failures, connects = fake_redshift
    failures.append(REDSHIFT_1023)
    warehouse.query("insert into bronze.t values (%s)", [1])
    assert [e[0] for e in log] == ["execute", "rollback", "close", "execute", "commit", "close"]
    assert len(connects) == 2


def test_vacuum_runs_with_autocommit_outside_a_transaction(fake_redshift):
    warehouse, log, _, _ = fake_redshift
    warehouse.query("VACUUM SORT ONLY silver.fct_inventory_transactions")
    assert log[0][3] is True and ("commit",) not in log
    assert needs_autocommit("  vacuum delete only x") and not needs_autocommit("analyze silver.x")


def test_iam_authentication_sends_no_password(fake_redshift):
    _, _, _, connects = fake_redshift
    RedshiftWarehouse(host="h", database="d", user="dagster", iam=True, region="eu-west-1",
                      serverless_work_group="inventory").query("select 1")
    assert connects[0]["iam"] is True and "password" not in connects[0]
    assert connects[0]["serverless_work_group"] == "inventory" and connects[0]["is_serverless"] is True


@pytest.mark.parametrize("port_env, port", [(None, 5439), ("5440", 5440)])
def test_the_production_resource_reads_its_connection_from_the_environment(fake_redshift, monkeypatch, port_env, port):
    _, _, _, connects = fake_redshift
    for var, value in {"REDSHIFT_HOST": "cluster.example.invalid", "REDSHIFT_DATABASE": "inventory",
                       "REDSHIFT_USER": "dagster", "REDSHIFT_PASSWORD": "from-env", "REDSHIFT_PORT": port_env}.items():
        if value is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, value)
    resource = redshift_from_env()
    with dg.build_resources({"warehouse": resource}) as resources:
        resources.warehouse.query("select 1")
    assert connects[0]["host"] == "cluster.example.invalid" and connects[0]["port"] == port
