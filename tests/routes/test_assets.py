"""Static files: content-hashed URLs cached for a year; templates use them everywhere."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_pages_link_hashed_assets_that_are_cached_for_a_year(client):
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/a/[0-9a-f]{10}/css/app\.css)"', html)
    assert css, "the stylesheet is linked under a content-hashed URL"
    response = client.get(css.group(1))
    assert response.status_code == 200 and b".button" in response.data
    cache = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache


def test_hash_follows_the_content(app):
    from volunteer_app.assets import digest

    with app.test_request_context():
        first = digest("css/app.css")
        assert re.fullmatch(r"[0-9a-f]{10}", first)
        assert digest("css/app.css") == first


def test_templates_do_not_link_unhashed_static_files():
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if "url_for('static'" in path.read_text(encoding="utf-8")
        or 'url_for("static"' in path.read_text(encoding="utf-8")
    ]
    assert offenders == [], "use asset('…') for static files: " + ", ".join(offenders)


def test_unknown_asset_is_404(client):
    assert client.get("/a/0123456789/css/nope.css").status_code == 404
    assert client.get("/a/0123456789/../../pyproject.toml").status_code == 404
