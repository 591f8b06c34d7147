"""Static files under content-hashed URLs, cached for a year; no build step.

Templates call ``asset("css/app.css")`` → ``/a/3f9c2b1e7d/css/app.css``. The hash changes
whenever the file does, so browsers keep each version forever (``immutable``) and a repeat
visit fetches only the HTML. Stylesheets, scripts and SVG go gzip-compressed to a browser that
accepts it (compressed once per version of the file, kept in memory: the static folder is under
100 KB), so a first visit on a slow link carries about a third of the bytes without a proxy's
help. Pages themselves are not compressed here: they carry CSRF tokens and a volunteer's own
data, which compression beside reflected input would expose to a length-measuring attacker
(BREACH). The plain ``/static/...`` route stays for files whose URL must
not change (the service worker, the manifest's icons).
"""

from __future__ import annotations

import gzip
import hashlib
import os

from flask import Blueprint, Flask, current_app, request, send_from_directory, url_for

bp = Blueprint("assets", __name__)
ONE_YEAR = 365 * 24 * 3600
_digests: dict[tuple[str, float], str] = {}


def digest(filename: str) -> str:
    """First 10 hex digits of the file's SHA-256 (cached per modification time)."""
    path = os.path.join(current_app.static_folder, filename)
    key = (path, os.stat(path).st_mtime)
    if key not in _digests:
        with open(path, "rb") as handle:
            _digests[key] = hashlib.sha256(handle.read()).hexdigest()[:10]
    return _digests[key]


_urls: dict[tuple[str, str, str], str] = {}


def asset(filename: str) -> str:
    """The content-hashed URL of a file under static/ (built once per version and root:
    a page links half a dozen assets and ``url_for`` showed in the check-in profile)."""
    version = digest(filename)
    key = (filename, version, request.script_root)
    url = _urls.get(key)
    if url is None:
        url = _urls[key] = url_for("assets.hashed", version=version, filename=filename)
    return url


#: What is sent compressed: text formats, never images already compressed.
COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "image/svg+xml"}
_compressed: dict[tuple[str, float], bytes] = {}


def compressed(path: str) -> bytes:
    """The file's gzip form (cached per modification time; ``mtime=0`` keeps it repeatable)."""
    key = (path, os.stat(path).st_mtime)
    if key not in _compressed:
        with open(path, "rb") as handle:
            _compressed[key] = gzip.compress(handle.read(), compresslevel=9, mtime=0)
    return _compressed[key]


@bp.get("/a/<version>/<path:filename>")
def hashed(version: str, filename: str):
    """Serve a static file for a year; any version serves the current file."""
    response = send_from_directory(current_app.static_folder, filename, max_age=ONE_YEAR)
    response.cache_control.immutable = True
    response.cache_control.public = True
    if response.mimetype in COMPRESSIBLE:
        response.vary.add("Accept-Encoding")
        if response.status_code == 200 and "gzip" in request.accept_encodings:
            path = os.path.join(current_app.static_folder, filename)
            response.close()  # the file send_from_directory opened
            response.direct_passthrough = False
            response.set_data(compressed(path))
            response.content_encoding = "gzip"
            etag, _weak = response.get_etag()
            if etag:
                response.set_etag(f"{etag}-gzip")
    return response


def init_app(app: Flask) -> None:
    """Register the route and the ``asset()`` template helper."""
    app.register_blueprint(bp)
    app.add_template_global(asset, "asset")
    app.add_template_filter(
        lambda text: hashlib.sha256(str(text).encode()).hexdigest()[:10], "hash_short"
    )
