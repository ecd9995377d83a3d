"""The delivery phase of `make bench`: one `alfred-api worker` delivering to a local receiver.

The receiver is `alfred_automation.testing.Receiver` (a real HTTP/1.1 server on 127.0.0.1 in this
process, answering 200, recording `time.monotonic()` when each request's body was read). One
destination of one tenant points at it. The worker is a separate `alfred-api worker` process (one
dispatcher, default settings) on the same database, started only for this phase and stopped at its
end, so it does not disturb the other phases. It is started after the ingestion phase and before
the reads/jobs data are generated, so the jobs its scheduler runs once at start-up find only the
10 bench tenants.

1. backlog drain: `BURST` events are published (`POST /automations/events`, 16 connections) while
   no worker runs; then the worker starts and the figure is distinct event ids arrived divided by
   the time from the first to the last arrival: the dispatcher's own throughput.
2. latency: `LATENCY_EVENTS` webhooks (`POST /webhooks/email`) one at a time, each waiting for its
   delivery before the next; per event, arrival at the receiver minus the moment the ingestion
   response came back (matched on the envelope's `payload.external_id`, the webhook's
   `message_id`).
3. live burst: `BURST` more events published at 16 connections while the worker runs; the same
   rate, here bounded by whichever is slower, the API publishing or the worker delivering.
"""

from __future__ import annotations

import asyncio
import json
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from loadgen import run

from alfred_automation.testing import Receiver

BURST = 2000
LATENCY_EVENTS = 200
CONNECTIONS = 16
EVENT_TYPE = "bench.burst"


def _pct(values: list[float], p: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=1000)[int(p * 10) - 1]


async def _publish_burst(port: int, token: str, tag: str) -> dict[str, Any]:
    def make(n: int) -> tuple[str, str, bytes, dict[str, str]]:
        body = json.dumps({"type": EVENT_TYPE, "payload": {"run": tag, "n": n}}).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        return "POST", "/api/v1/automations/events", body, headers

    result = await run(
        "127.0.0.1", port, make, connections=CONNECTIONS, duration=300, max_requests=BURST
    )
    return {
        "published": result.statuses.get(201, 0),
        "publish_seconds": round(result.seconds, 2),
        "publish_per_second": round(result.rps, 1),
        "publish_statuses": {str(k): v for k, v in sorted(result.statuses.items())},
    }


async def _wait_burst(
    receiver: Receiver, tag: str, expected: int, within: float, worker: subprocess.Popen[bytes]
) -> dict[str, Any]:
    """Wait until `expected` distinct events of run `tag` arrived (or `within` s), then measure."""
    deadline = time.monotonic() + within
    seen: dict[str, float] = {}
    requests = done = 0
    while True:
        new = receiver.requests[done:]
        done += len(new)
        for r in new:
            if r.event_id is not None and r.json().get("payload", {}).get("run") == tag:
                requests += 1
                seen.setdefault(r.event_id, r.received_at)  # the first arrival counts
        if len(seen) >= expected or time.monotonic() > deadline or worker.poll() is not None:
            break
        await asyncio.sleep(0.2)
    times = sorted(seen.values())
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return {
        "distinct_events_arrived": len(seen),
        "missing": expected - len(seen),
        "duplicate_requests": requests - len(seen),
        "first_to_last_arrival_seconds": round(span, 2),
        "deliveries_per_second": round((len(seen) - 1) / span, 1) if span else None,
    }


async def _latency(client: httpx.AsyncClient, receiver: Receiver, token: str) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {token}"}
    sent: dict[str, float] = {}
    late = 0
    for n in range(LATENCY_EVENTS):
        message_id = f"bench-latency-{uuid.uuid4().hex}"
        before = len(receiver.event_ids())
        r = await client.post(
            "/api/v1/webhooks/email",
            json={
                "message_id": message_id,
                "from": f"latency{n % 20}@bench-latency.com",
                "from_name": f"Latency {n % 20}",
                "body": "Hi, the dashboard is down since this morning, please help!",
                "sent_at": "2026-11-26T12:00:00+00:00",
            },
            headers=auth,
        )
        responded = time.monotonic()
        r.raise_for_status()
        sent[message_id] = responded
        try:
            await receiver.wait_for(before + 1, within=10, distinct_events=True)
        except TimeoutError:
            late += 1
    arrived: dict[str, float] = {}
    for req in receiver.requests:
        body = req.json()
        if body.get("type") != "message.ingested":
            continue
        external_id = body.get("payload", {}).get("external_id")
        if external_id in sent and external_id not in arrived:
            arrived[external_id] = req.received_at
    latencies = [(arrived[m] - sent[m]) * 1000 for m in sent if m in arrived]
    return {
        "events": LATENCY_EVENTS,
        "arrived": len(latencies),
        "missing": LATENCY_EVENTS - len(latencies),
        "waits_over_10s": late,
        "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p99_ms": round(_pct(latencies, 99), 2) if latencies else None,
        "max_ms": round(max(latencies), 2) if latencies else None,
    }


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "alfred_reference_api.cli", "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _check_alive(proc: subprocess.Popen[bytes], log: Path) -> None:
    if proc.poll() is not None:
        tail = log.read_text(errors="replace")[-2000:]
        raise SystemExit(f"bench: the worker exited with {proc.returncode}:\n{tail}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def measure_delivery(
    client: httpx.AsyncClient, api_port: int, token: str, worker_env: dict[str, str], log: Path
) -> dict[str, Any]:
    """Run the three delivery measurements; `worker_env` carries `DATABASE_URL` and the rest."""
    auth = {"Authorization": f"Bearer {token}"}
    async with Receiver() as receiver:
        r = await client.post(
            "/api/v1/automations/destinations",
            json={
                "name": "bench receiver",
                "url": receiver.url_for("/hook"),
                "event_types": ["message.ingested", EVENT_TYPE],
            },
            headers=auth,
        )
        r.raise_for_status()

        backlog = await _publish_burst(api_port, token, "backlog")
        worker = _start_worker(worker_env, log)
        try:
            # Generous bound: it includes the worker's start-up (migrations check, LISTEN).
            backlog |= await _wait_burst(
                receiver, "backlog", backlog["published"], within=180, worker=worker
            )
            _check_alive(worker, log)
            latency = await _latency(client, receiver, token)
            live = await _publish_burst(api_port, token, "live")
            live |= await _wait_burst(
                receiver, "live", live["published"], within=120, worker=worker
            )
            _check_alive(worker, log)
        finally:
            await asyncio.to_thread(_stop, worker)
    return {
        "worker": "one `alfred-api worker` process, default dispatcher settings",
        "receiver": "alfred_automation.testing.Receiver on 127.0.0.1, answering 200",
        "backlog_drain": backlog,
        "ingestion_to_arrival": latency,
        "live_burst": live,
    }
