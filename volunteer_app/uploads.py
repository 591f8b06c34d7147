"""Uploaded spreadsheets: reading a .xlsx or .csv file, and keeping a checked upload on
the server until the organizer confirms it.

Each import (volunteers, the unit tree) checks its own rows and keeps its own payload;
what is the same for every import lives here, below the areas. An error is raised as the
caller's ``error`` class (a ``DomainError`` with the codes "unreadable", "empty",
"too_large" and "expired"), so each import answers with its own messages.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import secrets
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from volunteer_app.errors import DomainError

#: A .xlsx whose parts unpack to more than this is refused before it is read (a zip bomb).
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
#: How long an upload waits for its confirmation.
PENDING_TTL = timedelta(hours=1)


class UploadError(DomainError):
    """An uploaded file could not be read, or its checked upload is gone."""

    status = 400
    messages = {
        "unreadable": _l(
            "The file could not be read. Please upload the .xlsx template or a .csv file."
        ),
        "empty": _l("The file has no rows."),
        "too_large": _l("The file is too large."),
        "expired": _l(
            "This import has expired or has been done already. Please upload the file again."
        ),
    }


def file_hash(data: bytes) -> str:
    """The SHA-256 of the uploaded bytes (hex)."""
    return hashlib.sha256(data).hexdigest()


def read_table(
    data: bytes, filename: str = "", *, error: type[DomainError] = UploadError
) -> Iterator[tuple[int, list]]:
    """Stream the first sheet's rows as (row number, cell values), header row included.

    A .xlsx is recognised by its content (a zip), anything else is read as CSV: UTF-8
    with or without BOM, else GB18030 (what Excel saves in Chinese Windows). Raises
    ``error`` "unreadable", "empty" or "too_large" for what cannot be read; iterating may
    raise "unreadable" too, for a file that breaks halfway.
    """
    if not data:
        raise error("empty")
    if data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data, error)
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise error("unreadable")
    return _csv_rows(data, error)


def _xlsx_rows(data: bytes, error: type[DomainError]) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise error("too_large")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        # Trust the rows, not the dimension the file declares: a wrong one would cut rows
        # off, or pad a short sheet with a million empty ones.
        sheet.reset_dimensions()
    except error:
        raise
    except Exception as broken:  # openpyxl raises many kinds for a broken file
        raise error("unreadable") from broken

    def rows() -> Iterator[tuple[int, list]]:
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, list(values)
        except error:
            raise
        except Exception as broken:
            raise error("unreadable") from broken
        finally:
            workbook.close()

    return rows()


def _decode(data: bytes, error: type[DomainError]) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        raise error("unreadable")  # UTF-16 or a binary file
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as broken:
        raise error("unreadable") from broken


def _csv_rows(data: bytes, error: type[DomainError]) -> Iterator[tuple[int, list]]:
    text = _decode(data, error)
    reader = csv.reader(io.StringIO(text, newline=""))

    def rows() -> Iterator[tuple[int, list]]:
        try:
            yield from enumerate(reader, start=1)
        except csv.Error as broken:  # a field over the csv module's limit, a stray quote
            raise error("unreadable") from broken

    return rows()


# --- the upload waiting for its confirmation -----------------------------------------------

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def pending_directory(kind: str) -> Path:
    """Where checked uploads of one kind wait: ``IMPORT_PENDING_DIR`` or instance/imports,
    with a subdirectory for every kind but the volunteers'."""
    base = Path(
        current_app.config.get("IMPORT_PENDING_DIR")
        or os.path.join(current_app.instance_path, "imports")
    )
    return base if kind == "volunteers" else base / kind


class PendingFiles:
    """Checked uploads kept as JSON files in one directory, one per random token, for an hour.

    A file may hold personal data until it is confirmed or expires; every save sweeps the
    expired ones. Only the token goes to the client.
    """

    def __init__(
        self, directory: str | os.PathLike, *, error: type[DomainError] = UploadError
    ) -> None:
        self.directory = Path(directory)
        self.error = error

    def save(self, user_id: int, body: dict, *, file_sha256: str, now: datetime) -> str:
        """Keep ``body`` for the organizer ``user_id`` under a new random token; the token."""
        self.sweep(now)
        self.directory.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(24)
        body = {
            **body,
            "user_id": user_id,
            "file_sha256": file_sha256,
            "created_at": now.isoformat(),
        }
        path = self.directory / token
        temporary = path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(descriptor, "w", encoding="utf-8") as handle:
            json.dump(body, handle, ensure_ascii=False, separators=(",", ":"))
        os.replace(temporary, path)
        return token

    def load(self, token: str, user_id: int, *, now: datetime, parse=lambda body: body):
        """``parse(body)`` of the upload ``token`` names, with its creation time, if it is
        ``user_id``'s and not expired: (parsed, file_sha256, created_at).

        Raises ``error`` "expired" otherwise, the same for every reason (``parse`` may
        raise KeyError, ValueError or TypeError for a body it does not understand).
        """
        if not _TOKEN.match(token or ""):
            raise self.error("expired")
        try:
            body = json.loads((self.directory / token).read_text(encoding="utf-8"))
            created_at = datetime.fromisoformat(body["created_at"])
            parsed = parse(body)
        except (OSError, ValueError, KeyError, TypeError) as broken:
            raise self.error("expired") from broken
        if body.get("user_id") != user_id or not timedelta(0) <= now - created_at <= PENDING_TTL:
            raise self.error("expired")
        return parsed, body.get("file_sha256", ""), created_at

    def discard(self, token: str) -> None:
        """Forget an upload (after its import)."""
        if _TOKEN.match(token or ""):
            (self.directory / token).unlink(missing_ok=True)

    def take(self, token: str) -> bool:
        """Remove the upload ``token`` names; whether this call removed it. Of two requests
        confirming the same upload at once, only one gets True."""
        if not _TOKEN.match(token or ""):
            return False
        try:
            (self.directory / token).unlink()
        except FileNotFoundError:
            return False
        return True

    def sweep(self, now: datetime) -> int:
        """Delete the uploads older than PENDING_TTL; how many."""
        if not self.directory.is_dir():
            return 0
        cutoff = (now - PENDING_TTL).timestamp()
        removed = 0
        for path in self.directory.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
        return removed
