"""What one delivery to the portal costs the calling process in CPU: the portal adapter
(`activities.portal_client.PortalClient` on aiohttp, `activities.http`) against the same
request made through httpx, the client the adapter used before, in the same run against the
same portal simulator (a child process), alternating rounds.

    .venv/bin/python bench/http_client.py [--requests 1500] [--rounds 3]

Each round sends `--requests` dossier records one after the other, as the portal-sync worker's
delivery does, on the workers' event loop (`config.loop`), and divides the process's CPU time
by them. Not part of `make bench`: it says what the HTTP client costs, not how the stack
performs."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from activities.portal_client import DOSSIER_PATH, PortalClient  # noqa: E402
from bench.stack import free_port  # noqa: E402
from cli.supervisor import wait_for_process_port  # noqa: E402
from config import loop as event_loop  # noqa: E402
from domain.portal import PortalDossier, SyncRecord, dossier_record  # noqa: E402

KEY = "bench-portal-key"
RECEIVED = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)


def record(index: int) -> SyncRecord:
    return dossier_record(
        1,
        PortalDossier(
            code=f"000.00.31.H29-261207-{index:06d}",
            procedure_code="1.001234",
            procedure_name="Cấp giấy chứng nhận quyền sử dụng đất",
            channel=1,
            applicant_name="Lê Văn Cường",
            applicant_id_number="001090054321",
            received_at=RECEIVED,
            due=RECEIVED + timedelta(days=14),
            status_code=2,
            finished_at=None,
            handling_unit_name="Phòng Tài nguyên và Môi trường",
        ),
    )


async def through_adapter(base_url: str, records: list[SyncRecord]) -> float:
    async with PortalClient(base_url, KEY, 10.0) as portal:
        await portal.lookup("WARM-UP")
        started = time.process_time()
        for one in records:
            await portal.send(one)
        return time.process_time() - started


async def through_httpx(base_url: str, records: list[SyncRecord]) -> float:
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:
        await http.get(base_url + DOSSIER_PATH + "/WARM-UP", headers=headers)
        started = time.process_time()
        for one in records:
            body = {"seq": one.seq, "data": one.payload}
            answer = await http.post(base_url + DOSSIER_PATH, json=body, headers=headers)
            answer.raise_for_status()
            answer.json()
        return time.process_time() - started


def main(requests: int, rounds: int) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="motcua-bench-http-") as tmp:
        command = [sys.executable, "-m", "simulators.portal", "--port", str(port)]
        command += ["--state-file", str(Path(tmp) / "portal.sqlite3"), "--api-key", KEY]
        simulator = subprocess.Popen(command, cwd=ROOT)
        try:
            wait_for_process_port(port, simulator, "the portal simulator")
            base_url = f"http://127.0.0.1:{port}"
            print(f"{'round':>5} {'httpx ms':>9} {'adapter ms':>11} {'ratio':>6}")
            for n in range(rounds):
                batch = [record(n * 2 * requests + i) for i in range(2 * requests)]
                before = event_loop.run(through_httpx(base_url, batch[:requests]))
                after = event_loop.run(through_adapter(base_url, batch[requests:]))
                per_before, per_after = before / requests * 1e3, after / requests * 1e3
                ratio = per_after / per_before
                print(f"{n + 1:>5} {per_before:>9.3f} {per_after:>11.3f} {ratio:>5.2f}×")
        finally:
            simulator.terminate()
            simulator.wait(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    main(args.requests, args.rounds)
