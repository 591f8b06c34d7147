"""Render QR codes as inline SVG and PNG.

Renders are cached per URL (so once per token: a rotating projector code is drawn once
per step, however many screens poll it): an activity's code does not change, and drawing
one is the slowest part of an organizer's activity page. The PNG route also answers
``If-None-Match`` with 304 from ``etag()``, which is computed without drawing.
"""

from __future__ import annotations

import hashlib
import io
import re
from functools import lru_cache

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M


def _make(data: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, box_size=10)
    qr.add_data(data)
    qr.make(fit=True)
    return qr


_FIXED_SIZE = re.compile(r'\s(?:width|height)="[^"]*"')


@lru_cache(maxsize=512)
def render_svg(data: str) -> str:
    """An inline ``<svg>`` that scales with its box (viewBox kept, fixed mm size dropped).

    It is hidden from assistive technology: the element around it carries ``role="img"``
    and a translated label.
    """
    image = _make(data).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    head, sep, rest = svg.partition(">")
    head = _FIXED_SIZE.sub("", head) + ' aria-hidden="true" focusable="false"'
    return head + sep + rest


@lru_cache(maxsize=256)
def render_png(data: str, box_size: int = 10) -> bytes:
    """A PNG of the code, ``box_size`` pixels per module."""
    qr = _make(data)
    qr.box_size = box_size
    image = qr.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def etag(data: str, box_size: int = 10) -> str:
    """A validator for the PNG of ``data`` at ``box_size``: same inputs, same image."""
    digest = hashlib.sha256(f"qr.v1|{box_size}|{data}".encode()).hexdigest()
    return digest[:20]
