"""A small closed-loop HTTP/1.1 load generator on asyncio streams (keep-alive, no dependencies).

The same generator drives every target in `make bench`, so ratios between targets are fair.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import quantiles


@dataclass
class Result:
    """What one load run measured."""

    requests: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else 0.0
        return quantiles(self.latencies_ms, n=1000)[int(p * 10) - 1]


RequestFactory = Callable[[int], tuple[str, str, bytes, dict[str, str]]]


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def run(
    host: str,
    port: int,
    make_request: RequestFactory,
    *,
    connections: int,
    duration: float,
    max_requests: int | None = None,
) -> Result:
    """Keep `connections` keep-alive connections busy for `duration` seconds (or `max_requests`)."""
    result = Result()
    counter = 0
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        nonlocal counter
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < deadline and (
                max_requests is None or counter < max_requests
            ):
                n = counter
                counter += 1
                method, path, body, headers = make_request(n)
                head = (
                    f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"
                )
                head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                started = time.perf_counter()
                writer.write(head.encode() + b"\r\n" + body)
                try:
                    status = await _read_response(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    result.errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                result.requests += 1
                result.statuses[status] = result.statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    result.seconds = time.perf_counter() - started
    return result
