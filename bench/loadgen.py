"""A small asyncio HTTP/1.1 load generator: keep-alive connections, exact status counts.

Lighter than threads on this 2-core machine (the generator shares the cores with the
server), and it reads every response so results can be checked, not just timed.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Request:
    """One request to send."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Response:
    """What came back."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


@dataclass
class Result:
    """A phase's outcome."""

    responses: list[Response]
    elapsed: float

    @property
    def statuses(self) -> Counter:
        """How many of each status."""
        return Counter(r.status for r in self.responses)

    @property
    def rps(self) -> float:
        """Requests per second over the phase."""
        return len(self.responses) / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """Latency percentile in milliseconds."""
        times = sorted(r.seconds for r in self.responses)
        if not times:
            return 0.0
        index = min(len(times) - 1, max(0, round(p / 100 * len(times)) - 1))
        return times[index] * 1000

    @property
    def median_ms(self) -> float:
        """Median latency in milliseconds."""
        return statistics.median(r.seconds for r in self.responses) * 1000


class Connection:
    """One keep-alive connection; reopened when the server closes it (sync workers do)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: Request) -> Response:
        """Send one request and read the whole response."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "Connection": "keep-alive",
            "Content-Length": str(len(request.body)),
            **request.headers,
        }
        head = f"{request.method} {request.path} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()
        )
        started = time.perf_counter()
        self.writer.write(head.encode("latin-1") + b"\r\n" + request.body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        response_headers: dict[str, str] = {}
        set_cookies = []
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "set-cookie":
                set_cookies.append(value.strip())
            response_headers[name.lower()] = value.strip()
        if set_cookies:
            response_headers["set-cookie"] = "\n".join(set_cookies)
        length = int(response_headers.get("content-length", "0"))
        body = await self.reader.readexactly(length) if length else b""
        elapsed = time.perf_counter() - started
        if response_headers.get("connection", "").lower() == "close":
            self.close()
        return Response(status, response_headers, body, elapsed)

    def close(self) -> None:
        """Drop the connection."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _run(port: int, requests: list[Request], concurrency: int) -> Result:
    queue: asyncio.Queue[tuple[int, Request]] = asyncio.Queue()
    for item in enumerate(requests):
        queue.put_nowait(item)
    responses: list[Response | None] = [None] * len(requests)

    async def worker() -> None:
        connection = Connection(port)
        try:
            while not queue.empty():
                index, request = queue.get_nowait()
                try:
                    responses[index] = await connection.send(request)
                except (ConnectionError, asyncio.IncompleteReadError, OSError):
                    connection.close()  # retry once on a fresh connection
                    responses[index] = await connection.send(request)
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return Result([r for r in responses if r is not None], elapsed)


def run(port: int, requests: list[Request], concurrency: int) -> Result:
    """Send all requests with ``concurrency`` connections; return every response."""
    return asyncio.run(_run(port, requests, concurrency))
