"""A dispatcher process killed with SIGKILL in the middle of a burst loses no delivery."""

import asyncio
import signal
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from alfred_automation import OutboxSink
from alfred_automation.testing import Receiver, Reply
from alfred_crm_core import Database

from .conftest import KEY_1, MakeDestination, subprocess_env

pytestmark = pytest.mark.anyio

WORKER = Path(__file__).with_name("worker_process.py")
EVENTS = 1000


async def start_worker(database_url: str) -> asyncio.subprocess.Process:
    env = subprocess_env(ALFRED_DATABASE_URL=database_url, ALFRED_KEY=KEY_1.hex())
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), env=env, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    assert await asyncio.wait_for(process.stdout.readline(), 30) == b"ready\n"
    return process


async def until_settled(db: Database, *, within: float) -> None:
    async with asyncio.timeout(within):
        while True:
            async with db.system_transaction() as session:
                left = (
                    await session.execute(
                        text("SELECT count(*) FROM automation_deliveries WHERE status = 'pending'")
                    )
                ).scalar_one()
            if not left:
                return
            await asyncio.sleep(0.1)


async def test_a_worker_killed_mid_burst_delivers_every_event_after_a_restart(
    db: Database,
    database_url: str,
    tenant: uuid.UUID,
    receiver: Receiver,
    make_destination: MakeDestination,
) -> None:
    receiver.default = Reply(200, delay=0.01)  # a realistic receiver keeps sends in flight
    await make_destination(receiver.url_for("/hook"))
    first = await start_worker(database_url)
    published: set[str] = set()

    async def burst() -> None:
        sink = OutboxSink()
        for _ in range(EVENTS // 50):
            async with db.transaction(tenant) as session:
                for _ in range(50):
                    event, _ = await sink.publish(
                        session, tenant_id=tenant, type="message.ingested", payload={"n": 1}
                    )
                    published.add(str(event.id))

    started = time.perf_counter()
    publishing = asyncio.create_task(burst())
    try:
        await receiver.wait_for(150, within=30, distinct_events=True)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        killed_at = time.perf_counter()
        before = len(receiver.event_ids())
        await publishing
        async with db.system_transaction() as session:
            in_flight = (
                await session.execute(
                    text(
                        "SELECT count(*) FROM automation_deliveries"
                        " WHERE status = 'pending' AND claimed_until IS NOT NULL"
                    )
                )
            ).scalar_one()
        assert before < EVENTS
        second = await start_worker(database_url)
        try:
            await receiver.wait_for(EVENTS, within=60, distinct_events=True)
            # Deliveries the dead worker sent but never recorded are sent again (at least once)
            # when their lease ends; wait until the table says so too.
            await until_settled(db, within=30)
        finally:
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), 10) == 0
    finally:
        if first.returncode is None:
            first.kill()
        publishing.cancel()
    finished = time.perf_counter()
    assert receiver.event_ids() == published
    assert len(published) == EVENTS
    async with db.system_transaction() as session:
        rows = (
            await session.execute(
                text("SELECT status, count(*) AS n FROM automation_deliveries GROUP BY status")
            )
        ).all()
    assert {(r.status, r.n) for r in rows} == {("succeeded", EVENTS)}
    duplicates = len(receiver.requests) - EVENTS
    print(  # visible with -s: the figures of this run
        f"\ncrash test: {before} delivered before SIGKILL at {killed_at - started:.2f} s, "
        f"{in_flight} claimed by the dead worker, all {EVENTS} delivered after "
        f"{finished - started:.2f} s, {duplicates} duplicate sends"
    )
