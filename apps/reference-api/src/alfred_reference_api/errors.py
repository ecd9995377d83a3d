"""RFC 9457 problem responses, and the one table that maps domain errors to HTTP statuses."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from alfred_crm_core import (
    ConfigurationError,
    ConflictError,
    CRMError,
    DatabaseError,
    NotFoundError,
    ValidationError,
)

__all__ = [
    "PROBLEM_JSON",
    "Problem",
    "ProblemError",
    "install_error_handlers",
    "problem_response",
]

_log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

STATUS_FOR: Mapping[type[CRMError], int] = {
    NotFoundError: 404,
    ConflictError: 409,
    ValidationError: 422,
    DatabaseError: 503,
    ConfigurationError: 500,
}

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
    errors = None
    if isinstance(exc, ValidationError):
        errors = [FieldError(field=exc.field, message=str(exc), type=exc.code)]
    detail = str(exc) if status < 500 else HTTPStatus(status).phrase
    return problem_response(status, exc.code, detail, instance=request.url.path, errors=errors)


def install_error_handlers(app: FastAPI) -> None:
    """Render every expected error as problem+json (unexpected ones: see the middleware)."""
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(CRMError, _on_crm)
