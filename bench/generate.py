"""Fill a database with a large, deterministic data set for the report benchmarks.

At --scale 1 (the default): 1 district, 10 centres, 200 stations, 50,000 volunteers,
20,000 activities over three years (2023-01-01 … 2025-12-31, with a peak on 5 March)
and 1,000,000 check-ins. Smaller scales shrink volunteers, activities and check-ins
proportionally (stations stay at 200 unless --scale < 0.05).

A city (issue 19): ``--districts 10 --scale 10`` makes 10 districts of 10 centres and 200
stations each (2,000 stations), 500,000 volunteers, 200,000 activities and 10,000,000
check-ins; each district's activities go to its own stations, and its volunteers come
from the whole city (people serve where they live and work).

The schema comes from the app's migrations; rows go in with bulk inserts (executemany
on SQLite, COPY on PostgreSQL), not through the ORM, so 1M rows take minutes, not hours.

    .venv/bin/python bench/generate.py --db sqlite:///instance/bench.sqlite3
    .venv/bin/python bench/generate.py --db postgresql://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/generate.py --db ... --scale 0.1

It refuses to write into a database that already has activities (use --force to empty
it first). Accounts for trying the dashboards: bench-admin, bench-centre, bench-station
(password ``bench-password``).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from volunteer_app import create_app
from volunteer_app.extensions import db

SEED = 20210305
START = datetime(2023, 1, 1, tzinfo=UTC)
DAYS = 365 * 3
CENTRES = 10
STATIONS = 200
BASE_VOLUNTEERS = 50_000
BASE_ACTIVITIES = 20_000
BASE_CHECKINS = 1_000_000
PASSWORD = "bench-password"
CATEGORIES = [
    ("health", "健康服务", "Health services"),
    ("cleanup", "环境整治", "Clean-up"),
    ("order", "市容秩序", "Street order"),
    ("greening", "植树绿化", "Tree planting"),
    ("traffic", "交通劝导", "Traffic duty"),
    ("publicity", "宣传倡导", "Publicity"),
    ("education", "教育关爱", "Education and care"),
    ("elderly", "扶老助残", "Elderly and disabled care"),
    ("civility", "文明风尚", "Civility"),
    ("other", "其他", "Other"),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑"  # common surnames
    "梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "秀英桂英玉兰明华建国志强丽娟海燕军红伟芳敏静磊洋勇艳杰涛超霞平刚桂芝婷"
TITLES = [
    "测血压、测血糖",
    "清理小广告",
    "规范店外经营",
    "义务植树",
    "护学岗交通劝导",
    "交通安全宣传",
    "学雷锋主题队会",
    "看望孤寡老人",
    "文明餐桌倡议",
    "社区议事",
]


def fmt(moment: datetime, dialect: str) -> str:
    """A naive-UTC timestamp in the text form each backend stores (SQLAlchemy's SQLite format)."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    if dialect == "sqlite":
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f")
    return naive.isoformat(sep=" ")


def build(scale: float, districts: int = 1) -> dict[str, list[tuple]]:
    """Make every row in memory (about 1 GB less than it sounds: tuples of short strings)."""
    rng = random.Random(SEED)
    n_vol = max(200, int(BASE_VOLUNTEERS * scale))
    n_act = max(100, int(BASE_ACTIVITIES * scale))
    n_chk = int(BASE_CHECKINS * scale)
    # 50 a held activity on average; a little more so that the cap below is reached
    per_activity = BASE_CHECKINS / BASE_ACTIVITIES * 1.08
    n_stations = STATIONS if scale >= 0.05 else max(10, int(STATIONS * scale * 20))
    rows: dict[str, list[tuple]] = {
        k: [] for k in ("units", "categories", "users", "hh", "vol", "act")
    }
    rows["chk"] = []
    created = START - timedelta(days=30)
    centre_ids: list[int] = []
    station_ids: list[int] = []
    uid = 0
    for d in range(districts):
        uid += 1
        district_id = uid
        name = "菏泽高新区" if d == 0 else f"第{d + 1}区"
        rows["units"].append((district_id, name, "district", None, created))
        own_centres = []
        for c in range(CENTRES):
            uid += 1
            own_centres.append(uid)
            label = f"第{c + 1}实践所" if d == 0 else f"{name}第{c + 1}实践所"
            rows["units"].append((uid, label, "centre", district_id, created))
        for st in range(n_stations):
            uid += 1
            station_ids.append(uid)
            parent = own_centres[st % CENTRES]
            label = f"第{st + 1}实践站" if d == 0 else f"{name}第{st + 1}实践站"
            rows["units"].append((uid, label, "station", parent, created))
        centre_ids += own_centres
    for i, (code, zh, en) in enumerate(CATEGORIES, start=1):
        rows["categories"].append((i, code, zh, en, i))
    pw = generate_password_hash(PASSWORD)
    rows["users"] += [
        (1, "bench-admin", "区管理员", pw, "district_admin", 1, True, created),
        (2, "bench-centre", "所组织者", pw, "centre_organizer", centre_ids[0], True, created),
        (3, "bench-station", "站组织者", pw, "station_organizer", station_ids[0], True, created),
    ]
    per_district = len(station_ids) // districts
    # Volunteers register over the three years; ids grow with registration time.
    for v in range(1, n_vol + 1):
        at = START + timedelta(seconds=int((v / n_vol) * DAYS * 86400 * 0.95))
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        rows["hh"].append((v, f"13{v:09d}", at))
        rows["vol"].append((v, v, name, "bench", at, at))
    # Activities: spread over three years, busier on 5 March (学雷锋日).
    for a in range(1, n_act + 1):
        day = rng.randrange(DAYS)
        if rng.random() < 0.03:  # 3 % of activities fall on Lei Feng Day
            day = (datetime(2023 + rng.randrange(3), 3, 5, tzinfo=UTC) - START).days
        hour = rng.choice((0, 1, 2, 6, 7))  # 08:00–15:00 Beijing time
        starts = START + timedelta(days=day, hours=hour, minutes=rng.choice((0, 30)))
        length = rng.choice((60, 90, 120, 180, 240))
        ends = starts + timedelta(minutes=length)
        cat = rng.randrange(1, len(CATEGORIES) + 1)
        # Activities spread evenly over the districts, each at one of its own units.
        d = a % districts
        if rng.random() < 0.9:
            unit = station_ids[d * per_district + rng.randrange(per_district)]
        else:
            unit = centre_ids[d * CENTRES + rng.randrange(CENTRES)]
        status = "cancelled" if rng.random() < 0.03 else "finished"
        title = TITLES[cat - 1]
        rows["act"].append(
            (a, unit, cat, title, "社区广场", "", starts, ends, None, status, 1, starts)
        )
        if status == "cancelled":
            continue
        # Volunteers who had registered by then; a few organizers add people by hand.
        pool = max(50, int(n_vol * min(1.0, (day + 30) / (DAYS * 0.95))))
        count = min(pool, max(1, int(rng.expovariate(1 / per_activity))))
        count = min(count, n_chk - len(rows["chk"]))
        for vid in rng.sample(range(1, pool + 1), count):
            late = rng.choice((0, 0, 5, 15))
            cin = starts + timedelta(minutes=late - 10)
            if rng.random() < 0.05:  # forgot to check out
                cout, minutes = None, 0
            else:
                cout = ends
                minutes = (length - max(0, late)) // 30 * 30
            origin = "organizer" if rng.random() < 0.1 else "scan"
            status_h = "pending" if rng.random() < 0.2 else "confirmed"
            rows["chk"].append((a, vid, cin, cout, minutes, origin, status_h, None))
    return rows


COLUMNS = {
    "units": ("units", "id, name, level, parent_id, created_at"),
    "categories": ("categories", "id, code, name_zh, name_en, sort_order"),
    "users": (
        "users",
        "id, username, display_name, password_hash, role, unit_id, is_active, created_at",
    ),
    "hh": ("households", "id, phone, created_at"),
    "vol": (
        "volunteers",
        "id, household_id, name, consent_version, consented_at, created_at",
    ),
    "act": (
        "activities",
        "id, unit_id, category_id, title, place, description, starts_at, ends_at, capacity, "
        "status, created_by_id, created_at",
    ),
    "chk": (
        "checkins",
        "activity_id, volunteer_id, checked_in_at, checked_out_at, minutes, origin, status, "
        "recorded_by_id",
    ),
}


def _convert(row: tuple, dialect: str) -> tuple:
    return tuple(fmt(v, dialect) if isinstance(v, datetime) else v for v in row)


#: Check-ins per COPY statement on PostgreSQL: each statement checks its rows' foreign keys
#: at its end, so the queue of those checks stays this long, not 10,000,000 rows long.
COPY_CHUNK = 250_000


def _copy_checkins(cur, cols: str, data: list[tuple]) -> None:
    """COPY the check-ins on PostgreSQL with the report triggers off, then fill activity_stats.

    Row by row, the triggers would add each check-in to its activity's row of activity_stats:
    10,000,000 updates of 200,000 rows inside one transaction, each one a new row version the
    next must walk past. One grouped INSERT gives the same sums (the test of this script
    compares them with what the triggers make). The volunteer sets are empty in a new
    database, so there is nothing for their trigger to invalidate. It all happens in the
    load's one transaction: if it fails, the triggers are not left disabled.
    """
    from volunteer_app.migrations.triggers import STATS_COLUMNS, _contribution

    cur.execute("ALTER TABLE checkins DISABLE TRIGGER USER")
    for i in range(0, len(data), COPY_CHUNK):
        with cur.copy(f"COPY checkins ({cols}) FROM STDIN") as copy:
            for row in data[i : i + COPY_CHUNK]:
                copy.write_row(_convert(row, "postgresql"))
    sums = ", ".join(f"SUM({v})" for v in _contribution("checkins"))
    cur.execute(
        f"INSERT INTO activity_stats (activity_id, shard, {', '.join(STATS_COLUMNS)}) "
        f"SELECT activity_id, 0, {sums} FROM checkins GROUP BY activity_id"
    )
    cur.execute("ALTER TABLE checkins ENABLE TRIGGER USER")


def load(rows: dict[str, list[tuple]], dialect: str) -> None:
    """Bulk-insert every table: COPY on PostgreSQL, executemany in chunks on SQLite."""
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if dialect == "sqlite":
            # The load is one transaction (the app's connections run in autocommit and
            # emit BEGIN themselves); per-row durability is pointless for a benchmark.
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("BEGIN")
        for key, (table, cols) in COLUMNS.items():
            started = time.perf_counter()
            data = rows[key]
            if dialect == "postgresql" and key == "chk":
                _copy_checkins(cur, cols, data)
            elif dialect == "postgresql":
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(_convert(row, dialect))
            else:
                marks = ", ".join("?" for _ in cols.split(","))
                sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
                for i in range(0, len(data), 50_000):
                    cur.executemany(sql, [_convert(r, dialect) for r in data[i : i + 50_000]])
            print(f"  {table}: {len(data):,} rows in {time.perf_counter() - started:.1f} s")
        if dialect == "postgresql":
            for table in (
                "units",
                "categories",
                "users",
                "households",
                "volunteers",
                "activities",
                "checkins",
            ):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
        if dialect == "sqlite":
            cur.execute("COMMIT")
            cur.execute("ANALYZE")
        else:
            raw.commit()
            # VACUUM sets the visibility map, so index-only scans work from the start
            # (autovacuum would do it later, at an unknown time).
            raw.driver_connection.autocommit = True
            cur.execute("VACUUM ANALYZE")
    finally:
        raw.close()


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, migrate, refuse a non-empty database, generate and load."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 1M check-ins")
    parser.add_argument("--force", action="store_true", help="empty the tables first")
    parser.add_argument(
        "--districts", type=int, default=1, help="districts of 10 centres, 200 stations each"
    )
    args = parser.parse_args(argv)
    if not args.db:
        parser.error("give --db or set DATABASE_URL")
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "SECRET_KEY": "bench-" + "x" * 40})
    with app.app_context():
        upgrade()
        dialect = db.engine.dialect.name
        existing = db.session.execute(text("SELECT COUNT(*) FROM activities")).scalar()
        if existing and not args.force:
            sys.exit(f"{existing} activities already in {args.db}; use --force to replace them")
        db.session.close()
        if existing or args.force:
            with db.engine.begin() as conn:
                for table in (
                    "audit_entries",
                    "checkins",
                    "devices",
                    "activities",
                    "volunteers",
                    "households",
                    "users",
                    "categories",
                    "units",
                ):
                    conn.execute(text(f"DELETE FROM {table}"))
        started = time.perf_counter()
        rows = build(args.scale, args.districts)
        print(
            f"generated {len(rows['chk']):,} check-ins, {len(rows['vol']):,} volunteers, "
            f"{len(rows['act']):,} activities in {time.perf_counter() - started:.1f} s"
        )
        load(rows, dialect)
        print(f"loaded in {time.perf_counter() - started:.1f} s total")


if __name__ == "__main__":
    main()
