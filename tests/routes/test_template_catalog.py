"""Templates translate from the request's catalog, looked up once per request (i18n.py)."""

from flask import render_template_string

SOURCE = (
    "{{ _('Check in') }}|{{ ngettext('%(num)d checked in', '%(num)d checked in', 3) }}"
    "|{{ _('Hello, %(name)s', name='<b>') }}"
)


def render_in(app, *args, **kwargs) -> str:
    """Render SOURCE in a request of its own (own app context and ``g``, as in production)."""
    with app.app_context(), app.test_request_context(*args, **kwargs):
        return render_template_string(SOURCE)


def test_templates_translate_in_each_requests_own_language(app):
    assert render_in(app, "/?lang=en") == "Check in|3 checked in|Hello, &lt;b&gt;"
    zh = render_in(app, "/", headers={"Accept-Language": "zh-CN"})
    assert zh == "签到|已签到 3 人|您好，&lt;b&gt;"
    # The kept catalog belongs to one request: the next English request is English again.
    assert render_in(app, "/", headers={"Accept-Language": "en"}).startswith("Check in|")


def test_pages_in_a_row_each_get_their_language(client):
    assert "Find activities" in client.get("/?lang=en").get_data(as_text=True)
    client.delete_cookie("lang")
    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Find activities" not in page
    assert 'lang="zh-CN"' in page
