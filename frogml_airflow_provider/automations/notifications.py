"""Notifications on success or error (SDK: ``frogml.core.automations.automations``).

The Slack webhook URL, the custom webhook URL and header values are credentials: reprs hide them.
The values of a few common headers that never carry one (``PUBLIC_HEADERS``) are not treated as
secrets by exports and log masking; every other header value is.
"""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass, field
from typing import ClassVar

from frogml_airflow_provider.automations._checks import Checker
from frogml_airflow_provider.automations.common import SpecModel

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
PUBLIC_HEADERS = frozenset({"content-type", "accept", "user-agent"})


def is_secret_header(name: str) -> bool:
    """Whether a header's value is a credential: all but ``PUBLIC_HEADERS`` (any case)."""
    return name.strip().lower() not in PUBLIC_HEADERS


class Notification(SpecModel, ABC):
    """Where to report an automation's outcome."""


@dataclass(repr=False)
class SlackNotification(Notification):
    """Posts a message to a Slack incoming webhook."""

    _secret_fields: ClassVar[tuple[str, ...]] = ("webhook",)

    webhook: str = field(default="")

    def _check(self, checker: Checker) -> None:
        checker.url("webhook", self.webhook, secret=True)


@dataclass(repr=False)
class CustomWebhook(Notification):
    """Calls an HTTP endpoint with the run's details plus ``data``."""

    _secret_fields: ClassVar[tuple[str, ...]] = ("url", "headers")

    url: str = field(default="")
    http_method: str = field(default="GET")
    headers: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)

    def _check(self, checker: Checker) -> None:
        checker.url("url", self.url, secret=True)
        checker.choice("http_method", self.http_method, HTTP_METHODS)
        checker.str_dict("headers", self.headers, secret_values=True)
        checker.str_dict("data", self.data)
