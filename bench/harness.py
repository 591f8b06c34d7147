"""A real gunicorn server for reliability tests and benchmarks, and phones that talk to it."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]  # the project
SECRET = "reliability-test-secret-0123456789abcdef"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A running gunicorn master; ``kill()`` sends SIGKILL to it and its workers."""

    process: subprocess.Popen
    port: int

    def kill(self) -> None:
        """Kill the whole process group at once, as a power cut or OOM killer would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@contextmanager
def gunicorn(
    database_uri: str,
    *,
    workers: int = 4,
    threads: int = 4,
    worker_class: str = "gthread",
    env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
    app: str = "volunteer_app:create_app()",
):
    """Serve the app with gunicorn on a free port until the block ends."""
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": database_uri,
        "SECRET_KEY": SECRET,
        "RATELIMIT_ENABLED": "false",
        **(env or {}),
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "-c",
        "python:volunteer_app.gunicorn_conf",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        worker_class,
        *(extra_args or []),
        app,
    ]
    # The server's log goes to a file: a pipe nobody reads would fill and stall the server.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    server = Server(process, port)
    try:
        _wait_healthy(server)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.seek(0)
        text = log.read().decode(errors="replace")
        log.close()
        assert "Traceback" not in text, text[-4000:]


def _wait_healthy(server: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}")
        try:
            status, _, _ = Phone(server.port).request("GET", "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not become healthy")


@dataclass
class Phone:
    """One browser: its own cookies, plain HTTP/1.1 like a phone on a weak network."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, str]:
        """Send a request; keep the cookies the server sets."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"User-Agent": "reliability-test-phone", "Accept-Language": "zh-CN"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            return response.status, dict(response.getheaders()), text
        finally:
            conn.close()

    def open_form(self, path: str, **fields) -> dict:
        """Open the QR link and fill in its form (the action the page offers)."""
        status, _, html = self.request("GET", path)
        assert status == 200, (status, html[-500:])
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
        action = re.search(r'name="action" value="([a-z_]+)"', html)
        assert token and action, "the page offers no form"
        return {"csrf_token": token.group(1), "action": action.group(1), **fields}

    def submit(self, path: str, form: dict) -> tuple[int, str]:
        """Tap the button: post the form."""
        status, _, html = self.request("POST", path, form)
        return status, html

    def scan(self, path: str, **fields) -> tuple[int, str]:
        """Open the QR link and tap the button once."""
        return self.submit(path, self.open_form(path, **fields))
