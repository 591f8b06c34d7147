"""``make run``: gunicorn's master starts the task consumer beside the web workers and stops
it when it stops (gunicorn_conf.on_starting / on_exit)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from volunteer_app.gunicorn_conf import consumer_command


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid:
            found.append((int(entry.name), command))
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_consumer_command_runs_this_apps_worker():
    command = consumer_command({"JOBS_WORKERS": "3"})
    assert command[1:4] == ["-m", "huey.bin.huey_consumer", "volunteer_app.worker.huey"]
    assert command[-4:] == ["-w", "3", "-k", "thread"]


def test_gunicorn_runs_the_consumer_and_stops_it_with_itself(tmp_path):
    env = {
        **os.environ,
        "RUN_JOBS_CONSUMER": "1",
        "APP_ENV": "testing",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
        "JOBS_QUEUE_FILE": str(tmp_path / "queue.db"),
        "JOBS_WORKERS": "1",
        "WEB_CONCURRENCY": "1",
    }
    env.pop("JOBS_REDIS_URL", None)
    env.pop("REDIS_URL", None)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    bind = f"127.0.0.1:{_free_port()}"
    master = subprocess.Popen(
        [
            str(gunicorn),
            "-c",
            "python:volunteer_app.gunicorn_conf",
            "--bind",
            bind,
            "volunteer_app:create_app()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        consumer = None
        deadline = time.monotonic() + 30
        while consumer is None and time.monotonic() < deadline:
            consumer = next(
                (pid for pid, cmd in _children(master.pid) if "huey_consumer" in cmd), None
            )
            time.sleep(0.2)
        assert consumer is not None, "no consumer beside gunicorn"
        master.send_signal(signal.SIGTERM)  # as stopping make run does
        master.wait(timeout=40)
        assert not Path(f"/proc/{consumer}").exists() or "Z" in _state(consumer)
    finally:
        if master.poll() is None:
            master.kill()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
