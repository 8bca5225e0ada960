"""`make bench`: start a private stack, measure issue 7's five figures against baselines taken
on the same server in the same run, print a table and write JSON under bench/results/.

python bench/run.py            # full run (10,000-dossier storm, 100,000 open dossiers)
python bench/run.py --quick    # the same measurements at small sizes, under a minute
python bench/run.py --only throughput,latency --dossiers 200
python bench/run.py --only storm --storm 10000     # storm/open set up in bulk (bench/bulk.py)
python bench/run.py --only storm --storm 1000 --storm-server time-skipping  # virtual time
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from rich.console import Console  # noqa: E402

from bench import scenarios  # noqa: E402
from bench.driver import Desk  # noqa: E402
from bench.stack import StackRunner  # noqa: E402
from bench.stats import Figure, table  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = ("throughput", "latency", "history", "open", "storm")

#: name: (quick, full)
SIZES = {
    "dossiers": (8, 200),  # lifecycles per concurrency level
    "levels": ("8", "8,16,32"),  # concurrency levels tried for the maximum
    "probes": (12, 300),  # clerk actions timed for the latency figures
    "storm": (20, 10_000),
    "open": (20, 100_000),
    "queries": (10, 50),
}

console = Console(width=max(Console().width, 180))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes; under a minute")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios")
    parser.add_argument("--dossiers", type=int, help="lifecycles per concurrency level")
    parser.add_argument("--levels", help="concurrency levels, e.g. 8,16,32")
    parser.add_argument("--probes", type=int, help="clerk actions timed per latency figure")
    parser.add_argument("--storm", type=int, help="dossiers falling due in the same minute")
    parser.add_argument("--open", type=int, help="open dossiers waiting on timers")
    parser.add_argument(
        "--setup",
        choices=("bulk", "api"),
        default="bulk",
        help="storm/open set-up: start workflows with the client (bulk) or through the API",
    )
    parser.add_argument(
        "--storm-server",
        choices=("time-skipping", "dev"),
        help="the storm's Temporal server: the dev server `make run` runs, in real time (waits "
        "≈ total/6 s + 7 min; the full run's default), or the time-skipping test server "
        "(virtual time; the default with --quick)",
    )
    parser.add_argument("--api-workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--worker-cache",
        type=int,
        help="dossier worker's max_cached_workflows (default: 1,000 on the dev server; "
        "on the storm's server enough for every storm dossier)",
    )
    parser.add_argument(
        "--dossier-workers",
        type=int,
        default=1,
        help="dossier worker processes (default 1; they share the dossiers task queue)",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="read model on PostgreSQL: a database is created (and dropped) on this server, "
        "e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test (default: SQLite)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the stacks' temp directories")
    parser.add_argument("--output", type=Path, help="JSON file (default bench/results/<time>.json)")
    args = parser.parse_args(argv)
    pick = 0 if args.quick else 1
    for name, sizes in SIZES.items():
        if getattr(args, name, None) is None:
            setattr(args, name, sizes[pick])
    if args.storm_server is None:
        args.storm_server = "time-skipping" if args.quick else "dev"
    args.levels = [int(x) for x in str(args.levels).split(",")]
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.only) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s) {sorted(unknown)}; choose from {SCENARIOS}")
    return args


async def on_dev_server(args: argparse.Namespace, report: Report, wanted: set[str]) -> None:
    wanted = set(args.only) & wanted
    if not wanted:
        return
    async with StackRunner(
        "dev",
        keep=args.keep,
        api_workers=args.api_workers,
        worker_cache=args.worker_cache,
        dossier_workers=args.dossier_workers,
        postgres=args.postgres,
    ) as stack:
        assert stack.client is not None
        async with Desk(stack.api_url) as desk:
            max_rate, codes, shape_id = 2.0, [], None
            if wanted & {"throughput", "latency", "history"}:
                step("throughput", f"{args.dossiers} lifecycles at concurrency {args.levels}")
                result = await scenarios.throughput(
                    stack, desk, total=args.dossiers, levels=args.levels
                )
                max_rate, codes, shape_id = result.rate, result.codes, result.shape_id
                if "throughput" in wanted:
                    report.add("throughput", result.figures)
            if "latency" in wanted:
                step("latency", f"{args.probes} clerk accepts under {max_rate / 2:.1f}/s load")
                report.add(
                    "latency",
                    await scenarios.latency(stack, desk, max_rate=max_rate, probes=args.probes),
                )
            if "history" in wanted and codes:
                history = await scenarios.history_size(stack.client, codes[0], shape_id)
                report.add("history", history)
            if "open" in wanted:
                step("open", f"{args.open} open dossiers waiting on timers")
                report.add(
                    "open",
                    await scenarios.open_dossiers(
                        stack, desk, total=args.open, repeats=args.queries, setup=args.setup
                    ),
                )


async def on_storm_server(args: argparse.Namespace, report: Report) -> None:
    if "storm" not in args.only:
        return
    live = args.storm_server == "dev"
    step("storm", f"{args.storm} dossiers due in the same minute ({args.storm_server} server)")
    # the storm's dossiers all wake in the same minute: a cache that holds them all spares
    # replaying each one's history (≈ 0.3 MiB per cached workflow, see the open figure)
    cache = args.worker_cache or max(1000, args.storm + 2 * args.probes + 100)
    probes = min(args.probes, 100) if not args.quick else 5
    runner = StackRunner(
        "dev" if live else "time-skipping",
        keep=args.keep,
        api_workers=args.api_workers,
        worker_cache=cache,
        dossier_workers=args.dossier_workers,
        postgres=args.postgres,
    )
    async with runner as stack:
        async with Desk(stack.api_url) as desk:
            if live:
                figures = await scenarios.storm_live(stack, desk, total=args.storm, probes=probes)
            else:
                figures = await scenarios.storm(
                    stack, desk, total=args.storm, probes=probes, setup=args.setup
                )
            report.add("storm", figures)


_STARTED = time.monotonic()


def step(name: str, what: str) -> None:
    console.print(f"[{time.monotonic() - _STARTED:5.1f} s] [bold]{name}[/]: {what}", style="dim")


def git_revision() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True)
        return head + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


class Report:
    """The figures so far. Each scenario's table is printed, and the JSON rewritten, as soon as
    it finishes, so a full run stopped part-way (Ctrl-C, SIGTERM, a time limit) keeps every
    figure measured until then; `complete` says whether the run got to its end."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.figures: list[Figure] = []
        self.started = time.monotonic()
        self.output = args.output or RESULTS / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
        self.mode = "quick" if args.quick else "full"

    def add(self, scenario: str, figures: list[Figure]) -> None:
        self.figures += figures
        console.print(table(figures, title=f"{scenario} ({time.monotonic() - self.started:.0f} s)"))
        self.write(complete=False)

    def write(self, *, complete: bool) -> None:
        self.output.parent.mkdir(parents=True, exist_ok=True)
        args = self.args
        report = {
            "at": datetime.now(UTC).isoformat(),
            "revision": git_revision(),
            "mode": self.mode,
            "complete": complete,
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "seconds": round(time.monotonic() - self.started, 1),
            "figures": [f.as_dict() for f in self.figures],
        }
        self.output.write_text(json.dumps(report, indent=2, default=str, ensure_ascii=False))


def stop_on_sigterm() -> None:
    """SIGTERM (a CI time limit, `kill`) cancels the run like Ctrl-C does, so the stacks'
    child processes are stopped and the figures so far are written."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


async def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    stop_on_sigterm()
    report = Report(args)
    complete = False
    try:
        # at the sizes the storm goes before the open dossiers, whose set-up takes
        # hours (the storm's figure has a target); a quick run keeps one dev stack for both
        first = {"throughput", "latency", "history"} | ({"open"} if args.quick else set())
        await on_dev_server(args, report, first)
        await on_storm_server(args, report)
        if not args.quick:
            await on_dev_server(args, report, {"open"})
        complete = True
    except asyncio.CancelledError:
        console.print("[bold red]stopped[/]: the figures measured so far are kept")
    finally:
        elapsed = time.monotonic() - report.started
        console.print(
            table(report.figures, title=f"motcua benchmark ({report.mode}, {git_revision()})")
        )
        console.print(f"total {elapsed:.0f} s{'' if complete else ' (incomplete)'}")
        report.write(complete=complete)
        console.print(f"wrote {report.output}")
        asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
