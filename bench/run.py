"""`make bench`: measure Alfred on a fresh embedded database, print a table, write JSON.

Phases (each bounded in time; the whole run takes a few minutes on 2 cores):
1. ingestion: `POST /webhooks/email` under load across 10 tenants and many contacts, side by side
   with the floor (`bench/floor.py`: raw Starlette + asyncpg doing the same essential SQL), both
   driven by the same load generator;
2. delivery (`bench/delivery.py`): one `alfred-api worker` process, started for this phase only,
   delivering to a local receiver: deliveries/s draining a backlog of 2,000 events and during a
   live burst, and the median/p99 from the ingestion response to arrival at the receiver;
3. reads: `GET /conversations` (first page and a deep cursor) over 1,000,000 messages in 100,000
   conversations across 100 tenants, generated with SQL;
4. jobs: `overdue-tasks` over 100,000 overdue tasks across 1,000 tenants;
5. triage accuracy of the configured heuristics per intent and language (held-out set);
6. the API process's resident memory.
Figures vary 15-25% between runs on these machines: compare ratios from the same run.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).parent))
from delivery import measure_delivery
from loadgen import Result, run

ROOT = Path(__file__).resolve().parents[1]
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"bench: {url} exited early")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"bench: {url} not ready within {timeout} s")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def stats(r: Result) -> dict[str, Any]:
    return {
        "requests_per_second": round(r.rps, 1),
        "p50_ms": round(r.pct(50), 2),
        "p99_ms": round(r.pct(99), 2),
        "requests": r.requests,
        "errors": r.errors,
        "statuses": {str(k): v for k, v in sorted(r.statuses.items())},
    }


BODIES = [
    "Olá, qual o preço do plano anual para 10 usuários?",
    "Hi, the dashboard is down since this morning, please help!",
    "Quero cancelar minha assinatura.",
    "Can we schedule a demo next Tuesday?",
]


def ingest_request(tokens: list[tuple[str, str]], floor: bool):  # type: ignore[no-untyped-def]
    def make(n: int) -> tuple[str, str, bytes, dict[str, str]]:
        tenant, token = tokens[n % len(tokens)]
        body = json.dumps(
            {
                "message_id": f"bench-{'f' if floor else 'a'}-{uuid.uuid4().hex}",
                "from": f"customer{n % 2000}@bench{n % len(tokens)}.com",
                "from_name": f"Customer {n % 2000}",
                "body": BODIES[n % len(BODIES)],
                "sent_at": "2026-11-26T12:00:00+00:00",
            }
        ).encode()
        headers = {"Content-Type": "application/json"}
        if floor:
            return "POST", f"/floor/{tenant}", body, headers
        return (
            "POST",
            "/api/v1/webhooks/email",
            body,
            {**headers, "Authorization": f"Bearer {token}"},
        )

    return make


async def generate_reads_data(url: str, tenants: list[str]) -> float:
    started = time.monotonic()
    conn = await asyncpg.connect(url)
    try:
        extra = await conn.fetch(
            "INSERT INTO tenants (id, name) SELECT gen_random_uuid(), 'bench ' || g "
            "FROM generate_series(1, $1) g RETURNING id",
            100 - len(tenants),
        )
        ids = [uuid.UUID(t) for t in tenants] + [r["id"] for r in extra]
        await conn.execute("CREATE TEMP TABLE bench_t (n int, id uuid)")
        await conn.executemany("INSERT INTO bench_t VALUES ($1, $2)", list(enumerate(ids)))
        # 100,000 contacts and conversations (1,000 per tenant), then 10 messages each.
        await conn.execute(
            """
            INSERT INTO contacts (id, tenant_id, name, email)
            SELECT gen_random_uuid(), t.id, 'Reader ' || g, 'reader' || g || '@bench.io'
            FROM generate_series(0, 99999) g JOIN bench_t t ON t.n = g % 100
            """
        )
        await conn.execute(
            """
            INSERT INTO conversations (id, tenant_id, contact_id, channel, status,
                                       last_message_at, last_activity_at)
            SELECT gen_random_uuid(), c.tenant_id, c.id, 'email', 'open', ts, ts
            FROM (SELECT id, tenant_id, now() - random() * interval '90 days' AS ts
                  FROM contacts WHERE email LIKE 'reader%@bench.io') c
            """
        )
        await conn.execute(
            """
            INSERT INTO messages (id, tenant_id, conversation_id, direction, channel, external_id,
                                  sender, body, sent_at)
            SELECT gen_random_uuid(), v.tenant_id, v.id, 'inbound', 'email',
                   'gen-' || v.id || '-' || k, 'reader@bench.io', 'Mensagem de teste ' || k,
                   v.last_message_at - k * interval '1 hour'
            FROM conversations v CROSS JOIN generate_series(1, 10) k
            WHERE v.contact_id IN (SELECT id FROM contacts WHERE email LIKE 'reader%@bench.io')
            """
        )
        # Settle the bulk load as a live database would be: visibility map and hint bits set,
        # statistics fresh, dirty pages written, so the reads measure reads, not write-back.
        await conn.execute("VACUUM ANALYZE")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    return time.monotonic() - started


async def generate_jobs_data(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            """
            WITH t AS (
                INSERT INTO tenants (id, name)
                SELECT gen_random_uuid(), 'jobs ' || g FROM generate_series(1, 1000) g
                RETURNING id
            )
            INSERT INTO tasks (id, tenant_id, title, due_at, priority, status)
            SELECT gen_random_uuid(), t.id, 'Bench task ' || k, now() - interval '1 hour',
                   'medium', 'todo'
            FROM t CROSS JOIN generate_series(1, 100) k
            """
        )
        await conn.execute("ANALYZE tasks")
    finally:
        await conn.close()


async def time_overdue_job(url: str) -> dict[str, Any]:
    from alfred_crm_core import Database
    from alfred_reference_api import Settings
    from alfred_reference_api.jobs import JOBS, JobContext, run_job

    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    database = Database.from_url(url, pool_size=2)
    try:
        started = time.monotonic()
        report = await run_job(JOBS["overdue-tasks"], JobContext(database, settings))
        seconds = time.monotonic() - started
    finally:
        await database.dispose()
    return {"seconds": round(seconds, 2), "tasks_notified": report.items, "tenants": report.tenants}


async def triage_accuracy() -> dict[str, Any]:
    import alfred_ai
    from alfred_ai.evaluation import evaluate

    out: dict[str, Any] = {}
    for split in ("tune", "holdout"):
        report = await evaluate(alfred_ai.load_provider("mock"), split)
        out[split] = {
            "overall": round(report.overall.accuracy, 3),
            "per_language": {k.value: round(v.accuracy, 3) for k, v in report.per_language.items()},
            "per_intent": {k.value: round(v.accuracy, 3) for k, v in report.per_intent.items()},
        }
    return out


async def measure(
    api: str, floor: str, url: str, worker_env: dict[str, str], worker_log: Path
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        tokens: list[tuple[str, str]] = []
        for i in range(10):
            r = await client.post(
                "/api/v1/auth/register",
                json={"name": f"Bench {i}", "email": f"bench{i}@bench.io", "password": "benchmark"},
            )
            r.raise_for_status()
            tokens.append((r.json()["tenant"]["id"], r.json()["access_token"]))

        api_port, floor_port = int(api.rsplit(":", 1)[1]), int(floor.rsplit(":", 1)[1])
        # Warm both up briefly, then measure side by side.
        await run("127.0.0.1", api_port, ingest_request(tokens, False), connections=4, duration=1)
        await run("127.0.0.1", floor_port, ingest_request(tokens, True), connections=4, duration=1)
        alfred = await run(
            "127.0.0.1",
            api_port,
            ingest_request(tokens, False),
            connections=CONNECTIONS,
            duration=SECONDS,
        )
        raw = await run(
            "127.0.0.1",
            floor_port,
            ingest_request(tokens, True),
            connections=CONNECTIONS,
            duration=SECONDS,
        )
        results["ingestion"] = {
            "alfred": stats(alfred),
            "floor": stats(raw),
            "ratio_alfred_to_floor": round(alfred.rps / raw.rps, 3) if raw.rps else None,
        }

        # Before the reads/jobs data exist: the worker's scheduler runs every job once at start-up.
        results["delivery"] = await measure_delivery(
            client, api_port, tokens[0][1], worker_env, worker_log
        )

        generated = await generate_reads_data(url, [t for t, _ in tokens])
        _, token = tokens[0]
        auth = {"Authorization": f"Bearer {token}"}
        cursor = None
        for _ in range(15):  # walk 15 pages deep (750 conversations) for the deep cursor
            page = (
                await client.get(
                    "/api/v1/conversations",
                    params={"limit": 50, **({"cursor": cursor} if cursor else {})},
                    headers=auth,
                )
            ).json()
            cursor = page["next_cursor"]
        pages = {
            "first_page": "/api/v1/conversations?limit=50",
            "deep_cursor_page_16": f"/api/v1/conversations?limit=50&cursor={cursor}",
        }
        reads: dict[str, Any] = {
            "data": "1,000,000 messages in 100,000 conversations across 100 tenants",
            "generate_seconds": round(generated, 1),
        }
        # One client: the latency of a request on its own. Eight: under load, where a closed
        # loop's latency is about connections / throughput.
        for name, path in pages.items():
            for connections, suffix in ((1, "_1_client"), (8, "")):
                measured = await run(
                    "127.0.0.1",
                    api_port,
                    lambda _, path=path: ("GET", path, b"", auth),
                    connections=connections,
                    duration=SECONDS / 4,
                )
                reads[name + suffix] = stats(measured)
        results["reads"] = reads
    await generate_jobs_data(url)
    results["jobs"] = {"overdue_tasks_100k_tasks_1000_tenants": await time_overdue_job(url)}
    results["triage_accuracy"] = await triage_accuracy()
    return results


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="alfred-bench-"))
    api_port, floor_port = free_port(), free_port()
    env = {
        **os.environ,
        "ALFRED_DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
        # The delivery phase's receiver listens on 127.0.0.1 (refused otherwise).
        "AUTOMATION_ALLOW_PRIVATE_URLS": "true",
    }
    env.pop("DATABASE_URL", None)
    api = subprocess.Popen(
        [sys.executable, "-m", "alfred_reference_api.cli", "serve", "--port", str(api_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    floor: subprocess.Popen[bytes] | None = None
    try:
        startup = wait_ready(f"http://127.0.0.1:{api_port}/api/v1/health/ready", api)
        from alfred_crm_core import EmbeddedPostgres

        url = EmbeddedPostgres(data_dir).start()
        floor = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                str(Path(__file__).parent),
                "floor:app",
                "--port",
                str(floor_port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env={**env, "FLOOR_DATABASE_URL": url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_ready(f"http://127.0.0.1:{floor_port}/floor/x", floor)
        results = asyncio.run(
            measure(
                f"http://127.0.0.1:{api_port}",
                f"http://127.0.0.1:{floor_port}",
                url,
                {**env, "DATABASE_URL": url},
                data_dir / "worker.log",
            )
        )
        results["startup_seconds_fresh_embedded_db"] = round(startup, 2)
        results["api_worker_rss_mb"] = round(rss_mb(api.pid), 1)
    finally:
        for proc in (api, floor):
            if proc is not None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(data_dir, ignore_errors=True)
    report(results)


def report(r: dict[str, Any]) -> None:
    ing, reads, dlv = r["ingestion"], r["reads"], r["delivery"]
    drain, live, lat = dlv["backlog_drain"], dlv["live_burst"], dlv["ingestion_to_arrival"]
    rows: list[tuple[str, Any]] = [
        ("ingestion: Alfred POST /webhooks/email req/s", ing["alfred"]["requests_per_second"]),
        (
            "ingestion: Alfred p50 / p99 (ms)",
            f"{ing['alfred']['p50_ms']} / {ing['alfred']['p99_ms']}",
        ),
        ("ingestion: floor (Starlette+asyncpg) req/s", ing["floor"]["requests_per_second"]),
        ("ingestion: floor p50 / p99 (ms)", f"{ing['floor']['p50_ms']} / {ing['floor']['p99_ms']}"),
        ("ingestion: Alfred / floor throughput", ing["ratio_alfred_to_floor"]),
        ("delivery: 1 worker, backlog of 2,000 events, deliv/s", drain["deliveries_per_second"]),
        (
            "delivery: backlog distinct arrived / missing / dup",
            f"{drain['distinct_events_arrived']} / {drain['missing']} / "
            f"{drain['duplicate_requests']}",
        ),
        ("delivery: 1 worker, live burst of 2,000, deliv/s", live["deliveries_per_second"]),
        ("delivery: live burst published via API, events/s", live["publish_per_second"]),
        (
            "delivery: live burst distinct arrived / missing / dup",
            f"{live['distinct_events_arrived']} / {live['missing']} / {live['duplicate_requests']}",
        ),
        (
            f"delivery: ingestion -> receiver p50 / p99 (ms), n={lat['arrived']}",
            f"{lat['p50_ms']} / {lat['p99_ms']}",
        ),
        *(
            (
                f"reads: {label}, {who} p50 / p99 (ms)",
                f"{reads[key]['p50_ms']} / {reads[key]['p99_ms']}",
            )
            for label, page in (("first page", "first_page"), ("page 16", "deep_cursor_page_16"))
            for who, key in (("1 client", f"{page}_1_client"), ("8 clients", page))
        ),
        ("reads: first page, 8 clients, req/s", reads["first_page"]["requests_per_second"]),
        (
            "jobs: overdue-tasks, 100k tasks / 1,000 tenants (s)",
            r["jobs"]["overdue_tasks_100k_tasks_1000_tenants"]["seconds"],
        ),
        ("startup to ready, fresh embedded DB (s)", r["startup_seconds_fresh_embedded_db"]),
        ("API worker RSS after the run (MB)", r["api_worker_rss_mb"]),
    ]
    for split in ("holdout", "tune"):
        acc = r["triage_accuracy"][split]
        rows.append((f"triage accuracy ({split}) overall", acc["overall"]))
        rows += [(f"  {split} language {k}", v) for k, v in acc["per_language"].items()]
        rows += [(f"  {split} intent {k}", v) for k, v in acc["per_intent"].items()]
    print("\nAlfred benchmark (2 cores shared by load generator, API and PostgreSQL)\n")
    print(f"{'measure':<56} {'value':>16}")
    print("-" * 73)
    for name, value in rows:
        print(f"{name:<56} {value!s:>16}")
    (ROOT / "bench-results.json").write_text(json.dumps(r, indent=2))
    print(f"\nwritten: {ROOT / 'bench-results.json'}")


if __name__ == "__main__":
    main()
