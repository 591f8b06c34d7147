"""Check-in bursts against gunicorn, measured beside the stack's own floor in one run.

    .venv/bin/python bench/checkin_burst.py [--db sqlite postgresql] [-n 2000]
        [--concurrency 1 8 32 64] [--worker-class gthread] [--workers 4] [--threads N]
        [--rounds 3]

For each database and concurrency it measures, on one server, in --rounds rounds:
- the floor: GET /healthz (the stack's cost with one trivial query);
- an organizer's API check-in for N distinct volunteers, then the same N again (repeats);
- a volunteer's own path: GET of the QR link with the device cookie, then the form POST;
and checks afterwards that each activity holds exactly N records and that no 5xx came back.
Each round has its own activities. The table keeps, per phase, the round with the most
requests per second (other jobs on a shared machine can only slow a round down) and
compares it with the floor's best round; the last column gives every round's own ratio.
It prints a Markdown table (ratios are what matter on a shared 2-core machine) and the peak
RSS of each worker. Exit status 1 if any 5xx or a wrong record count was seen.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from itsdangerous import Signer  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from bench.experiments import EXPERIMENTS  # noqa: E402
from bench.harness import SECRET, gunicorn  # noqa: E402
from bench.loadgen import Request, Result, run  # noqa: E402
from volunteer_app.gunicorn_conf import default_threads  # noqa: E402

PG_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def database(kind: str, workdir: Path):
    """A fresh database URI of the given kind (a throwaway PostgreSQL database is dropped)."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"volunteer_bench_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


#: The report-sum triggers (volunteer_app/migrations/triggers.py), dropped by
#: ``--without-stats-triggers`` to measure what the hot per-activity row costs (an
#: experiment: reports are wrong after it).
STATS_TRIGGERS = {
    "postgresql": ["DROP TRIGGER checkins_activity_stats ON checkins"],
    "sqlite": [f"DROP TRIGGER checkins_stats_{op}" for op in ("insert", "update", "delete")],
}


def prepare(
    uri: str, n: int, levels: list[int], rounds: int = 1, *, stats_triggers: bool = True
) -> dict:
    """Migrate, load the demo, add N volunteers with remembered devices, one activity per
    path, level and round."""
    from flask_migrate import upgrade

    from volunteer_app import create_app
    from volunteer_app.activities.models import Activity
    from volunteer_app.api.services import create_token
    from volunteer_app.auth.services import find_user
    from volunteer_app.checkins.tokens import issue_token
    from volunteer_app.database import utcnow
    from volunteer_app.extensions import db
    from volunteer_app.seeding import SeedReport, load_categories, load_demo
    from volunteer_app.volunteers.models import Device, Household, Volunteer

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": SECRET})
    with app.app_context():
        upgrade()
        if not stats_triggers:
            for statement in STATS_TRIGGERS[db.engine.dialect.name]:
                db.session.execute(text(statement))
            db.session.commit()
        now = utcnow()
        report = SeedReport()
        load_categories(report)
        load_demo(now, report)
        admin = find_user("admin")
        _, api_token = create_token(admin, "bench", now=now)
        template = db.session.scalar(select(Activity).where(Activity.ends_at > now))
        activities, keys = {}, {}
        for level in levels:
            for path, round_ in [(p, r) for p in ("api", "form") for r in range(rounds)]:
                activity = Activity(
                    unit_id=template.unit_id,
                    category_id=template.category_id,
                    title=f"bench {path} c{level} round {round_ + 1}",
                    place="bench",
                    starts_at=now - timedelta(minutes=5),
                    ends_at=now + timedelta(hours=3),
                )
                db.session.add(activity)
                db.session.flush()
                activities[(path, level, round_)] = activity.id
                keys[(path, level, round_)] = activity.checkin_key
        db.session.commit()
        base = db.session.scalar(select(func.coalesce(func.max(Volunteer.id), 0)))
        house = db.session.scalar(select(func.coalesce(func.max(Household.id), 0)))
        db.session.execute(
            insert(Household),
            [{"id": house + i + 1, "phone": f"1990{i:07d}", "created_at": now} for i in range(n)],
        )
        db.session.execute(
            insert(Volunteer),
            [
                {
                    "id": base + i + 1,
                    "household_id": house + i + 1,
                    "name": f"志愿者{i}",
                    "consent_version": "bench",
                    "consented_at": now,
                    "created_at": now,
                }
                for i in range(n)
            ],
        )
        db.session.execute(
            insert(Device),
            [
                {
                    "volunteer_id": base + i + 1,
                    "key": f"bench-device-{i}",
                    "user_agent": "bench",
                    "created_at": now,
                }
                for i in range(n)
            ],
        )
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            for table in ("volunteers", "households"):
                db.session.execute(
                    text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
                )
            db.session.commit()
        signer = Signer(SECRET, salt="device.v1")
        info = {
            "api_token": api_token,
            "activities": activities,
            "tokens": {k: issue_token(SECRET, v) for k, v in keys.items()},
            "volunteers": [
                (f"1990{i:07d}", signer.sign(f"bench-device-{i}").decode()) for i in range(n)
            ],
        }
        db.engine.dispose()
    return info


def count_records(uri: str, activity_id: int) -> int:
    engine = create_engine(uri)
    with engine.connect() as conn:
        n = conn.scalar(
            text("SELECT count(*) FROM checkins WHERE activity_id = :a"), {"a": activity_id}
        )
    engine.dispose()
    return n


def cookies_from(set_cookie: str) -> dict[str, str]:
    return {
        c.split("=", 1)[0]: c.split("=", 1)[1].split(";", 1)[0]
        for c in set_cookie.split("\n")
        if "=" in c
    }


def measure(
    port: int, uri: str, info: dict, n: int, level: int, round_: int = 0
) -> dict[str, Result]:
    """Run every phase at one concurrency level (one round: its own activities)."""
    results: dict[str, Result] = {}
    results["healthz"] = run(port, [Request("GET", "/healthz")] * n, level)
    auth = {"Authorization": f"Bearer {info['api_token']}", "Content-Type": "application/json"}
    api_activity = info["activities"][("api", level, round_)]
    api_path = f"/api/v1/activities/{api_activity}/checkins"
    bodies = [json.dumps({"phone": phone}).encode() for phone, _ in info["volunteers"]]
    requests = [Request("POST", api_path, auth, body) for body in bodies]
    results["api check-in"] = run(port, requests, level)
    results["api repeat"] = run(port, requests, level)
    assert count_records(uri, api_activity) == n

    scan_path = "/c/" + info["tokens"][("form", level, round_)]
    gets = [
        Request("GET", scan_path, {"Cookie": f"vdev={device}", "Accept-Language": "zh-CN"})
        for _, device in info["volunteers"]
    ]
    results["form GET"] = run(port, gets, level)
    posts = []
    for (_, device), page in zip(info["volunteers"], results["form GET"].responses, strict=True):
        csrf = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.body)
        session = cookies_from(page.headers.get("set-cookie", "")).get("session", "")
        body = f"csrf_token={csrf.group(1).decode()}&action=check_in".encode()
        posts.append(
            Request(
                "POST",
                scan_path,
                {
                    "Cookie": f"vdev={device}; session={session}",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                body,
            )
        )
    results["form POST"] = run(port, posts, level)
    assert count_records(uri, info["activities"][("form", level, round_)]) == n
    return results


def worker_peak_rss(master_pid: int) -> list[int]:
    """VmHWM (peak resident set, KiB) of each gunicorn worker."""
    peaks = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master_pid}$", status, re.M):
            match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
            if match:
                peaks.append(int(match.group(1)))
    return peaks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("-n", type=int, default=2000, help="volunteers per run")
    parser.add_argument("--concurrency", nargs="+", type=int, default=[1, 8, 32, 64])
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per gthread worker (default: gunicorn_conf.default_threads, per database)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="measure every phase this many times in turn and keep each phase's best "
        "round (other jobs on a shared machine only ever slow a round down)",
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=0,
        help="restart a worker after this many requests (0: never, so that the peak RSS "
        "covers every check-in of the run; production uses gunicorn_conf's 5000)",
    )
    parser.add_argument(
        "--without-stats-triggers",
        action="store_true",
        help="experiment: drop the report-sum triggers to see what their hot row costs",
    )
    parser.add_argument(
        "--experiment",
        nargs="+",
        default=[],
        choices=EXPERIMENTS,
        help="what-if: remove a cost from the check-in path (bench/experiments.py)",
    )
    args = parser.parse_args()
    import tempfile

    failures = 0
    print(
        f"# check-in burst: N={args.n}, gunicorn {args.worker_class} x{args.workers}"
        + (
            f" ({args.threads} threads)"
            if args.worker_class == "gthread" and args.threads
            else " (threads per database: gunicorn_conf.default_threads)"
            if args.worker_class == "gthread"
            else ""
        )
        + f", {platform.processor() or platform.machine()}, {os.cpu_count()} cores"
        + (f", experiments: {', '.join(args.experiment)}" if args.experiment else "")
        + "\n"
    )
    for kind in args.db:
        with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as uri:
            info = prepare(
                uri,
                args.n,
                args.concurrency,
                args.rounds,
                stats_triggers=not args.without_stats_triggers,
            )
            with gunicorn(
                uri,
                workers=args.workers,
                threads=args.threads or default_threads(uri),
                worker_class=args.worker_class,
                extra_args=["--max-requests", str(args.max_requests)],
                app=(
                    "bench.experiments:create_app()"
                    if args.experiment
                    else "volunteer_app:create_app()"
                ),
                env={"BENCH_EXPERIMENTS": ",".join(args.experiment)},
            ) as server:
                print(
                    f"## {kind}"
                    + (f" ({args.threads or default_threads(uri)} threads per worker)\n")
                )
                print(
                    "| c | phase | req/s | % of floor | p50 ms | p95 ms | p99 ms | p99 × floor "
                    "| statuses | % of floor by round |"
                )
                print("|---|---|---|---|---|---|---|---|---|---|")
                for level in args.concurrency:
                    rounds = [
                        measure(server.port, uri, info, args.n, level, r)
                        for r in range(args.rounds)
                    ]
                    floor = max((r["healthz"] for r in rounds), key=lambda x: x.rps)
                    for phase in rounds[0]:
                        best = max((r[phase] for r in rounds), key=lambda x: x.rps)
                        by_round = "/".join(
                            f"{100 * r[phase].rps / r['healthz'].rps:.0f}" for r in rounds
                        )
                        statuses: dict[int, int] = {}
                        for r in rounds:
                            for code, count in r[phase].statuses.items():
                                statuses[code] = statuses.get(code, 0) + count
                        failures += sum(v for k, v in statuses.items() if k >= 500)
                        print(
                            f"| {level} | {phase} | {best.rps:.0f} | "
                            f"{100 * best.rps / floor.rps:.0f}% | {best.median_ms:.1f} | "
                            f"{best.percentile(95):.1f} | {best.percentile(99):.1f} | "
                            f"{best.percentile(99) / floor.percentile(99):.1f} | "
                            f"{dict(sorted(statuses.items()))} | {by_round} |"
                        )
                peaks = worker_peak_rss(server.process.pid)
                runs = len(args.concurrency) * args.rounds
                print(
                    f"\nPeak RSS per worker after {runs * 2 * args.n} "
                    f"check-ins ({runs * 5 * args.n} requests, "
                    f"max-requests {args.max_requests or 'off'}): "
                    f"{', '.join(f'{p / 1024:.0f} MiB' for p in sorted(peaks))}\n"
                )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
