"""Where alerts go: the sensor's log and a local JSON-lines file always; Slack and email when configured.

Channels are configured by environment variables read when the alert sensor ticks (they carry
secrets, so they are not copied into Settings, which gets logged and passed around):

    INVENTORY_ALERT_SLACK_WEBHOOK   Slack incoming-webhook URL
    INVENTORY_ALERT_SMTP_HOST       SMTP server; with it INVENTORY_ALERT_EMAIL_TO (comma-separated) is required
    INVENTORY_ALERT_SMTP_PORT       default 587
    INVENTORY_ALERT_SMTP_USER / INVENTORY_ALERT_SMTP_PASSWORD   optional login
    INVENTORY_ALERT_SMTP_STARTTLS   true (default) or false
    INVENTORY_ALERT_EMAIL_FROM      default inventory-platform@localhost
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from inventory_platform.monitoring.levels import Level
from inventory_platform.settings import Settings

_MARK = {Level.PASS: "RECOVERED", Level.WARN: "WARN", Level.FAIL: "FAIL"}
_SLACK_EMOJI = {Level.PASS: ":large_green_circle:", Level.WARN: ":large_yellow_circle:", Level.FAIL: ":red_circle:"}


@dataclass(frozen=True)
class Alert:
    subject: str  # what is watched, stable across ticks: "freshness:gold/x", "check:silver/y:z", "run:job"
    kind: str  # freshness | check | run
    target: str  # the asset, asset:check or job the alert is about
    state: str  # the new state, as Dagster names it
    previous_state: str
    level: Level
    runbook: str  # repository path
    summary: str
    at: str  # ISO-8601 UTC
    assets: tuple[str, ...] = ()
    details: Mapping[str, object] = field(default_factory=dict)
    runbook_url: str = ""  # where the runbook opens (catalog/runbook_links.py runbook_url), when known

    @property
    def headline(self) -> str:
        return f"[{_MARK[self.level]}] {self.kind} {self.target}: {self.previous_state} -> {self.state}"

    def text(self) -> str:
        runbook = f"{self.runbook_url} ({self.runbook})" if self.runbook_url else self.runbook
        lines = [self.headline, self.summary, f"Runbook: {runbook}"]
        if self.assets:
            lines.append("Assets: " + ", ".join(self.assets))
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {**asdict(self), "level": self.level.value, "assets": list(self.assets), "headline": self.headline}


class Notifier(Protocol):
    name: str

    def notify(self, alert: Alert) -> None: ...


class LogNotifier:
    name = "log"

    def __init__(self, logger: logging.Logger | logging.LoggerAdapter):
        self.logger = logger

    def notify(self, alert: Alert) -> None:
        (self.logger.info if alert.level is Level.PASS else self.logger.warning)(alert.text())


class AlertFileNotifier:
    """One JSON object per line, appended: the local alert history (`tail -f` it, or grep it)."""

    name = "file"

    def __init__(self, path: Path):
        self.path = path

    def notify(self, alert: Alert) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(alert.to_json(), default=str) + "\n")


class SlackNotifier:
    name = "slack"

    def __init__(self, webhook_url: str, timeout_seconds: float = 10.0):
        self.webhook_url = webhook_url
        self.timeout_seconds = timeout_seconds

    def notify(self, alert: Alert) -> None:
        body = json.dumps({"text": f"{_SLACK_EMOJI[alert.level]} {alert.text()}"}).encode()
        request = urllib.request.Request(self.webhook_url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:  # noqa: S310 - configured URL
            if not 200 <= response.status < 300:
                raise RuntimeError(f"Slack webhook answered HTTP {response.status}")


class EmailNotifier:
    name = "email"

    def __init__(self, host: str, port: int, sender: str, recipients: Sequence[str], user: str | None = None,
                 password: str | None = None, starttls: bool = True, timeout_seconds: float = 10.0):
        self.host, self.port, self.sender, self.recipients = host, port, sender, list(recipients)
        self.user, self.password, self.starttls, self.timeout_seconds = user, password, starttls, timeout_seconds

    def notify(self, alert: Alert) -> None:
        message = EmailMessage()
        message["Subject"] = f"[inventory-platform] {alert.headline}"
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content(alert.text() + "\n\n" + json.dumps(alert.to_json(), indent=2, default=str))
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


def alerts_file(settings: Settings) -> Path:
    return settings.data_dir / "alerts" / "alerts.jsonl"


def _flag(env: Mapping[str, str], var: str, default: bool) -> bool:
    raw = env.get(var)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise ValueError(f"{var} must be true or false, got {raw!r}")


def email_notifier_from_env(env: Mapping[str, str]) -> EmailNotifier | None:
    host = env.get("INVENTORY_ALERT_SMTP_HOST")
    if not host:
        return None
    recipients = [r.strip() for r in env.get("INVENTORY_ALERT_EMAIL_TO", "").split(",") if r.strip()]
    if not recipients:
        raise ValueError("INVENTORY_ALERT_SMTP_HOST is set but INVENTORY_ALERT_EMAIL_TO (comma-separated) is empty")
    port = env.get("INVENTORY_ALERT_SMTP_PORT", "587")
    if not port.isdigit():
        raise ValueError(f"INVENTORY_ALERT_SMTP_PORT must be a port number, got {port!r}")
    return EmailNotifier(host=host, port=int(port), recipients=recipients,
                         sender=env.get("INVENTORY_ALERT_EMAIL_FROM", "inventory-platform@localhost"),
                         user=env.get("INVENTORY_ALERT_SMTP_USER") or None,
                         password=env.get("INVENTORY_ALERT_SMTP_PASSWORD") or None,
                         starttls=_flag(env, "INVENTORY_ALERT_SMTP_STARTTLS", True))


def notifiers_from_env(settings: Settings, logger, env: Mapping[str, str] | None = None) -> list[Notifier]:
    """Log and alerts file always; Slack and email when their variables are set.

    A misconfigured channel is reported in the log and skipped, so the others still deliver.
    """
    env = os.environ if env is None else env
    notifiers: list[Notifier] = [LogNotifier(logger), AlertFileNotifier(alerts_file(settings))]
    if webhook := env.get("INVENTORY_ALERT_SLACK_WEBHOOK"):
        notifiers.append(SlackNotifier(webhook))
    try:
        if email := email_notifier_from_env(env):
            notifiers.append(email)
    except ValueError as exc:
        logger.error(f"email alerts disabled: {exc}")
    return notifiers


def deliver(alert: Alert, notifiers: Sequence[Notifier], logger) -> list[str]:
    """Send to every channel; one failing channel neither stops the others nor the sensor."""
    failed = []
    for notifier in notifiers:
        try:
            notifier.notify(alert)
        except Exception as exc:  # noqa: BLE001 - a channel outage must not lose the alert elsewhere
            failed.append(notifier.name)
            logger.error(f"{notifier.name} notifier failed for {alert.subject}: {exc}")
    return failed
