"""Test support: a real HTTP receiver on 127.0.0.1, a scripted DNS resolver, signed callbacks.

`Receiver` plays the automation platform: a plain asyncio HTTP/1.1 server (keep-alive, no
framework) that records every request and answers from a script, e.g. 503, 503, then 200; a
``Retry-After``; 410; a slow answer; a redirect; a body larger than the dispatcher reads::

    async with Receiver() as receiver:
        receiver.script(Reply(503), Reply(503, headers={"Retry-After": "1"}), Reply(200))
        ...  # create a destination with receiver.url_for("/hook") and deliver
        assert receiver.event_ids() == {...}

`FakeResolver` stands in for the DNS of the outside internet (for SSRF tests: a public answer
when a destination is saved, a private one when it is delivered to). `callback_headers` signs a
callback the way an automation platform must.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any

from alfred_automation.signing import sign

__all__ = ["FakeResolver", "ReceivedRequest", "Receiver", "Reply", "callback_headers"]

_CHUNK = 64 * 1024
_MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Reply:
    """One scripted answer of a `Receiver`.

    Attributes:
        status: The status code.
        headers: Extra headers (``Retry-After``, ``Location``, ...).
        body: The body.
        delay: Seconds to wait before answering (to trigger timeouts).
        body_size: When set, answer with this many bytes of body instead, streamed in chunks
            (to check that a client reads no more than its cap).
    """

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0
    body_size: int | None = None

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        """A redirect to ``location``."""
        return cls(status=status, headers={"Location": location}, body=b"")


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """A request the receiver got.

    Attributes:
        method: The method.
        path: The path with its query.
        headers: The headers, names in lower case.
        body: The exact body bytes.
        received_at: ``time.monotonic()`` when the body was read.
    """

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    received_at: float

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def event_id(self) -> str | None:
        """The ``X-Alfred-Event-Id`` header."""
        return self.headers.get("x-alfred-event-id")


class Receiver:
    """An HTTP/1.1 server on 127.0.0.1 that records requests and answers from a script.

    Answers come from the script of the request's path if it has one, then from the shared
    script, then ``default``. Use it as an async context manager (or `start` and `close`).

    Args:
        default: The answer once the scripts are used up.
    """

    def __init__(self, *, default: Reply | None = None) -> None:
        self.default = default or Reply()
        self.requests: list[ReceivedRequest] = []
        self.connections = 0
        self._script: deque[Reply] = deque()
        self._path_scripts: dict[str, deque[Reply]] = {}
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[Any]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._closing = asyncio.Event()
        self._arrived = asyncio.Condition()
        self.port = 0

    async def __aenter__(self) -> Receiver:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening and drop open connections."""
        if self._server is None:
            return
        self._server.close()
        self._closing.set()  # ends scripted delays
        for writer in list(self._writers):
            writer.transport.abort()
        handlers = list(self._handlers)
        if handlers:
            _, stuck = await asyncio.wait(handlers, timeout=5)
            for task in stuck:  # pragma: no cover - only a wedged handler gets here
                task.cancel()
        await self._server.wait_closed()
        self._server = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def url_for(self, path: str = "/hook") -> str:
        """The URL of ``path`` on this receiver."""
        return self.url + path

    def script(self, *replies: Reply, path: str | None = None) -> None:
        """Queue answers, for every path or for one ``path``, used in order."""
        if path is None:
            self._script.extend(replies)
        else:
            self._path_scripts.setdefault(path, deque()).extend(replies)

    def event_ids(self) -> set[str]:
        """The distinct ``X-Alfred-Event-Id`` values received (receivers deduplicate by it)."""
        return {r.event_id for r in self.requests if r.event_id is not None}

    def to(self, path: str) -> list[ReceivedRequest]:
        """The requests received on ``path``."""
        return [r for r in self.requests if r.path == path]

    async def wait_for(
        self, count: int, *, within: float = 5.0, distinct_events: bool = False
    ) -> None:
        """Wait until ``count`` requests (or distinct event ids) have arrived, for ``within`` s.

        Raises:
            TimeoutError: They did not arrive in time.
        """

        def enough() -> bool:
            seen = len(self.event_ids()) if distinct_events else len(self.requests)
            return seen >= count

        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(enough)

    def _next_reply(self, path: str) -> Reply:
        queue = self._path_scripts.get(path)
        if queue:
            return queue.popleft()
        if self._script:
            return self._script.popleft()
        return self.default

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None  # start_server runs each connection in a task
        self._handlers.add(task)
        self._writers.add(writer)
        try:
            while not self._closing.is_set() and await self._one(reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._handlers.discard(task)
            self._writers.discard(writer)
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False  # the client closed the connection between requests
        if len(head) > _MAX_HEADER_BYTES:
            return False
        request_line, *lines = head.decode("latin-1").split("\r\n")
        method, path, _version = request_line.split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        reply = self._next_reply(path.split("?", 1)[0])
        async with self._arrived:
            self.requests.append(
                ReceivedRequest(method, path, headers, body, received_at=time.monotonic())
            )
            self._arrived.notify_all()
        if reply.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), reply.delay)
            if self._closing.is_set():
                return False
        size = reply.body_size if reply.body_size is not None else len(reply.body)
        phrase = _phrase(reply.status)
        out = [f"HTTP/1.1 {reply.status} {phrase}", f"Content-Length: {size}"]
        out += [f"{name}: {value}" for name, value in reply.headers.items()]
        writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
        if reply.body_size is None:
            writer.write(reply.body)
            await writer.drain()
        else:
            sent = 0
            while sent < size:
                chunk = min(_CHUNK, size - sent)
                writer.write(b"x" * chunk)
                await writer.drain()
                sent += chunk
        return headers.get("connection", "").lower() != "close"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class FakeResolver:
    """A scripted DNS resolver (a `Resolver`): answers from a table that tests change.

    Args:
        answers: Host name -> addresses. A host missing from the table does not resolve.

    Attributes:
        answers: The table; change it between saving and delivering to simulate rebinding.
        lookups: Every host looked up, in order.
    """

    def __init__(self, answers: Mapping[str, Sequence[str]] | None = None) -> None:
        self.answers: dict[str, list[str]] = {k: list(v) for k, v in (answers or {}).items()}
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        """Answer a lookup from the table.

        Raises:
            socket.gaierror: The host is not in the table.
        """
        self.lookups.append(host)
        try:
            return list(self.answers[host])
        except KeyError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None


def callback_headers(
    secret: str,
    *,
    destination_id: object,
    event_id: str,
    body: bytes,
    timestamp: int,
) -> dict[str, str]:
    """The headers of a callback signed as an automation platform must sign it.

    Args:
        secret: The destination's secret.
        destination_id: The destination's id.
        event_id: The callback's event id (its idempotency key).
        body: The exact body to send.
        timestamp: Epoch seconds.
    """
    return {
        "Content-Type": "application/json",
        "X-Automation-Signature": sign(secret, timestamp, body),
        "X-Automation-Event-Id": event_id,
        "X-Automation-Destination-Id": str(destination_id),
        "X-Automation-Timestamp": str(timestamp),
    }
