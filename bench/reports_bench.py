"""Measure the report dashboards and exports on a database filled by bench/generate.py.

    .venv/bin/python bench/reports_bench.py --db sqlite:///$PWD/instance/bench.sqlite3
    .venv/bin/python bench/reports_bench.py --db postgresql://postgres@127.0.0.1:5432/bench

Dashboards: each (scope × period) page is requested through the app in-process (routing,
scoping, the queries and the template, no network): a first view with no kept volunteer
sets (they are emptied before it, so it fills them, see reports/volunteer_sets.py), then
--runs times; the median and the fastest are printed (the fastest shows the cost without
interference from other processes on a shared machine). Exports: each export runs in a fresh
child process that reads the streamed body chunk by chunk and throws it away; the child
resets its peak-RSS mark (VmHWM) just before the export and reports the peak during it,
so "flat memory" shows as a peak that does not grow with the number of rows. An
in-memory CSV of the same rows (not used by the app) is measured for comparison.
The output is a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

USERS = {"station": "bench-station", "centre": "bench-centre", "district": "bench-admin"}
PERIODS = {
    "day (学雷锋日 2025-03-05)": "period=leifeng&year=2025",
    "month (2025-03)": "period=month&month=2025-03",
    "year (2025)": "period=year&year=2025",
    "range (2023-01-01…2025-12-31)": "period=range&start=2023-01-01&end=2025-12-31",
}
#: Check-in exports of about 10,000 and 100,000 rows at scale 1 (district, early 2025).
EXPORTS = {
    "small": "period=range&start=2025-01-01&end=2025-01-10",
    "large": "period=range&start=2025-01-01&end=2025-04-12",
}
PASSWORD = "bench-password"


def make_client(url: str):
    """The app on ``url`` and a test client factory (CSRF off: this is a benchmark)."""
    from volunteer_app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-" + "x" * 40,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    return app


def signed_in(app, username: str):
    """A test client signed in as ``username``."""
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    if response.status_code != 302:
        sys.exit(f"cannot sign in as {username}: did bench/generate.py fill this database?")
    return client


def forget_volunteer_sets(app) -> None:
    """Empty the kept volunteer sets, so the next view fills them (a first view)."""
    from sqlalchemy import delete

    from volunteer_app.extensions import db
    from volunteer_app.reports.models import VolunteerSet

    with app.app_context():
        db.session.execute(delete(VolunteerSet))
        db.session.commit()


def bench_dashboards(url: str, runs: int) -> list[tuple[str, str, float, float, float, int]]:
    """First view (no kept volunteer sets), then the median and best of ``runs`` views,
    of every dashboard, with its check-in count."""
    app = make_client(url)
    results = []
    for scope, username in USERS.items():
        client = signed_in(app, username)
        for name, query in PERIODS.items():
            path = f"/reports/?{query}"
            client.get("/reports/?period=leifeng&year=2024")  # warm the app itself
            forget_volunteer_sets(app)
            started = time.perf_counter()
            first = client.get(path)
            first.get_data()
            first_ms = (time.perf_counter() - started) * 1000
            if first.status_code != 200:
                sys.exit(f"{path} answered {first.status_code}")
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                response = client.get(path)
                response.get_data()
                times.append((time.perf_counter() - started) * 1000)
            html = first.get_data(as_text=True)
            marker = html.split("签到人次</dt><dd>", 1)
            checkins = int(marker[1].split("<", 1)[0]) if len(marker) == 2 else -1
            median = statistics.median(times)
            results.append((scope, name, first_ms, median, min(times), checkins))
            print(
                f"  {scope:8} {name:32} first {first_ms:7.1f} ms  median {median:7.1f} ms",
                flush=True,
            )
    return results


def _peak_rss_mb() -> float:
    """Peak RSS since the process started or since _reset_peak_rss (VmHWM)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak_rss() -> None:
    """Reset VmHWM to the current RSS (Linux: "5" in /proc/self/clear_refs)."""
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _scope_rows(app, query: str):
    """A callable giving the service-record rows of the district for ``query``."""
    from datetime import date

    from volunteer_app.auth import scoping
    from volunteer_app.auth.models import User
    from volunteer_app.extensions import db
    from volunteer_app.localtime import local_zone
    from volunteer_app.reports import rows
    from volunteer_app.reports.periods import parse_period

    user = db.session.query(User).filter_by(username=USERS["district"]).one()
    unit = scoping.unit_or_404(user, None)
    args = dict(part.split("=") for part in query.split("&"))
    start, end = parse_period(args, date.today()).bounds(local_zone())
    return lambda: rows.checkin_rows(scoping.scope_unit_ids(user, unit), start, end)


def _buffered_csv(app, query: str) -> int:
    """For comparison only: the same CSV built in memory from a fully fetched result."""
    from volunteer_app.reports import exports

    with app.test_request_context():
        rows = list(_scope_rows(app, query)())
        export = exports.checkins_export()
        body = b"".join(exports.csv_chunks(export.columns, [export.line(r) for r in rows]))
        return len(body)


def export_child(url: str, fmt: str, query: str) -> None:
    """(In a child process) run one export and print JSON: rows, bytes, seconds, peak RSS."""
    app = make_client(url)
    client = signed_in(app, USERS["district"])
    client.get("/reports/?period=day&date=2025-01-01")  # warm up imports and templates
    peak_before = _peak_rss_mb()
    _reset_peak_rss()  # from here, the peak is the export's own
    before = _current_rss_mb()
    started = time.perf_counter()
    size = 0
    first_byte = None
    if fmt == "buffered":
        size = _buffered_csv(app, query)
        first_byte = time.perf_counter() - started
    else:
        response = client.get(f"/reports/checkins.{fmt}?{query}", buffered=False)
        for chunk in response.response:
            if first_byte is None:
                first_byte = time.perf_counter() - started
            size += len(chunk)
        response.close()
    elapsed = time.perf_counter() - started
    peak = _peak_rss_mb()
    with app.app_context():
        rows = sum(1 for _ in _scope_rows(app, query)())
    print(
        json.dumps(
            {
                "rows": rows,
                "bytes": size,
                "seconds": elapsed,
                "first_byte": first_byte,
                "rss_before": before,
                "rss_peak_before": peak_before,
                "rss_peak": peak,
            }
        )
    )


def bench_exports(url: str) -> list[tuple[str, str, dict]]:
    """Run each export in a fresh process and collect its measurements."""
    results = []
    for fmt in ("csv", "xlsx", "buffered"):
        for size, query in EXPORTS.items():
            out = (
                subprocess.run(
                    [sys.executable, __file__, "--db", url, "--export-child", fmt, query],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            data = json.loads(out)
            results.append((fmt, size, data))
            print(
                f"  {fmt:4} {data['rows']:>7,} rows  {data['seconds']:6.1f} s  "
                f"peak RSS {data['rss_peak']:.0f} MB (before {data['rss_before']:.0f} MB)",
                flush=True,
            )
    return results


def markdown(backend: str, dashboards, exports) -> str:
    """The results as Markdown tables."""
    lines = [
        f"### {backend}",
        "",
        "Load average (1, 5, 15 min) at the end: "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
        + f" on {os.cpu_count()} CPUs.",
        "",
        "| scope | period | check-ins | first view ms | median ms | best ms |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for scope, name, first, median, best, checkins in dashboards:
        lines.append(
            f"| {scope} | {name} | {checkins:,} | {first:.0f} | {median:.0f} | {best:.0f} |"
        )
    lines += [
        "",
        "| export | rows | size | total s | first byte s | RSS before MB "
        "| peak RSS of start-up MB | peak RSS during export MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for fmt, _size, d in exports:
        name = (
            "in-memory CSV (for comparison, not in the app)"
            if fmt == "buffered"
            else f"service records .{fmt}"
        )
        lines.append(
            f"| {name} | {d['rows']:,} | {d['bytes'] / 1e6:.1f} MB | "
            f"{d['seconds']:.1f} | {d['first_byte']:.2f} | {d['rss_before']:.0f} | "
            f"{d['rss_peak_before']:.0f} | {d['rss_peak']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Parse arguments and run the dashboards, then the exports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument("--export-child", nargs=2, metavar=("FMT", "QUERY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.db:
        parser.error("give --db or set DATABASE_URL")
    if args.export_child:
        export_child(args.db, *args.export_child)
        return
    backend = "PostgreSQL" if args.db.startswith("postgres") else "SQLite"
    print(f"{backend}: dashboards (a first view, then {args.runs} runs each)", flush=True)
    dashboards = bench_dashboards(args.db, args.runs)
    exports = [] if args.skip_exports else bench_exports(args.db)
    print()
    print(markdown(backend, dashboards, exports))


if __name__ == "__main__":
    main()
