"""Measure the volunteer import: a generated 10,000-row .xlsx, preview then confirm.

    .venv/bin/python bench/import_bench.py [--db sqlite postgresql] [--rows 10000] [--runs 3]
        [--file excel|openpyxl]

For each database it makes a fresh one (a throwaway PostgreSQL database is dropped after),
migrates it, adds a district with two centres and a centre organizer, and registers a
tenth of the file's numbers beforehand at the other centre (so the import links them).
A fresh child process then goes through the app in-process (routing, forms, the service,
the templates; no network): the upload and its preview, the confirmation, and the same
file again (a preview that finds everything registered, and a confirmation that adds
nothing). Before each phase it resets its peak-RSS mark (VmHWM) and reports the peak
during the phase, so "flat memory" shows as a peak that does not grow with the rows.
It checks the number of people afterwards. With --runs N each backend gets N fresh
databases and the table keeps each phase's fastest run and the highest peak. The file is
written as Excel and WPS save it (text in a shared-strings table) unless ``--file
openpyxl`` (every text an inline string, slower to read). It prints a Markdown table for
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.checkin_burst import database  # noqa: E402

PASSWORD = "bench-password"
USERNAME = "bench-import"
STATIONS = 10
SECRET = "bench-import-" + "x" * 40


def make_app(url: str):
    """The app on ``url`` (CSRF off: this is a benchmark)."""
    from volunteer_app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            # The confirmation is measured inside the request, as before imports above
            # IMPORT_JOB_THRESHOLD ran as jobs (a job applies the same rows in chunks).
            "IMPORT_JOB_THRESHOLD": 10**9,
        }
    )


def phone(i: int) -> str:
    return f"139{i:08d}"


def prepare(url: str, rows: int) -> int:
    """Migrate, make the units and the organizer, register every tenth number elsewhere;
    the number of people registered beforehand."""
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from volunteer_app.auth.models import Role, User
    from volunteer_app.codes import new_key
    from volunteer_app.database import utcnow
    from volunteer_app.extensions import db
    from volunteer_app.stations.models import Unit, UnitLevel
    from volunteer_app.volunteers.models import Household, Volunteer

    app = make_app(url)
    with app.app_context():
        upgrade()
        now = utcnow()
        district = Unit(name="高新区", level=UnitLevel.DISTRICT)
        centre = Unit(name="万福街道", level=UnitLevel.CENTRE, parent=district)
        other = Unit(name="吕陵镇", level=UnitLevel.CENTRE, parent=district)
        db.session.add_all([district, centre, other])
        for i in range(STATIONS):
            db.session.add(Unit(name=f"站点{i}", level=UnitLevel.STATION, parent=centre))
        elsewhere = Unit(name="吕陵镇站", level=UnitLevel.STATION, parent=other)
        db.session.add(elsewhere)
        user = User(username=USERNAME, display_name="导入", role=Role.CENTRE_ORGANIZER, unit=centre)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.flush()
        registered = list(range(0, rows, 10))
        db.session.execute(
            insert(Household), [{"phone": phone(i), "created_at": now} for i in registered]
        )
        ids = dict(
            db.session.execute(
                Household.__table__.select().with_only_columns(Household.phone, Household.id)
            ).all()
        )
        db.session.execute(
            insert(Volunteer),
            [
                {
                    "household_id": ids[phone(i)],
                    "name": f"老志愿者{i}",
                    "consent_version": "bench",
                    "consented_at": now,
                    "created_at": now,
                    "registered_unit_id": elsewhere.id,
                    "card_key": new_key(),
                }
                for i in registered
            ],
        )
        db.session.commit()
        db.engine.dispose()
    return len(registered)


def file_rows(rows: int) -> list[list[str]]:
    """The file's rows: every column of the template; one row in a hundred has a bad
    number, one person in five is a child; a tenth of the rows use a number registered
    before (under another name: they join that household)."""
    lines = [
        ["姓名", "手机号", "所属站点", "性别", "出生日期", "专业技能", "服务类别", "志愿者编号"]
    ]
    for i in range(rows):
        lines.append(
            [
                f"志愿者{i:05d}",
                phone(i) if i % 100 != 99 else phone(i)[:10],
                f"站点{i % STATIONS}",
                "女" if i % 2 else "男",
                "2016-05-01" if i % 5 == 0 else "1975-03-05",
                "医护",
                "健康服务",
                f"ZY{i:06d}",
            ]
        )
    return lines


def workbook_openpyxl(rows: int) -> bytes:
    """The file as openpyxl writes it: every text cell an inline string."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("志愿者")
    for line in file_rows(rows):
        sheet.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _column(index: int) -> str:
    return chr(ord("A") + index)


def workbook_excel(rows: int) -> bytes:
    """The file as Excel and WPS save it: text cells index a shared-strings table."""
    from xml.sax.saxutils import escape

    strings: dict[str, int] = {}
    sheet_rows = []
    for r, line in enumerate(file_rows(rows), start=1):
        cells = "".join(
            f'<c r="{_column(c)}{r}" t="s"><v>{strings.setdefault(value, len(strings))}</v></c>'
            for c, value in enumerate(line)
        )
        sheet_rows.append(f'<row r="{r}">{cells}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{office}.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{office}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{office}.styles+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="志愿者" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{package}">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/sharedStrings.xml": (
            f'<sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">'
            + "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
            + "</sst>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{main}"><sheetData>{"".join(sheet_rows)}</sheetData></worksheet>'
        ),
    }
    header = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    parts = {name: header + body for name, body in parts.items()}
    with zipfile.ZipFile(io.BytesIO(workbook_openpyxl(0))) as template:
        parts["xl/styles.xml"] = template.read("xl/styles.xml").decode()  # a valid default
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return buffer.getvalue()


#: How the file is written: as Excel saves it (shared strings), or as openpyxl does.
WRITERS = {"excel": workbook_excel, "openpyxl": workbook_openpyxl}


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak_rss() -> None:
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(url: str, path: str) -> None:
    """(In a child process) preview and confirm the file twice; print JSON measurements."""
    from sqlalchemy import func, select

    from volunteer_app.extensions import db
    from volunteer_app.volunteers.models import Volunteer

    app = make_app(url)
    app.config["IMPORT_PENDING_DIR"] = tempfile.mkdtemp(prefix="import-bench-")
    data = Path(path).read_bytes()
    client = app.test_client()
    response = client.post("/login", data={"username": USERNAME, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    client.get("/volunteers/import")  # warm up imports and templates
    results = {"bytes": len(data)}
    for run in ("first", "again"):
        results[f"{run}_rss_before"] = _current_rss_mb()
        _reset_peak_rss()
        started = time.perf_counter()
        response = client.post(
            "/volunteers/import",
            data={"file": (io.BytesIO(data), "bench.xlsx")},
            content_type="multipart/form-data",
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 200, html[-2000:]
        results[f"{run}_preview_s"] = time.perf_counter() - started
        results[f"{run}_preview_rss"] = _peak_rss_mb()
        results[f"{run}_counts"] = {
            key: int(re.search(rf'id="{key}">(\d+)<', html).group(1))
            for key in ("new-people", "new-numbers", "linked-rows", "refused-rows")
        }
        token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
        _reset_peak_rss()
        started = time.perf_counter()
        response = client.post("/volunteers/import/confirm", data={"token": token, "consent": "y"})
        assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
        results[f"{run}_confirm_s"] = time.perf_counter() - started
        results[f"{run}_confirm_rss"] = _peak_rss_mb()
    with app.app_context():
        results["people"] = db.session.scalar(select(func.count()).select_from(Volunteer))
    print(json.dumps(results))


def fastest(runs: list[dict]) -> dict:
    """Each phase's fastest run (other jobs on a shared machine can only slow one down),
    with the highest peak RSS of all runs."""
    best = dict(runs[0])
    for key in best:
        if key.endswith("_s"):
            best[key] = min(run[key] for run in runs)
        elif key.endswith("_rss"):
            best[key] = max(run[key] for run in runs)
    return best


def markdown(rows: int, results: dict[str, dict]) -> str:
    """The results as a Markdown table."""
    lines = [
        f"{rows:,} rows, {next(iter(results.values()))['bytes'] / 1024:.0f} KB .xlsx; "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average at the end "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
        + ".",
        "",
        "| database | phase | seconds | RSS before MB | peak RSS MB | new people | new numbers |"
        " linked rows | refused rows |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for backend, data in results.items():
        for run, label in (("first", "first import"), ("again", "same file again")):
            counts = data[f"{run}_counts"]
            cells = " | ".join(
                str(counts[k]) for k in ("new-people", "new-numbers", "linked-rows", "refused-rows")
            )
            lines.append(
                f"| {backend} | {label}: preview | {data[f'{run}_preview_s']:.2f} | "
                f"{data[f'{run}_rss_before']:.0f} | {data[f'{run}_preview_rss']:.0f} | {cells} |"
            )
            lines.append(
                f"| {backend} | {label}: confirm | {data[f'{run}_confirm_s']:.2f} | | "
                f"{data[f'{run}_confirm_rss']:.0f} | | | | |"
            )
    return "\n".join(lines)


def main() -> None:
    """Parse the options; run each database in turn."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--file", choices=sorted(WRITERS), default="excel")
    parser.add_argument("--runs", type=int, default=3, help="fresh databases per backend")
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "bench.xlsx"
        path.write_bytes(WRITERS[args.file](args.rows))
        for kind in args.db:
            runs = []
            for _ in range(args.runs):
                for suffix in ("", "-wal", "-shm"):  # the SQLite file of the run before
                    (Path(workdir) / f"bench.sqlite3{suffix}").unlink(missing_ok=True)
                with database(kind, Path(workdir)) as url:
                    before = prepare(url, args.rows)
                    out = subprocess.run(
                        [sys.executable, __file__, "--child", url, str(path)],
                        check=True,
                        capture_output=True,
                        text=True,
                        env={**os.environ, "APP_ENV": "development"},
                    ).stdout.strip()
                data = json.loads(out.splitlines()[-1])
                expected = before + data["first_counts"]["new-people"]
                assert data["people"] == expected, (data["people"], expected)
                runs.append(data)
                print(f"{kind}: {json.dumps(data)}", flush=True)
            results[kind] = fastest(runs)
    print()
    print(markdown(args.rows, results))


if __name__ == "__main__":
    main()
