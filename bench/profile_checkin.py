"""The check-in path's CPU cost in process, beside /healthz, without a server or a network.

    .venv/bin/python bench/profile_checkin.py [--db sqlite|postgresql] [-n 1000]
        [--profile "api check-in"] [--rate-limits]

Prepares a fresh database as bench/checkin_burst.py does, then calls the WSGI app directly
with prebuilt requests, one thread, and prints the mean microseconds per request of each
phase (the floor, the API check-in and repeat, the form GET and POST). ``--profile PHASE``
runs that phase under pyinstrument (install it into the venv; it is not a dependency) and
prints the call tree. This is where the per-request costs quoted in docs/benchmarks.md come
from; the throughput targets themselves are measured by checkin_burst.py under gunicorn.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from werkzeug.test import EnvironBuilder  # noqa: E402

from bench.checkin_burst import cookies_from, database, prepare  # noqa: E402
from bench.harness import SECRET  # noqa: E402


def environ(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> dict:
    """A WSGI environ as gunicorn would hand it over."""
    builder = EnvironBuilder(
        path=path,
        method=method,
        headers=headers,
        data=body,
        base_url="http://127.0.0.1:8000",
    )
    try:
        return builder.get_environ()
    finally:
        builder.close()


def call(app, env: dict) -> tuple[int, dict[str, str], bytes]:
    """One request through the WSGI app, body read to the end."""
    env = dict(env)
    env["wsgi.input"] = io.BytesIO(env["wsgi.input"].getvalue())
    status: list[str] = []
    headers: dict[str, str] = {}

    def start_response(s, h, exc_info=None):
        status.append(s)
        for k, v in h:
            headers[k.lower()] = headers[k.lower()] + "\n" + v if k.lower() in headers else v

    chunks = app(env, start_response)
    body = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return int(status[0].split()[0]), headers, body


def phases(info: dict, n: int) -> dict[str, list[dict]]:
    """Prebuilt environs per phase (form POSTs are built after the GETs answer)."""
    auth = {"Authorization": f"Bearer {info['api_token']}", "Content-Type": "application/json"}
    api_path = f"/api/v1/activities/{info['activities'][('api', 32, 0)]}/checkins"
    api = [
        environ("POST", api_path, auth, json.dumps({"phone": phone}).encode())
        for phone, _ in info["volunteers"][:n]
    ]
    scan_path = "/c/" + info["tokens"][("form", 32, 0)]
    gets = [
        environ("GET", scan_path, {"Cookie": f"vdev={device}", "Accept-Language": "zh-CN"})
        for _, device in info["volunteers"][:n]
    ]
    return {
        "healthz": [environ("GET", "/healthz", {})] * n,
        "api check-in": api,
        "api repeat": api,
        "form GET": gets,
        "form POST": [],
        "_scan_path": scan_path,  # type: ignore[dict-item]
    }


def form_posts(app, gets: list[dict], scan_path: str) -> list[dict]:
    """The form POST of each volunteer, with the CSRF token and session its GET gave."""
    posts = []
    for env in gets:
        status, headers, body = call(app, env)
        assert status == 200, status
        csrf = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', body)
        session = cookies_from(headers.get("set-cookie", "")).get("session", "")
        device = env["HTTP_COOKIE"].split("=", 1)[1]
        posts.append(
            environ(
                "POST",
                scan_path,
                {
                    "Cookie": f"vdev={device}; session={session}",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                f"csrf_token={csrf.group(1).decode()}&action=check_in".encode(),
            )
        )
    return posts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("-n", type=int, default=1000, help="requests per phase")
    parser.add_argument("--profile", help="phase to run under pyinstrument")
    parser.add_argument("--rate-limits", action="store_true", help="keep Flask-Limiter on")
    args = parser.parse_args()
    os.environ.setdefault("APP_ENV", "development")
    with tempfile.TemporaryDirectory() as tmp, database(args.db, Path(tmp)) as uri:
        info = prepare(uri, args.n, [32], 1)
        from volunteer_app import create_app

        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": uri,
                "SECRET_KEY": SECRET,
                "RATELIMIT_ENABLED": args.rate_limits,
            }
        )
        envs = phases(info, args.n)
        scan_path = envs.pop("_scan_path")
        warm = environ("GET", "/healthz", {})
        for _ in range(50):
            call(app, warm)
        print(f"# in process, {args.db}, {args.n} requests per phase, one thread\n")
        print("| phase | µs per request | × healthz | statuses |")
        print("|---|---:|---:|---|")
        floor = None
        for name, batch in envs.items():
            if name == "form POST":
                batch = form_posts(app, envs["form GET"], scan_path)
            profiler = None
            if args.profile == name:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0002)
                profiler.start()
            statuses: dict[int, int] = {}
            started = time.perf_counter()
            for env in batch:
                status = call(app, env)[0]
                statuses[status] = statuses.get(status, 0) + 1
            per = (time.perf_counter() - started) / len(batch) * 1e6
            if profiler:
                profiler.stop()
            floor = floor or per
            print(f"| {name} | {per:.0f} | {per / floor:.2f} | {statuses} |")
            if profiler:
                show_all = bool(os.environ.get("SHOW_ALL"))  # every frame, libraries' too
                print(profiler.output_text(unicode=True, color=False, show_all=show_all))
        from volunteer_app.extensions import db

        with app.app_context():
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
