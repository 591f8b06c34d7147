"""Domain errors with stable codes, and the HTTP error handlers."""

from __future__ import annotations

from typing import ClassVar

from flask import Flask, jsonify, render_template, request
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A business rule said no. ``code`` is stable (tests, API); ``message`` is translated.

    Subclasses list their codes in ``messages``; ``status`` is the HTTP status the edge uses.
    """

    messages: ClassVar[dict[str, LazyString]] = {}
    #: Plain headings for the error page by code (else the HTTP status's title, "请求有误"…).
    titles: ClassVar[dict[str, LazyString]] = {}
    status: ClassVar[int] = 400
    #: Extra fields of the API's error object (``{"error": {"code", "message", ...}}``).
    details: dict | None = None
    #: Every problem of the same form found together with this one, by form field (this
    #: error among them), so that a page can show them all at once beside their fields.
    problems: dict[str, DomainError] | None = None

    def __init__(self, code: str, status: int | None = None) -> None:
        if code not in self.messages:
            raise ValueError(f"unknown {type(self).__name__} code: {code}")
        super().__init__(code)
        self.code = code
        if status is not None:
            self.status = status

    @property
    def message(self) -> str:
        """The message for this code in the current request's language."""
        return str(self.messages[self.code])

    @property
    def title(self) -> str | None:
        """A plain heading for this code's error page, or None for the status's own."""
        title = self.titles.get(self.code)
        return str(title) if title is not None else None


#: Titles and explanations for the HTTP errors a person may meet.
HTTP_MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please try again.")),
    403: (_l("Not allowed"), _l("You are not allowed to do this.")),
    404: (_l("Not found"), _l("This page does not exist, or you may not see it.")),
    405: (_l("Not allowed"), _l("This action is not available here.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (_l("Too many attempts"), _l("Too many attempts. Please wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("Something went wrong on our side. Please try again.")),
}


def _wants_json() -> bool:
    """API callers get JSON errors; people get pages."""
    return request.path.startswith("/api/")


def render_error(
    status: int,
    message: str | None = None,
    code: str | None = None,
    details: dict | None = None,
    title: str | None = None,
):
    """Render an error as a page or as ``{"error": {"code", "message"}}`` under /api."""
    status_title, default_message = HTTP_MESSAGES.get(status, HTTP_MESSAGES[400])
    title = title or status_title
    text = message or str(default_message)
    if _wants_json():
        body = {"error": {**(details or {}), "code": code or f"http_{status}", "message": text}}
        return jsonify(body), status
    return render_template("errors/error.html", title=title, message=text, status=status), status


def register_error_handlers(app: Flask) -> None:
    """Turn domain errors, CSRF failures and HTTP errors into friendly 4xx/5xx answers."""

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        return render_error(error.status, error.message, error.code, error.details, error.title)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        message = _l("This form has expired. Please reload the page and try again.")
        return render_error(400, str(message), "csrf", title=str(_l("This page has expired")))

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if error.response is not None:  # an answer made for it (e.g. a rate limit's page)
            return error.response
        body, status = render_error(error.code or 500)
        response = app.make_response((body, status))
        # The error's own headers stay: a 405's Allow (RFC 9110), a 429's Retry-After …
        for name, value in error.get_headers():
            if name.lower() not in ("content-type", "content-length"):
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        app.logger.exception("unhandled error")
        from volunteer_app.extensions import db

        db.session.rollback()  # a failed flush leaves the session unusable for the error page
        return render_error(500)
