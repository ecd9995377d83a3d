"""`make bench`: start the API on a fresh embedded database, measure, print a table, write JSON.

Bounded: every phase has a fixed duration. Figures vary 15-25% between runs on 2 cores; compare
ratios measured in the same run rather than absolute numbers across runs.
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
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from loadgen import run

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_api(data_dir: Path, port: int) -> tuple[subprocess.Popen[bytes], float]:
    env = {**os.environ, "ALFRED_DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "alfred_reference_api.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while time.monotonic() - started < 90:
        try:
            if (
                httpx.get(f"http://127.0.0.1:{port}/api/v1/health/ready", timeout=1).status_code
                == 200
            ):
                return proc, time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("bench: the API did not become ready within 90 s")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def measure(port: int) -> dict[str, Any]:
    health = await run(
        "127.0.0.1",
        port,
        lambda _: ("GET", "/api/v1/health", b"", {}),
        connections=16,
        duration=5,
    )
    return {
        "health": {
            "requests_per_second": round(health.rps, 1),
            "p50_ms": round(health.pct(50), 2),
            "p99_ms": round(health.pct(99), 2),
            "errors": health.errors,
            "statuses": health.statuses,
        }
    }


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="alfred-bench-"))
    port = free_port()
    proc, startup = start_api(data_dir, port)
    try:
        results = asyncio.run(measure(port))
        results["startup_seconds_fresh_embedded_db"] = round(startup, 2)
        results["api_worker_rss_mb"] = round(rss_mb(proc.pid), 1)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)

    print("\nAlfred benchmark (2 cores shared by load generator, API and PostgreSQL)\n")
    print(f"{'measure':<44} {'value':>12}")
    print("-" * 57)
    h = results["health"]
    rows = [
        ("startup to ready, fresh embedded DB (s)", results["startup_seconds_fresh_embedded_db"]),
        ("GET /health req/s (16 connections)", h["requests_per_second"]),
        ("GET /health p50 (ms)", h["p50_ms"]),
        ("GET /health p99 (ms)", h["p99_ms"]),
        ("API worker RSS after load (MB)", results["api_worker_rss_mb"]),
    ]
    for name, value in rows:
        print(f"{name:<44} {value:>12}")
    (ROOT / "bench-results.json").write_text(json.dumps(results, indent=2))
    print(f"\nwritten: {ROOT / 'bench-results.json'}")


if __name__ == "__main__":
    main()
