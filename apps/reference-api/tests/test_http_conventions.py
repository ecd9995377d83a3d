import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

pytestmark = pytest.mark.anyio


class Item(BaseModel):
    name: str = Field(min_length=1)
    qty: int


@pytest.fixture
def probe_app(app: FastAPI) -> FastAPI:
    @app.post("/api/v1/_probe/items", status_code=201)
    async def create(item: Item) -> Item:
        return item

    @app.get("/api/v1/_probe/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    return app


@pytest.fixture
async def probe(probe_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=probe_app), base_url="http://t"
    ) as c:
        yield c


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status and body["code"] == code
    assert {"type", "title", "detail"} <= set(body)
    return body


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert body["instance"] == "/api/v1/no-such-thing"


async def test_wrong_method_is_a_405_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.delete("/api/v1/health"), 405, "method_not_allowed")


async def test_validation_errors_name_each_field(probe: httpx.AsyncClient) -> None:
    r = await probe.post("/api/v1/_probe/items", json={"name": "", "qty": "many"})
    body = assert_problem(r, 422, "validation_error")
    fields = {e["field"] for e in body["errors"]}  # type: ignore[attr-defined]
    assert fields == {"body.name", "body.qty"}


async def test_malformed_json_is_a_422_problem(probe: httpx.AsyncClient) -> None:
    r = await probe.post(
        "/api/v1/_probe/items",
        content=b'{"name": "x",',
        headers={"content-type": "application/json"},
    )
    assert_problem(r, 422, "validation_error")


async def test_unhandled_error_is_a_500_problem_without_internals(
    probe: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        r = await probe.get("/api/v1/_probe/boom", headers={"X-Request-ID": "req-500"})
    body = assert_problem(r, 500, "internal_error")
    assert "secret internals" not in r.text
    assert r.headers["x-request-id"] == "req-500"
    assert any("secret internals" in (rec.exc_text or str(rec.exc_info)) for rec in caplog.records)
    assert body["instance"] == "/api/v1/_probe/boom"


async def test_request_id_is_echoed_when_sane(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/health", headers={"X-Request-ID": "abc-123.x"})
    assert r.headers["x-request-id"] == "abc-123.x"


@pytest.mark.parametrize("bad", ["", "has space", "x" * 129, "inject\u00e9"])
async def test_request_id_is_replaced_when_not_sane(client: httpx.AsyncClient, bad: str) -> None:
    r = await client.get("/api/v1/health", headers=[(b"X-Request-ID", bad.encode("utf-8"))])
    rid = r.headers["x-request-id"]
    assert rid != bad and len(rid) == 32


async def test_every_response_gets_a_fresh_request_id(client: httpx.AsyncClient) -> None:
    ids = {(await client.get("/api/v1/health")).headers["x-request-id"] for _ in range(3)}
    ids.add((await client.get("/nope")).headers["x-request-id"])
    assert len(ids) == 4


async def test_logs_are_json_with_the_request_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    from alfred_reference_api.logs import JsonFormatter

    with caplog.at_level(logging.INFO, logger="alfred.access"):
        await client.get("/api/v1/health", headers={"X-Request-ID": "log-me"})
    lines = [
        json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "alfred.access"
    ]
    assert lines and lines[-1]["request_id"] == "log-me"
    assert lines[-1]["status"] == 200 and lines[-1]["path"] == "/api/v1/health"


async def test_body_over_the_limit_is_refused_before_parsing(probe: httpx.AsyncClient) -> None:
    big = json.dumps({"name": "x" * (1024 * 1024), "qty": 1}).encode()
    assert_problem(await probe.post("/api/v1/_probe/items", content=big), 413, "payload_too_large")


async def test_streamed_body_over_the_limit_is_refused(probe: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 65536

    r = await probe.post(
        "/api/v1/_probe/items", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(r, 413, "payload_too_large")


async def test_body_under_the_limit_is_served(probe: httpx.AsyncClient) -> None:
    r = await probe.post("/api/v1/_probe/items", json={"name": "ok", "qty": 2})
    assert r.status_code == 201 and r.json() == {"name": "ok", "qty": 2}


async def test_openapi_and_swagger_ui_are_served(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/v1/openapi.json")).json()
    assert spec["info"]["title"] == "Alfred CRM API"
    assert "/api/v1/health/ready" in spec["paths"]
    docs = await client.get("/api/v1/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text.lower()
    # Served by the app itself, so the page renders without internet access.
    assert "cdn." not in docs.text and "unpkg" not in docs.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/api/v1/docs/assets/{asset}" in docs.text
        served = await client.get(f"/api/v1/docs/assets/{asset}")
        assert served.status_code == 200 and len(served.content) > 10_000
