"""Run by test_crash as a separate process: one dispatcher until SIGTERM (or SIGKILL).

Prints "ready" once it listens and has made its first claim.
"""

import asyncio
import os
import signal
import sys

from alfred_automation import Dispatcher, HubConfig
from alfred_crm_core import Database


async def main() -> None:
    url = os.environ["ALFRED_DATABASE_URL"]
    config = HubConfig(
        encryption_keys=[bytes.fromhex(os.environ["ALFRED_KEY"])],
        allow_private_urls=True,
        timeout_seconds=1.0,
        lease_seconds=float(os.environ.get("ALFRED_LEASE", "2")),
        retry_base_seconds=0.2,
        retry_max_seconds=1.0,
        poll_interval_seconds=0.2,
    )
    database = Database.from_url(url, pool_size=4)
    dispatcher = Dispatcher(database, config, listen_url=url)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, dispatcher.stop)
    running = asyncio.create_task(dispatcher.run())
    await dispatcher.ready.wait()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    await running
    await database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
