"""Catalog upkeep: ``python -m volunteer_app.i18n_catalog check|fill-en``.

Message ids are English, so the English catalog starts as a copy of them (``fill-en``
copies only empty entries; edited wording stays). ``check`` lists every message that
lacks a translation in any catalog; the test suite runs it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LOCALES = ("zh", "en")


def _po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def _read(locale: str):
    with open(_po_path(locale), "rb") as handle:
        return read_po(handle, locale=locale)


def missing(locale: str) -> list[str]:
    """Message ids of ``locale`` with no (or a fuzzy) translation."""
    catalog = _read(locale)
    gaps = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            gaps.append(message.id if isinstance(message.id, str) else message.id[0])
    return gaps


def fill_english() -> int:
    """Copy msgid to msgstr for empty English entries; return how many were filled."""
    catalog = _read("en")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string):
                message.string = tuple(
                    message.id[0] if i == 0 else message.id[1] for i in range(len(message.string))
                )
                filled += 1
        elif not message.string or message.fuzzy:
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with open(_po_path("en"), "wb") as handle:
        write_po(handle, catalog, width=100)
    return filled


def main(argv: list[str]) -> int:
    """Command-line entry point."""
    command = argv[1] if len(argv) > 1 else "check"
    if command == "fill-en":
        print(f"filled {fill_english()} English entries")
        return 0
    status = 0
    for locale in LOCALES:
        for message_id in missing(locale):
            print(f"{locale}: untranslated: {message_id!r}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
