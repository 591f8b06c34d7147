"""Installable app: web app manifest, service worker and the offline page."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, render_template, url_for
from flask_babel import gettext as _

from volunteer_app.assets import asset

bp = Blueprint("pwa", __name__)


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest, in the visitor's language."""
    body = {
        "name": _("Volunteer service log"),
        "short_name": _("Volunteer log"),
        "description": _("Volunteer check-in and service hours for civilization practice stations"),
        "start_url": url_for("activities.home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f5f5f7",
        "theme_color": "#b0102a",
        "icons": [
            {"src": asset("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": asset("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": asset("img/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, naming the current hashed assets (so it updates with them)."""
    shell = [url_for("pwa.offline"), asset("css/app.css"), asset("js/app.js"),
             asset("img/favicon.svg")]  # fmt: skip
    script = render_template("pwa/sw.js", shell=shell, offline=url_for("pwa.offline"))
    response = Response(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/offline")
def offline():
    """What the app shows when the phone has no network."""
    return render_template("pwa/offline.html")


def init_app(app: Flask) -> None:
    """Register the routes."""
    app.register_blueprint(bp)
