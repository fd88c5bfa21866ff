"""Alerts reach the log and the alerts file always, Slack and email when configured, through real
sockets (a local webhook and a local SMTP server); a failing channel does not stop the others."""

from __future__ import annotations

import email
import email.policy
import json
import logging
import socket

import pytest

from inventory_platform.monitoring.levels import Level
from inventory_platform.monitoring.notifiers import (
    Alert,
    AlertFileNotifier,
    EmailNotifier,
    LogNotifier,
    SlackNotifier,
    alerts_file,
    deliver,
    email_notifier_from_env,
    notifiers_from_env,
)
from inventory_platform.monitoring.runbooks import FRESHNESS
from inventory_platform.settings import load_settings
from tests.support.notification_sinks import slack_webhook, smtp_server

ALERT = Alert(subject="freshness:gold/gold_inventory_value_monthly", kind="freshness",
              target="gold/gold_inventory_value_monthly", state="FAIL", previous_state="WARN", level=Level.FAIL,
              runbook=FRESHNESS, summary="gold/gold_inventory_value_monthly is FAIL against its freshness policy",
              at="2026-11-27T03:00:00+00:00", assets=("gold/gold_inventory_value_monthly",))


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_DUCKDB_PATH", str(tmp_path / "data" / "wh.duckdb"))
    return load_settings()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_every_alert_names_asset_state_and_runbook():
    text = ALERT.text()
    assert ALERT.headline == "[FAIL] freshness gold/gold_inventory_value_monthly: WARN -> FAIL"
    for part in ("gold/gold_inventory_value_monthly", "FAIL", f"Runbook: {FRESHNESS}"):
        assert part in text


def test_default_channels_are_the_log_and_the_alerts_file(settings, caplog):
    logger = logging.getLogger("alerts-test")
    notifiers = notifiers_from_env(settings, logger, env={})
    assert [n.name for n in notifiers] == ["log", "file"]
    with caplog.at_level(logging.WARNING, logger="alerts-test"):
        assert deliver(ALERT, notifiers, logger) == []
    assert ALERT.headline in caplog.text
    [line] = alerts_file(settings).read_text().splitlines()
    assert json.loads(line)["runbook"] == FRESHNESS and json.loads(line)["level"] == "FAIL"


def test_slack_webhook_receives_the_alert(settings):
    with slack_webhook() as (url, posts):
        notifiers = notifiers_from_env(settings, logging.getLogger("t"), env={"INVENTORY_ALERT_SLACK_WEBHOOK": url})
        assert [n.name for n in notifiers] == ["log", "file", "slack"]
        deliver(ALERT, notifiers, logging.getLogger("t"))
    [post] = posts
    assert post["text"].startswith(":red_circle: [FAIL] freshness gold/gold_inventory_value_monthly")
    assert f"Runbook: {FRESHNESS}" in post["text"]


def test_email_is_sent_through_smtp(settings):
    with smtp_server() as (port, messages):
        env = {"INVENTORY_ALERT_SMTP_HOST": "127.0.0.1", "INVENTORY_ALERT_SMTP_PORT": str(port),
               "INVENTORY_ALERT_SMTP_STARTTLS": "false", "INVENTORY_ALERT_EMAIL_TO": "oncall@example.com, lead@example.com"}
        notifier = email_notifier_from_env(env)
        assert isinstance(notifier, EmailNotifier) and notifier.recipients == ["oncall@example.com", "lead@example.com"]
        deliver(ALERT, [notifier], logging.getLogger("t"))
    [raw] = messages
    message = email.message_from_string(raw, policy=email.policy.default)
    assert message["Subject"] == f"[inventory-platform] {ALERT.headline}"
    assert message["To"] == "oncall@example.com, lead@example.com"
    assert f"Runbook: {FRESHNESS}" in message.get_content()


def test_a_failing_channel_does_not_stop_the_others(settings, caplog, tmp_path):
    logger = logging.getLogger("alerts-test")
    with slack_webhook(status=500) as (url, posts):
        notifiers = [SlackNotifier(url), EmailNotifier("127.0.0.1", free_port(), "a@b", ["c@d"], starttls=False,
                                                       timeout_seconds=2), AlertFileNotifier(tmp_path / "a.jsonl")]
        with caplog.at_level(logging.ERROR, logger="alerts-test"):
            failed = deliver(ALERT, notifiers, logger)
    assert failed == ["slack", "email"] and len(posts) == 1
    assert len((tmp_path / "a.jsonl").read_text().splitlines()) == 1
    assert "slack notifier failed" in caplog.text and "email notifier failed" in caplog.text


def test_misconfigured_email_is_reported_and_skipped(settings, caplog):
    logger = logging.getLogger("alerts-test")
    with caplog.at_level(logging.ERROR, logger="alerts-test"):
        notifiers = notifiers_from_env(settings, logger, env={"INVENTORY_ALERT_SMTP_HOST": "smtp.example.com"})
    assert [n.name for n in notifiers] == ["log", "file"]
    assert "INVENTORY_ALERT_EMAIL_TO" in caplog.text
    with pytest.raises(ValueError, match="INVENTORY_ALERT_SMTP_PORT"):
        email_notifier_from_env({"INVENTORY_ALERT_SMTP_HOST": "h", "INVENTORY_ALERT_EMAIL_TO": "x@y",
                                 "INVENTORY_ALERT_SMTP_PORT": "smtp"})
    with pytest.raises(ValueError, match="INVENTORY_ALERT_SMTP_STARTTLS"):
        email_notifier_from_env({"INVENTORY_ALERT_SMTP_HOST": "h", "INVENTORY_ALERT_EMAIL_TO": "x@y",
                                 "INVENTORY_ALERT_SMTP_STARTTLS": "maybe"})


def test_recoveries_are_logged_at_info(caplog):
    logger = logging.getLogger("alerts-test")
    recovered = Alert(**{**ALERT.__dict__, "level": Level.PASS, "state": "PASS", "previous_state": "FAIL"})
    with caplog.at_level(logging.INFO, logger="alerts-test"):
        LogNotifier(logger).notify(recovered)
    assert caplog.records[-1].levelno == logging.INFO and "[RECOVERED]" in caplog.text
