"""Links the app hands out: absolute URLs printed into QR codes, and safe redirect targets."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app, url_for


def public_url(endpoint: str, **values) -> str:
    """An absolute URL for a phone to open: on PUBLIC_BASE_URL when one is configured,
    else on the host this request came to (right for ``make run`` on a LAN only if the
    organizer opened the LAN address)."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


#: Never in a path of ours: control characters (CR/LF would split the Location header),
#: the backslash (browsers read ``/\evil.example`` as another host) and Unicode line breaks.
_NOT_IN_NEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\\\u2028\u2029]")


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (for ``?next=``), else None (the caller
    then goes to its default page)."""
    if not target or len(target) > 2000 or _NOT_IN_NEXT.search(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
