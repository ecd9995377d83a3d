"""RFC 9457 problem responses, and the one table that maps domain errors to HTTP statuses."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from alfred_crm_core import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    ConsentRequiredError,
    CRMError,
    DatabaseError,
    NotFoundError,
    PermissionDeniedError,
    ThrottledError,
    ValidationError,
)

__all__ = [
    "PROBLEM_JSON",
    "Problem",
    "ProblemError",
    "install_error_handlers",
    "problem_response",
    "problems",
]

_log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

STATUS_FOR: Mapping[type[CRMError], int] = {
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    ConsentRequiredError: 409,
    ValidationError: 422,
    ThrottledError: 429,
    DatabaseError: 503,
    ConfigurationError: 500,
}


def _headers_for(exc: CRMError) -> dict[str, str] | None:
    if isinstance(exc, AuthenticationError):
        return {"WWW-Authenticate": "Bearer"}  # RFC 7235: every 401 names the scheme
    if isinstance(exc, ThrottledError):
        return {"Retry-After": str(exc.retry_after)}
    return None


# Stable codes for plain HTTP errors raised by the framework (unknown route, wrong method, ...).
_CODE_FOR_STATUS: Mapping[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class FieldError(BaseModel):
    """One invalid input field."""

    field: str = Field(description="Dotted path of the field, e.g. `body.email`.")
    message: str
    type: str = Field(description="Machine-readable reason, e.g. `missing`, `string_too_short`.")


class Problem(BaseModel):
    """An RFC 9457 problem document (`application/problem+json`)."""

    type: str = Field(description="URI naming the problem type.")
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable machine-readable code.")
    instance: str | None = None
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[FieldError] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.headers = dict(headers or {})
        self.errors = list(errors) if errors is not None else None


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    instance: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Build a problem+json response."""
    body: dict[str, Any] = {
        "type": f"urn:alfred:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = [e.model_dump() for e in errors]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[FieldError]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        out.append(
            FieldError(
                field=".".join(loc) or "body",
                message=str(err.get("msg", "invalid")),
                type=str(err.get("type", "invalid")),
            )
        )
    return out


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    fields = ", ".join(dict.fromkeys(e.field for e in errors))
    return problem_response(
        422,
        "validation_error",
        f"invalid input: {fields}",
        instance=request.url.path,
        errors=errors,
    )


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _CODE_FOR_STATUS.get(status, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    if status == 404 and detail == "Not Found":
        detail = f"no resource at {request.url.path}"
    return problem_response(status, code, detail, instance=request.url.path, headers=exc.headers)


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.status,
        exc.code,
        exc.detail,
        instance=request.url.path,
        errors=exc.errors,
        headers=exc.headers,
    )


async def _on_crm(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CRMError)
    status = next((s for cls, s in STATUS_FOR.items() if isinstance(exc, cls)), 500)
    if status >= 500:
        _log.error("domain error", exc_info=exc)
    elif isinstance(exc, AuthenticationError):
        # The cause goes to the log only: the response is the same for every cause.
        _log.info("authentication failed", extra={"reason": exc.reason, "code": exc.code})
    errors = None
    if isinstance(exc, ValidationError):
        errors = [FieldError(field=exc.field, message=str(exc), type=exc.code)]
    detail = str(exc) if status < 500 else HTTPStatus(status).phrase
    return problem_response(
        status,
        exc.code,
        detail,
        instance=request.url.path,
        errors=errors,
        headers=_headers_for(exc),
    )


_DATA_EXCEPTION = "22"  # SQLSTATE class 22: a value PostgreSQL cannot store or compare


async def _on_data_error(request: Request, exc: Exception) -> JSONResponse:
    """A value the database refused (class 22): the caller's input, so 422, never a 500.

    Validation catches what it can name first; this is the net under it for what only the
    database knows, such as a NUL character (U+0000), which no PostgreSQL text can hold. The
    request's transaction has been rolled back, so nothing of it was written.
    """
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    sqlstate = str(getattr(orig, "sqlstate", "") or "")
    if not sqlstate.startswith(_DATA_EXCEPTION):
        raise exc  # not the input's fault: the middleware's 500
    _log.warning("value refused by the database", extra={"sqlstate": sqlstate}, exc_info=exc)
    if sqlstate in ("22021", "22P05"):  # NUL in text; \u0000 in jsonb
        message = "text must not contain the NUL character (\\u0000)"
    else:  # the driver's or server's words name internals: say what kind of problem it is
        message = "a number, date or text is outside what can be stored"
    return problem_response(
        422,
        "unstorable_value",
        f"a value in the request cannot be stored: {message}",
        instance=request.url.path,
    )


_DESCRIPTIONS: Mapping[int, str] = {
    401: "Missing or invalid credentials (the same body for every cause).",
    403: "Authenticated, but the role does not allow it.",
    404: "No such resource in the caller's tenant.",
    409: "Conflicts with an existing resource.",
    422: "Invalid input; `errors` names each field.",
    429: "Too many attempts; retry after `Retry-After` seconds.",
}


_HEADERS: Mapping[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
    429: {
        "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}},
    },
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries documenting problem+json answers with these statuses."""
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS.get(status, HTTPStatus(status).phrase),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            **({"headers": _HEADERS[status]} if status in _HEADERS else {}),
        }
        for status in statuses
    }


def install_error_handlers(app: FastAPI) -> None:
    """Render every expected error as problem+json (unexpected ones: see the middleware)."""
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(CRMError, _on_crm)
    app.add_exception_handler(DBAPIError, _on_data_error)
    app.add_exception_handler(asyncpg.DataError, _on_data_error)
