"""Per-device preferences: language and large text stick; links keep the page's query."""


def test_large_text_sticks_per_device(client):
    assert 'class="large-text"' not in client.get("/").get_data(as_text=True)
    html = client.get("/?text=large").get_data(as_text=True)
    assert 'class="large-text"' in html and "标准字号" in html
    assert 'class="large-text"' in client.get("/login").get_data(as_text=True)
    client.get("/?text=normal")
    assert 'class="large-text"' not in client.get("/login").get_data(as_text=True)
    assert 'class="large-text"' not in client.get("/?text=huge").get_data(as_text=True)


def test_switch_links_keep_other_query_parameters(client):
    html = client.get("/login?next=/activities").get_data(as_text=True)
    assert 'href="/login?next=%2Factivities&amp;lang=en"' in html
    assert 'href="/login?next=%2Factivities&amp;text=large"' in html
