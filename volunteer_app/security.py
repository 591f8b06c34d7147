"""Security headers on every response (HSTS in production), and input hygiene."""

from __future__ import annotations

import re

from flask import Flask, request
from flask_babel import lazy_gettext as _l

from volunteer_app.errors import DomainError

#: C0 controls other than tab, newline and carriage return, DEL, and lone surrogates:
#: never typed by a person, refused by PostgreSQL (NUL) or dangerous in exports.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class InputError(DomainError):
    """Submitted text that no person types."""

    status = 400
    messages = {
        "control_characters": _l("The input contains characters that are not allowed."),
    }


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds characters refused everywhere (see _CONTROL)."""
    return bool(_CONTROL.search(text))


def refuse_control_characters() -> None:
    """Refuse a request whose form fields, query or JSON text carry control characters.

    Done once at the edge so that every form and API body, present and future, is
    covered; such text is never a person's input.
    """
    values = [*request.args.values(), *request.form.values()]
    if request.is_json:  # parsed once: get_json caches it for the view
        values.extend(_strings(request.get_json(silent=True)))
    if any(has_control_characters(v) for v in values):
        raise InputError("control_characters")


def _strings(data) -> list[str]:
    """Every string (keys too) inside a decoded JSON value."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [*data.keys(), *(s for v in data.values() for s in _strings(v))]
    if isinstance(data, list):
        return [s for item in data for s in _strings(item)]
    return []


#: Strict CSP: everything from this origin, no inline script or style.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def hsts_enabled(app: Flask) -> bool:
    """Whether answers carry Strict-Transport-Security (config.py ``HSTS``): never in debug
    or testing (a developer's browser would then refuse the plain-HTTP app on localhost)."""
    if app.debug or app.testing:
        return False
    if app.config.get("HSTS") is not None:
        return bool(app.config["HSTS"])
    return (
        app.config.get("ENV_NAME") == "production"
        and app.config.get("PREFERRED_URL_SCHEME") == "https"
    )


def init_app(app: Flask) -> None:
    """Refuse control characters in input; add the security headers."""
    app.before_request(refuse_control_characters)
    hsts = f"max-age={app.config.get('HSTS_MAX_AGE', 31536000)}" if hsts_enabled(app) else None

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        if hsts:
            headers.setdefault("Strict-Transport-Security", hsts)
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        return response
