"""JSON parsing that refuses absurd bodies with a 400 instead of crashing."""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider

#: No request body needs more than a few levels; anything deeper is refused as malformed.
MAX_DEPTH = 32


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether a decoded JSON value nests lists/objects more than ``limit`` levels (iterative)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in children)
    return False


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that absurd nesting counts as malformed JSON.

    ``json.loads("[" * 5000)`` raises RecursionError, which ``request.get_json(silent=True)``
    does not catch (it only catches ValueError), and a body nested a few hundred levels
    deep overflows the recursive walks that follow (the control-character check): either
    way a 500. As a ValueError it becomes "invalid JSON" like any other malformed body.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON; RecursionError and nesting beyond MAX_DEPTH become ValueError."""
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        if too_deep(value):
            raise ValueError("JSON nested too deeply")
        return value
