"""Run by test_callbacks in two separate processes: send signed callbacks, print the statuses.

Settings come from the environment (see `main`); the clock is frozen at ALFRED_NOW so that both
processes count in the same rate-limit window whatever the wall clock says. The process prints
"ready" once connected and starts sending when it reads a line on stdin, so that the two
processes send at the same time.
"""

import asyncio
import json
import os
import sys
import uuid
from datetime import datetime

from alfred_automation import CallbackProcessor, HubConfig
from alfred_automation.testing import callback_headers
from alfred_crm_core import Database, UnitOfWork
from alfred_crm_core.clock import frozen_clock
from alfred_crm_core.types import JSONObject


class NoOp:
    async def run(self, uow: UnitOfWork, action: str, params: JSONObject) -> JSONObject:
        return {"ok": True}


async def main() -> None:
    env = os.environ
    now = datetime.fromisoformat(env["ALFRED_NOW"])
    config = HubConfig(
        encryption_keys=[bytes.fromhex(env["ALFRED_KEY"])],
        rate_limit_per_minute=int(env["ALFRED_LIMIT"]),
    )
    database = Database.from_url(env["ALFRED_DATABASE_URL"], pool_size=2)
    processor = CallbackProcessor(database, config, NoOp())
    destination, tenant = env["ALFRED_DESTINATION"], env["ALFRED_TENANT"]
    statuses = []
    await database.ping()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()
    with frozen_clock(now):
        for n in range(int(env["ALFRED_COUNT"])):
            body = json.dumps(
                {
                    "tenant_id": tenant,
                    "action": "create_task",
                    "correlation_id": f"{env['ALFRED_PREFIX']}-{n}",
                }
            ).encode()
            headers = callback_headers(
                env["ALFRED_SECRET"],
                destination_id=destination,
                event_id=f"{env['ALFRED_PREFIX']}-{n}-{uuid.uuid4().hex[:6]}",
                body=body,
                timestamp=int(now.timestamp()),
            )
            result = await processor.process_callback(headers, body)
            statuses.append(result.status_code)
    await database.dispose()
    sys.stdout.write(json.dumps(statuses) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
