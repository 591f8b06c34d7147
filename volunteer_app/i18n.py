"""The UI language: locale selection (query, cookie, Accept-Language) and the per-request
message catalogs that templates and forms translate from."""

from __future__ import annotations

from functools import lru_cache

from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale, get_translations


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


def html_lang() -> str:
    """The value for ``<html lang>``."""
    return "en" if locale_name().startswith("en") else "zh-CN"


def locale_name() -> str:
    """This request's locale as text (e.g. "zh_Hans_CN"), found once per request."""
    return _request_catalog()[0]


def _request_catalog() -> tuple[str, Translations | NullTranslations]:
    """This request's locale name and message catalog, looked up once and kept on ``g``.

    Flask-Babel's own lookup walks several context proxies and formats the locale each time
    it is asked; a page asks for every message in its layout, so that lookup was a tenth of
    a rendered check-in page (docs/benchmarks.md). Its answer cannot change within a request
    (Flask-Babel itself keeps the locale for the request once chosen; this app never calls
    ``flask_babel.refresh``). Outside a request context, nothing is kept.
    """
    if not has_request_context():
        return str(get_locale()), get_translations()
    kept = g.get("_catalog")
    if kept is None:
        kept = g._catalog = (str(get_locale()), get_translations())
    return kept


def _template_gettext(string: str) -> str:
    return _request_catalog()[1].ugettext(string)


def _template_ngettext(singular: str, plural: str, n: int) -> str:
    return _request_catalog()[1].ungettext(singular, plural, n)


def _template_pgettext(context: str, string: str) -> str:
    return _request_catalog()[1].upgettext(context, string)


def _template_npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return _request_catalog()[1].unpgettext(context, singular, plural, n)


@lru_cache(maxsize=8)
def _wtforms_catalog(locale: str):
    """WTForms' own messages (e.g. "Not a valid choice") for a locale, parsed once."""
    from babel import support
    from wtforms.i18n import messages_path

    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _WtformsTranslations:
    """WTForms' messages in the request's locale, from the per-process cache.

    Flask-WTF would otherwise read and parse the catalog file from disk in every request
    that builds a form: a sixth of a check-in's time in the profile (docs/benchmarks.md).
    """

    def ugettext(self, string: str) -> str:
        """Translate one message."""
        return _wtforms_catalog(locale_name()).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        """Translate one message with a number."""
        return _wtforms_catalog(locale_name()).ungettext(singular, plural, n)


_WTFORMS_TRANSLATIONS = _WtformsTranslations()


def _share_wtforms_translations() -> None:
    """Hand Flask-WTF the cached catalogs (it looks for them on the request first)."""
    request.wtforms_translations = _WTFORMS_TRANSLATIONS


def init_app(app: Flask) -> None:
    """Install the per-request catalogs for templates and forms."""
    app.before_request(_share_wtforms_translations)

    # Flask-Babel installed its gettext for templates; these give the same answers from
    # the per-request catalog (same newstyle formatting and autoescaping).
    app.jinja_env.install_gettext_callables(
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        newstyle=True,
        pgettext=_template_pgettext,
        npgettext=_template_npgettext,
    )

    @app.context_processor
    def inject_i18n():
        return {
            "html_lang": html_lang,
            "current_locale": locale_name,
        }
