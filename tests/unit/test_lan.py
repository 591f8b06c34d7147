"""Which QR code hosts phones cannot open, and the LAN address offered instead (pure)."""

import pytest

from volunteer_app.lan import host_warning, unreachable_host


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST.", "app.localhost",
     "0.0.0.0", "169.254.10.2", "fe80::1", "raspberrypi", "laptop.local", ""],
)  # fmt: skip
def test_hosts_phones_cannot_open(host):
    assert unreachable_host(host)


@pytest.mark.parametrize(
    "host", ["192.168.1.20", "10.0.0.5", "volunteer.example.cn", "2001:db8::1", "172.16.0.9"]
)
def test_hosts_phones_can_open(host):
    assert not unreachable_host(host)


def test_the_warning_offers_the_same_page_on_each_lan_address():
    warning = host_warning(
        "http://127.0.0.1:5000/c/2sabc.def",
        "http://127.0.0.1:5000/activities/3/poster?x=1",
        ["192.168.1.20", "10.0.0.5"],
    )
    assert warning.host == "127.0.0.1"
    assert warning.alternatives == [
        "http://192.168.1.20:5000/activities/3/poster?x=1",
        "http://10.0.0.5:5000/activities/3/poster?x=1",
    ]
    assert (
        host_warning("http://localhost/c/x", "http://localhost/activities/3", []).alternatives == []
    )
    assert host_warning("http://192.168.1.20:5000/c/x", "http://192.168.1.20:5000/a", []) is None
