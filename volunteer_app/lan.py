"""Where phones can reach this server: the machine's LAN addresses (``flask urls``, which
``make run`` prints) and whether a QR code's host is one a phone cannot open.

A QR code is drawn for the host the organizer's browser used (``links.public_url``) unless
PUBLIC_BASE_URL is set: opened as 127.0.0.1 or localhost, every poster would point at the
phone itself. ``unreachable_host`` says so (pure), ``qr_host_warning`` gives the pages the
warning and the LAN address to open instead.
"""

from __future__ import annotations

import ipaddress
import socket
import subprocess
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Names a phone on the network cannot resolve to this machine.
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback (for phones on the same network)."""
    found: set[str] = set()
    try:
        output = subprocess.run(
            ["hostname", "-I"], capture_output=True, text=True, timeout=2, check=False
        ).stdout
        found.update(a for a in output.split() if "." in a)
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    except OSError:
        pass
    return sorted(a for a in found if not a.startswith("127."))


def unreachable_host(host: str) -> bool:
    """Whether a phone cannot open a URL on ``host`` (a host name or address, no port).

    Loopback and unspecified addresses (127.x, ::1, 0.0.0.0), link-local ones (169.254.x,
    fe80::), ``localhost`` and its kind, and names without a dot or ending in ``.local``:
    a single-label name resolves only on this machine's network setup, and ``.local``
    (mDNS) is not resolved by most Android phones.
    """
    name = (host or "").strip().strip("[]").rstrip(".").lower()
    if not name:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return (
            name in _LOCAL_NAMES
            or name.endswith(".localhost")
            or name.endswith(".local")
            or "." not in name
        )
    return address.is_loopback or address.is_unspecified or address.is_link_local


@dataclass(frozen=True)
class HostWarning:
    """A QR code's host that phones cannot open, and where the page could be opened instead."""

    host: str
    #: The same page on each LAN address of this machine (may be empty).
    alternatives: list[str]


def host_warning(
    qr_url: str, page_url: str, addresses: list[str] | None = None
) -> HostWarning | None:
    """The warning for a page whose QR code points at ``qr_url``, if phones cannot open it;
    ``page_url`` is the page itself, offered again on each LAN address (``addresses``,
    default: this machine's)."""
    parts = urlsplit(qr_url)
    if not unreachable_host(parts.hostname or ""):
        return None
    page = urlsplit(page_url)
    port = f":{page.port}" if page.port else ""
    path = page.path + (f"?{page.query}" if page.query else "")
    found = lan_addresses() if addresses is None else addresses
    return HostWarning(
        parts.hostname or "",
        [f"{page.scheme}://{address}{port}{path}" for address in found],
    )
