"""Lighthouse (mobile, Debian's Chromium) on the pages people use most, against gunicorn on a
seeded SQLite database: the check-in page, the volunteer's own page (with a device cookie),
the organizer's activity page (signed in) and the reports dashboard.

    cd bench/.lighthouse && npm install lighthouse@12.8.2   # once; git-ignored
    .venv/bin/python bench/lighthouse.py                    # prints the scores
    .venv/bin/python bench/lighthouse.py --write            # and records them in the docs

Targets (issue 9): accessibility 100 and best practices ≥ 95 on every page; performance
≥ 95 on the check-in page. The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import SECRET, Phone, gunicorn

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "bench" / ".lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-quic "
    "--no-first-run --disable-background-networking --disable-component-update --disable-sync"
)
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
TARGETS = {"accessibility": 100, "best-practices": 95}
CHECKIN_TARGETS = {**TARGETS, "performance": 95}
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- lighthouse:begin -->", "<!-- lighthouse:end -->"


def prepare(uri: str) -> dict:
    """Migrate and load the demo; return a running activity's check-in path and its id."""
    from flask_migrate import upgrade

    from volunteer_app import create_app
    from volunteer_app.activities.models import Activity, ActivityStatus
    from volunteer_app.checkins.tokens import issue_token
    from volunteer_app.database import utcnow
    from volunteer_app.extensions import db
    from volunteer_app.seeding import SeedReport, load_categories, load_demo

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": SECRET})
    with app.app_context():
        upgrade()
        now = utcnow()
        report = SeedReport()
        load_categories(report)
        load_demo(now, report)
        db.session.commit()
        running = db.session.scalar(
            select(Activity)
            .where(
                Activity.status == ActivityStatus.PUBLISHED,
                Activity.starts_at <= now + timedelta(minutes=30),
                Activity.ends_at > now,
            )
            .order_by(Activity.starts_at)
        )
        assert running is not None, "the demo data has no running activity"
        return {"scan": "/c/" + issue_token(SECRET, running.checkin_key), "activity": running.id}


def sign_in(phone: Phone, username: str, password: str) -> None:
    """The console's login form, as a browser posts it."""
    status, _, html = phone.request("GET", "/login")
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert status == 200 and token, "no login form"
    status, _, _ = phone.request(
        "POST", "/login", {"csrf_token": token.group(1), "username": username, "password": password}
    )
    assert status == 302, f"login failed ({status})"


def cookie_header(phone: Phone) -> str:
    """The phone's cookies as one Cookie header."""
    return "; ".join(f"{k}={v}" for k, v in phone.cookies.items())


def run_lighthouse(url: str, cookies: str, out: Path) -> dict[str, Any]:
    """One Lighthouse run (mobile form factor, simulated slow 4G); scores out of 100."""
    command = [
        str(LIGHTHOUSE),
        url,
        f"--chrome-flags={CHROME_FLAGS}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json",
        f"--output-path={out}",
        "--quiet",
    ]
    if cookies:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookies}))
    subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM}, timeout=180)
    report = json.loads(out.read_text(encoding="utf-8"))
    # A lost cookie would measure the sign-in page instead: make sure the page is the one asked.
    final = report.get("finalDisplayedUrl") or report.get("finalUrl")
    assert final == url, f"Lighthouse ended on {final}, not {url}"
    scores: dict[str, Any] = {
        k: round((c["score"] or 0) * 100) for k, c in report["categories"].items()
    }
    failing = [
        f"{a['id']} ({round((a['score'] or 0) * 100)})"
        for cat in ("accessibility", "best-practices", "seo")
        for ref in report["categories"][cat]["auditRefs"]
        if ref["weight"] and (a := report["audits"][ref["id"]])["score"] not in (None, 1)
    ]
    scores["_failing"] = failing
    scores["_lcp"] = round(report["audits"]["largest-contentful-paint"]["numericValue"])
    return scores


def measure() -> list[tuple[str, str, dict]]:
    """Serve the seeded app and run Lighthouse on each page; (name, path, scores)."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        uri = f"sqlite:///{tmp}/lighthouse.sqlite3"
        arranged = prepare(uri)
        with gunicorn(uri, workers=2, threads=2) as server:
            base = f"http://127.0.0.1:{server.port}"
            volunteer = Phone(server.port)
            status, _ = volunteer.scan(
                arranged["scan"], name="欧阳秀英", phone="13900009999", pin="2580", consent="y"
            )
            assert status in (200, 302), f"check-in failed ({status})"
            organizer = Phone(server.port)
            sign_in(organizer, "admin", "leifeng35")
            pages = [
                ("Check-in page (first visit)", arranged["scan"], ""),
                ("Volunteer's page /me (device cookie)", "/me", cookie_header(volunteer)),
                (
                    "Organizer's activity page (signed in)",
                    f"/activities/{arranged['activity']}",
                    cookie_header(organizer),
                ),
                ("Reports dashboard (district admin)", "/reports/", cookie_header(organizer)),
            ]
            for n, (name, path, cookies) in enumerate(pages):
                scores = run_lighthouse(base + path, cookies, Path(tmp) / f"lh{n}.json")
                results.append((name, path.split("?")[0], scores))
                print(name, scores, flush=True)
    return results


def table(results: list[tuple[str, str, dict]]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| Page | Performance | Accessibility | Best practices | SEO | LCP (simulated) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, _path, s in results:
        lines.append(
            f"| {name} | {s['performance']} | {s['accessibility']} | {s['best-practices']} "
            f"| {s['seo']} | {s['_lcp'] / 1000:.1f} s |"
        )
    return "\n".join(lines)


def missed(results: list[tuple[str, str, dict]]) -> list[str]:
    """Targets not met."""
    problems = []
    for n, (name, _path, scores) in enumerate(results):
        for category, target in (CHECKIN_TARGETS if n == 0 else TARGETS).items():
            if scores[category] < target:
                problems.append(f"{name}: {category} {scores[category]} < {target}")
    return problems


def write_doc(results: list[tuple[str, str, dict]]) -> None:
    """Replace the Lighthouse table in docs/benchmarks.md (between its markers)."""
    text = DOC.read_text(encoding="utf-8")
    block = f"{BEGIN}\n{table(results)}\n{END}"
    if BEGIN in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _m: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run, print, optionally record; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="record in docs/benchmarks.md")
    args = parser.parse_args(argv)
    if not LIGHTHOUSE.exists():
        print(f"Lighthouse not found at {LIGHTHOUSE}; see the instructions at the top.")
        return 2
    results = measure()
    print(table(results))
    for name, _path, scores in results:
        if scores["_failing"]:
            print(f"{name}: audits not passed: {', '.join(scores['_failing'])}")
    if args.write:
        write_doc(results)
    problems = missed(results)
    for problem in problems:
        print("MISSED", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
