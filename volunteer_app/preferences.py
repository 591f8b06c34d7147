"""A person's display choices, kept per device in cookies: language and text size."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, current_app, g, request

#: Text sizes a person can choose (``?text=large``); kept per device like the language.
TEXT_SIZES = ("normal", "large")
TEXT_COOKIE_NAME = "text"


def text_size() -> str:
    """The text size for this request: ``?text=``, then the cookie, then normal."""
    wanted = request.args.get("text")
    if wanted in TEXT_SIZES:
        g.set_text_cookie = wanted
        return wanted
    cookie = request.cookies.get(TEXT_COOKIE_NAME)
    return cookie if cookie in TEXT_SIZES else "normal"


def remember_choices(response):
    """Keep a language or text size chosen in the URL for this device (one year)."""
    for name, value in (
        (current_app.config["LANG_COOKIE_NAME"], g.pop("set_lang_cookie", None)),
        (TEXT_COOKIE_NAME, g.pop("set_text_cookie", None)),
    ):
        if value:
            response.set_cookie(
                name,
                value,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                httponly=True,
                secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
            )
    return response


def with_query(**changes: str) -> str:
    """This page's URL with some query parameters changed, the others kept."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        args[key] = [value]
    return request.path + "?" + urlencode(args, doseq=True)


def init_app(app: Flask) -> None:
    """Keep choices made in the URL; offer the helpers to templates."""
    app.after_request(remember_choices)

    @app.context_processor
    def inject_preferences():
        return {"text_size": text_size, "with_query": with_query}
