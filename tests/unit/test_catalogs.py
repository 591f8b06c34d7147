"""Every message has a Simplified Chinese and an English translation."""

import subprocess
import sys
from pathlib import Path

from volunteer_app import i18n_catalog

ROOT = Path(__file__).resolve().parents[2]


def test_catalogs_are_up_to_date_and_complete(tmp_path):
    """Extract messages afresh: each must be in both catalogs, translated, not fuzzy."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    from babel.messages.pofile import read_po

    with open(pot, "rb") as handle:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    for locale in i18n_catalog.LOCALES:
        path = i18n_catalog.TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        with open(path, "rb") as handle:
            known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
        assert not extracted - known, f"{locale}: run `make i18n-update` and translate"
        assert i18n_catalog.missing(locale) == [], f"{locale}: untranslated messages"
