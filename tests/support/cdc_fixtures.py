"""Fixtures of the CDC integration tests: one local AWS endpoint (moto Kinesis and DynamoDB) per module,
the shared tiny Silver warehouse, and a fresh lab (streams, dedup table, warehouse copy) per test.
Import them into a test module to use them."""

from __future__ import annotations

import os

import pytest

from streaming.local.local_endpoint import LocalEndpoint

from .cdc import build_tiny_silver, new_lab

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
