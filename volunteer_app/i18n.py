"""Locale selection (query, cookie, Accept-Language) and time-zone helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import format_date, format_decimal, format_time, get_locale


def select_locale() -> str:
    """Choose the UI language: ``?lang=``, then the cookie, then Accept-Language, then Chinese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and background work use the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    wanted = request.args.get("lang")
    if wanted in languages:
        g.set_lang_cookie = wanted
        return wanted
    cookie = request.cookies.get(current_app.config["LANG_COOKIE_NAME"])
    if cookie in languages:
        return cookie
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def remember_language(response):
    """Keep a language chosen with ``?lang=`` for this device (one year)."""
    lang = g.pop("set_lang_cookie", None)
    if lang:
        response.set_cookie(
            current_app.config["LANG_COOKIE_NAME"],
            lang,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


def local_zone() -> ZoneInfo:
    """The time zone times are shown and entered in (Asia/Shanghai by default)."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_to_utc(naive_local: datetime) -> datetime:
    """Interpret a naive wall-clock time (from a form) in the local zone; return aware UTC."""
    return naive_local.replace(tzinfo=local_zone()).astimezone(UTC)


def utc_to_local(moment: datetime) -> datetime:
    """An aware UTC datetime in the local zone."""
    return moment.astimezone(local_zone())


def html_lang() -> str:
    """The value for ``<html lang>``."""
    return "en" if str(get_locale()).startswith("en") else "zh-CN"


def init_app(app: Flask) -> None:
    """Register the cookie hook and template helpers."""
    app.after_request(remember_language)

    app.add_template_filter(format_hours, "hours")
    app.add_template_global(format_span, "timespan")

    @app.context_processor
    def inject_i18n():
        return {"html_lang": html_lang, "current_locale": lambda: str(get_locale())}


def format_span(starts_at: datetime, ends_at: datetime) -> str:
    """An activity's time as one phrase in the local zone, e.g. "2021年3月5日 08:30–11:30"."""
    start, end = utc_to_local(starts_at), utc_to_local(ends_at)
    text = f"{format_date(start, 'medium')} {format_time(start, 'HH:mm')}–"
    if start.date() == end.date():
        return text + format_time(end, "HH:mm")
    return text + f"{format_date(end, 'medium')} {format_time(end, 'HH:mm')}"


def format_hours(minutes: int) -> str:
    """Minutes as localized hours with one decimal, e.g. 150 → "2.5"."""
    return format_decimal(minutes / 60, format="0.#")
