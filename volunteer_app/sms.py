"""Text messages to volunteers' phones: the gateway interface and its backends.

``SMS_BACKEND`` chooses the backend: "" (the default) means none, and the app offers no
SMS at all; "log" is the development backend, which writes each message to the log with
the number masked and keeps it in an outbox (tests read it). A real gateway is one more
class with a ``send`` method, named in ``BACKENDS``; its settings come from the config.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from flask import Flask, current_app

from volunteer_app.formatting import mask_phone

log = logging.getLogger(__name__)


class SmsGateway(Protocol):
    """Something that delivers one text message to one mainland mobile number."""

    def send(self, phone: str, text: str) -> None:
        """Deliver ``text`` to ``phone`` (11 digits); raise on a delivery failure."""


@dataclass(frozen=True)
class SmsMessage:
    """One message as the development backend kept it."""

    phone: str
    text: str


class LoggingGateway:
    """Development backend: logs each message (number masked) and keeps it in ``outbox``.

    The log line holds the text, one-time code included, so a developer can use it: never
    the backend of a server real volunteers use.
    """

    def __init__(self, app: Flask | None = None) -> None:
        self.outbox: list[SmsMessage] = []

    def send(self, phone: str, text: str) -> None:
        """Log the message with the number masked and keep it in the outbox."""
        self.outbox.append(SmsMessage(phone, text))
        log.info("SMS to %s: %s", mask_phone(phone), text)


#: ``SMS_BACKEND`` value → backend class (constructed once per app with the app).
BACKENDS: dict[str, type] = {"log": LoggingGateway}


def gateway() -> SmsGateway | None:
    """The app's SMS backend, or None when the district configured none."""
    name = current_app.config.get("SMS_BACKEND") or ""
    if not name:
        return None
    gateways = current_app.extensions.setdefault("sms_gateways", {})
    if name not in gateways:
        gateways[name] = BACKENDS[name](current_app)
    return gateways[name]
