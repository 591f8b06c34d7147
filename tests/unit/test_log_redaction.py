"""Log lines never hold query values, check-in codes, kiosk links, card codes or phones."""

from __future__ import annotations

import io
import logging

import pytest

from volunteer_app.log_redaction import RedactingFilter, redact

CARD = "2cR5tYb8Qw1nX0zKp3.Vd4sF7hJk2Lq9w"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '"GET /me/sign-in?phone=13812341234&pin=2580&next=/me HTTP/1.1" 200',
            '"GET /me/sign-in?phone=…&pin=…&next=… HTTP/1.1" 200',
        ),
        ('"GET /c/2sq3TzV9kLm0aB7xYc.Jh3kP0oQ5aVn8c HTTP/1.1"', '"GET /c/… HTTP/1.1"'),
        ('"GET /k/Ab12Cd34Ef56Gh78.Xy/live.json HTTP/1.1"', '"GET /k/…/live.json HTTP/1.1"'),
        ('"GET /v/k12.abcdef HTTP/1.1"', '"GET /v/… HTTP/1.1"'),
        ('"https://zyz.example.cn/c/tok?x=1"', '"https://zyz.example.cn/c/…?x=…"'),
        (f"card {CARD} refused", "card … refused"),
        ("/manage/volunteers/13812341234/x", "/manage/volunteers/138****1234/x"),
        ("id 123456789012 and 1381234123", "id 123456789012 and 1381234123"),
        (
            '"GET /activities/12/edit HTTP/1.1" 200 512',
            '"GET /activities/12/edit HTTP/1.1" 200 512',
        ),
        ('"GET /a/3f2a1b9c/css/app.css HTTP/1.1"', '"GET /a/3f2a1b9c/css/app.css HTTP/1.1"'),
    ],
)
def test_redact(line, expected):
    assert redact(line) == expected


def test_the_filter_rewrites_the_formatted_message():
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, "%(r)s %(s)s", None, None
    )
    record.args = {"r": "GET /c/secret-token?phone=13812341234 HTTP/1.1", "s": "200"}
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "GET /c/…?phone=… HTTP/1.1 200"


def test_the_filter_redacts_a_traceback_and_the_app_logger_has_it(app):
    """An unhandled error's traceback quoting a phone number or a code is redacted too."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    app.logger.addHandler(handler)
    try:
        try:
            raise ValueError("bad phone 13812341234 in /c/secret-token")
        except ValueError:
            app.logger.exception("unhandled error")
    finally:
        app.logger.removeHandler(handler)
    text = stream.getvalue()
    assert "Traceback" in text and "ValueError: bad phone 138****1234 in /c/…" in text
    assert "13812341234" not in text and "secret-token" not in text
