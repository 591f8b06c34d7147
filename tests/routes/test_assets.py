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


def _stylesheet_url(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return re.search(r'href="(/a/[0-9a-f]{10}/css/app\.css)"', html).group(1)


def test_text_assets_go_gzip_compressed_to_a_browser_that_accepts_it(client):
    import gzip

    url = _stylesheet_url(client)
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert (
        "Accept-Encoding" in packed.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]
    )
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) * 3 < len(plain.data), "a stylesheet shrinks to under a third"
    assert packed.headers["ETag"] != plain.headers["ETag"], "each encoding has its own tag"
    assert int(packed.headers["Content-Length"]) == len(packed.data)


def test_pages_and_images_are_not_compressed(client):
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in page.headers, "pages carry CSRF tokens (BREACH)"
    html = page.get_data(as_text=True)
    png = re.search(r'href="(/a/[0-9a-f]{10}/img/[^"]+\.png)"', html)
    assert png, "the touch icon is linked"
    icon = client.get(png.group(1), headers={"Accept-Encoding": "gzip"})
    assert icon.status_code == 200 and "Content-Encoding" not in icon.headers


def test_a_range_request_is_answered_uncompressed(client):
    url = _stylesheet_url(client)
    part = client.get(url, headers={"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    assert part.status_code == 206 and len(part.data) == 10
    assert "Content-Encoding" not in part.headers
