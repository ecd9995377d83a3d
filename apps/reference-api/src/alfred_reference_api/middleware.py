"""Pure ASGI middleware: request ids with access logs and a last-resort 500, and the body limit.

Pure ASGI (not `BaseHTTPMiddleware`) keeps the per-request cost low and streaming intact.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alfred_reference_api.errors import problem_response
from alfred_reference_api.logs import request_id_var

__all__ = ["BodyLimitMiddleware", "RequestIdMiddleware"]

_log = logging.getLogger("alfred.access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestIdMiddleware:
    """Give every request an id (the client's `X-Request-ID` when sane), echo it, log the request.

    It is also the last line of defence: an exception nothing handled becomes a problem+json 500
    that carries the request id, and the traceback goes to the log, never to the client.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            _log.exception("unhandled error", extra={"path": scope["path"]})
            if response_started:
                raise
            response = problem_response(
                500,
                "internal_error",
                "an unexpected error occurred; quote the request id",
                instance=scope["path"],
            )
            await response(scope, receive, send_with_id)
        finally:
            _log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


class BodyLimitMiddleware:
    """Answer 413 for request bodies over `max_bytes`, before anything parses them.

    A declared `Content-Length` over the limit is refused at once; a chunked body is counted as it
    streams and refused the moment it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            status, code = (
                (413, "payload_too_large") if declared.isdigit() else (400, "bad_request")
            )
            response = problem_response(
                status,
                code,
                f"request body over the {self.max_bytes}-byte limit"
                if status == 413
                else "invalid Content-Length header",
                instance=scope["path"],
            )
            await response(scope, receive, send)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise StarletteHTTPException(
                        413, f"request body over the {self.max_bytes}-byte limit"
                    )
            return message

        await self.app(scope, counting_receive, send)
