"""Volunteer activity logging for New Era Civilization Practice centres and stations."""

from __future__ import annotations

import importlib
import os
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from volunteer_app import config as config_module
from volunteer_app import log_redaction
from volunteer_app.extensions import babel, csrf, db, limiter, login_manager, migrate
from volunteer_app.params import IdConverter


def create_app(config: dict[str, Any] | type | None = None) -> Flask:
    """Build the app: config → extensions → blueprints → errors → CLI."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    configure(app, config)
    log_redaction.install(app.logger)  # tracebacks of unhandled errors included
    app.url_map.converters["int"] = IdConverter  # ids within the database's range
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_shellcontext(app)
    return app


def configure(app: Flask, config: dict[str, Any] | type | None) -> None:
    """Load the config class for APP_ENV, apply overrides and fill in local defaults."""
    env = os.environ.get("APP_ENV") or os.environ.get("FLASK_ENV") or "development"
    base = {
        "production": config_module.ProductionConfig,
        "testing": config_module.TestConfig,
    }.get(env, config_module.DevelopmentConfig)
    if isinstance(config, type):
        base, config = config, None
    app.config.from_object(base)
    if config:
        app.config.update(config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        path = os.path.join(app.instance_path, "volunteer.sqlite3")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    # no bound values in error messages and logs, whatever the options given (config.py)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "hide_parameters": True}
    uri = config_module.normalize_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config_module.postgresql_engine_options(
            app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        )
    secret = app.config.get("SECRET_KEY")
    if app.config["ENV_NAME"] == "production":
        if not secret or secret == config_module.DEV_SECRET_PLACEHOLDER or len(secret) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
    elif not secret:
        app.config["SECRET_KEY"] = config_module.instance_secret_key(app.instance_path)
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def register_extensions(app: Flask) -> None:
    """Bind the extensions created in extensions.py."""
    from volunteer_app import formatting, i18n, preferences, transactions

    db.init_app(app)
    transactions.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(__file__), "migrations"),
        render_as_batch=True,
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories="translations",
    )
    limiter.init_app(app)
    i18n.init_app(app)
    preferences.init_app(app)
    formatting.init_app(app)
    from volunteer_app.security import init_app as init_security

    init_security(app)
    from volunteer_app.assets import init_app as init_assets

    init_assets(app)
    from volunteer_app.pwa import init_app as init_pwa

    init_pwa(app)
    from volunteer_app.jobs.queue import init_app as init_queue

    init_queue(app)


#: The areas, each a blueprint ``bp`` whose views live in the modules its ``VIEWS`` names.
AREAS = (
    "activities",
    "api",
    "auth",
    "checkins",
    "health",
    "jobs",
    "needs",
    "reports",
    "stations",
    "teams",
    "volunteers",
)

#: Further blueprints of an area, as "module:name", each with its views in its own module.
BLUEPRINTS = (
    "teams.lead:lead_bp",
    "teams.join:join_bp",
    "teams.mine:mine_bp",
    "needs.lead:needs_lead_bp",
)


def register_blueprints(app: Flask) -> None:
    """Import each area's views and register its blueprint, then the further ones."""
    import volunteer_app.models  # noqa: F401  (every table mapped before the first query)

    for name in AREAS:
        area = importlib.import_module(f"volunteer_app.{name}")
        for module in area.VIEWS:
            importlib.import_module(f"volunteer_app.{name}.{module}")
        app.register_blueprint(area.bp)
        if hasattr(area, "console_bp"):
            app.register_blueprint(area.console_bp)
    for spec in BLUEPRINTS:
        module, name = spec.split(":")
        app.register_blueprint(getattr(importlib.import_module(f"volunteer_app.{module}"), name))


def register_errorhandlers(app: Flask) -> None:
    """Friendly error pages, JSON under /api."""
    from volunteer_app.errors import register_error_handlers

    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    """The ``flask`` CLI commands."""
    from volunteer_app.cli import register_commands as register

    register(app)


def register_shellcontext(app: Flask) -> None:
    """``flask shell`` starts with db and the models imported."""

    def shell_context() -> dict[str, Any]:
        from volunteer_app import models

        return {"db": db, **{name: getattr(models, name) for name in models.__all__}}

    app.shell_context_processor(shell_context)
