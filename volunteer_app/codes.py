"""Short sealed codes: a random key that names a row, and a MAC that proves the app made it.

A code is ``<payload>.<mac>``. The payload carries a random key stored on a row (an
activity's check-in or kiosk key, a volunteer's card key), never a primary key, so codes
cannot be enumerated; renewing the row's key kills every code made from the old one at
once. The MAC is HMAC-SHA256 keyed with ``SECRET_KEY`` over a purpose and the payload,
cut to ``MAC_BYTES`` and base64url-encoded, so that neither a key seen in one kind of code
(the projector's rotating code shows the check-in key) nor a copy of the database is
enough to make another kind. A code is checked here, without the database, before any
query.

Sizes: a 12-byte key is 16 characters and 96 random bits; a 10-byte MAC is 14 characters
and 80 bits, far beyond what an online guesser can try. Keys and MACs use only the
base64url alphabet (``A–Z a–z 0–9 - _``), so the dot separates the parts unambiguously.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

#: Random bytes of a key named in a QR code (16 characters).
KEY_BYTES = 12
#: Bytes of the MAC kept in a code (14 characters).
MAC_BYTES = 10
MAC_LENGTH = 14
#: Longest code looked at (anything longer is refused before any work).
MAX_CODE_LENGTH = 120


def new_key(nbytes: int = KEY_BYTES) -> str:
    """A fresh random key (base64url, no padding)."""
    return secrets.token_urlsafe(nbytes)


def _mac(secret_key: str, purpose: str, payload: str) -> str:
    digest = hmac.new(
        secret_key.encode("utf-8"), f"{purpose}\x00{payload}".encode("ascii"), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:MAC_BYTES]).rstrip(b"=").decode("ascii")


def seal(secret_key: str, purpose: str, payload: str) -> str:
    """``payload`` followed by a dot and its MAC for ``purpose``."""
    return f"{payload}.{_mac(secret_key, purpose, payload)}"


def unseal(secret_key: str, purpose: str, code: str) -> str | None:
    """The payload of a code sealed for ``purpose``, or None when it is forged or malformed."""
    if not code or len(code) > MAX_CODE_LENGTH or not code.isascii():
        return None
    payload, dot, mac = code.rpartition(".")
    if not dot or not payload or len(mac) != MAC_LENGTH:
        return None
    if not hmac.compare_digest(mac, _mac(secret_key, purpose, payload)):
        return None
    return payload
