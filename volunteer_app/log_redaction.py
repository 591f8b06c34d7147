"""What a log line may say about a request: never a full phone number, a PIN, a check-in
code, a kiosk link, a card code or a token.

Applied to every line gunicorn writes (access and error log, ``gunicorn_conf.RedactingLogger``)
and to the app's own logger (``create_app``), after it is formatted and with the traceback of
an exception, so that no log format, message or exception text can carry them:

- query strings keep their parameter names, never their values (``?phone=…&next=…``):
  a PIN, a number or a code in a query string is a mistake of a client, not ours to keep;
- the code after ``/c/`` (check-in), ``/k/`` (kiosk link) and ``/v/`` (certificate) becomes
  ``…``, so do sealed codes anywhere (``<key>.<mac>``: cards, check-in codes);
- any run of exactly 11 digits (a mobile number) is masked as ``138****1234``.
"""

from __future__ import annotations

import logging
import re

HIDDEN = "…"

_QUERY = re.compile(r"\?([^\s\"']*)")
_PATH_CODE = re.compile(r"/([ckv])/[^/\s?\"']+")
#: ``<payload>.<mac>`` of volunteer_app.codes (a 14-character MAC) and itsdangerous codes.
_SEALED = re.compile(r"[A-Za-z0-9_-]{12,}\.[A-Za-z0-9_-]{14,}(?![A-Za-z0-9_-])")
_PHONE = re.compile(r"(?<![0-9])([0-9]{3})[0-9]{4}([0-9]{4})(?![0-9])")


def _names_only(match: re.Match) -> str:
    names = [part.split("=", 1)[0][:40] for part in match.group(1).split("&") if part]
    return "?" + "&".join(f"{name}={HIDDEN}" for name in names)


def redact(line: str) -> str:
    """``line`` without query values, path codes, sealed codes and full phone numbers."""
    line = _QUERY.sub(_names_only, line)
    line = _PATH_CODE.sub(lambda m: f"/{m.group(1)}/{HIDDEN}", line)
    line = _SEALED.sub(HIDDEN, line)
    return _PHONE.sub(r"\1****\2", line)


_FORMATTER = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Rewrites each record's message, traceback and stack through ``redact`` (it never
    drops a record).

    An exception's text (a ``ValueError`` quoting what a client sent, say) is formatted here
    and kept in ``exc_text``, which every ``logging.Formatter`` prints instead of formatting
    the exception again.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Format the message once, redact it and keep it without arguments."""
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact(record.exc_text or _FORMATTER.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install(logger: logging.Logger) -> None:
    """Put a ``RedactingFilter`` on ``logger`` once."""
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
