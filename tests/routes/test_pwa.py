"""Installable app: manifest, service worker, offline page."""


def test_manifest_is_installable_and_localized(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    body = response.json
    assert body["name"] == "志愿服务记录" and body["display"] == "standalone"
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200
    assert client.get("/manifest.webmanifest?lang=en").json["name"] == "Volunteer service log"


def test_service_worker_names_the_current_shell(client):
    response = client.get("/sw.js")
    script = response.get_data(as_text=True)
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    html = client.get("/").get_data(as_text=True)
    css = html.split('rel="stylesheet" href="')[1].split('"')[0]
    assert css in script and '"/offline"' in script


def test_offline_page(client):
    html = client.get("/offline").get_data(as_text=True)
    assert "没有网络" in html or "网络" in html
