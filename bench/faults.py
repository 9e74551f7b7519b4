"""Fault scenarios against a real broker, N runs each, and the figures the issue asks for.

    python -m bench.faults [--runs N] [--snapshots N] [--only kill,engine,broker,join,down]

Per scenario: runs, events expected (the in-process engine on the same input), events seen
(records in the event topic), duplicates (copies of an id beyond the first), losses (expected
ids missing), unexpected (ids the engine never made), unplanned worker exits, other failures
(a stall, a wrong health answer, no partition moved). The target is 0 in every failure
column. Each run has its own seed, so its own stream and its own random kill points; `--seed`
moves them all. The scenarios are those of tests/integration/test_faults.py (see
tests/integration/faultkit.py), on larger streams.

Starts its own local KRaft broker (deploy/kafka/local_kafka.py) and stops it at the end.
Set STREAMER_FAULTS_WORKER_ROOT=DIR to run the worker from another checkout.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.integration import faultkit
from tests.integration.faultkit import Outcome

SCENARIOS = ("kill", "engine-kill", "broker-stop", "broker-kill", "join", "down")


async def run_one(name: str, broker: Any, workdir: Path, seed: int, snapshots: int,
                  kills: int) -> Outcome:
    if name == "kill":
        return await faultkit.kill_worker(broker.bootstrap, workdir, seed, snapshots, kills, 2,
                                          timeout=600)
    if name == "engine-kill":
        return await faultkit.kill_engine(broker.bootstrap, workdir, seed, snapshots // 2,
                                          max(2, kills // 2), timeout=600)
    if name in ("broker-stop", "broker-kill"):
        return await faultkit.restart_broker(broker, workdir, seed, snapshots // 2,
                                             how=name.split("-")[1], timeout=600)
    if name == "join":
        return await faultkit.second_worker(broker.bootstrap, workdir, seed,
                                            snapshots * 3 // 5, timeout=600)
    return await faultkit.kafka_down_at_start(workdir, seed, max(300, snapshots // 8))


def table(rows: dict[str, list[Outcome]]) -> str:
    head = ("scenario", "runs", "events expected", "events seen", "duplicates", "losses",
            "unexpected", "worker exits", "other failures", "s/run")
    lines = [head]
    for outs in rows.values():
        if not outs:
            continue
        lines.append((outs[0].scenario, str(len(outs)),
                      *(str(sum(getattr(o, f) for o in outs))
                        for f in ("expected", "seen", "duplicates", "losses", "unexpected",
                                  "worker_exits")),
                      str(sum(len(o.problems) for o in outs)),
                      f"{sum(o.seconds for o in outs) / len(outs):.0f}"))
    widths = [max(len(r[i]) for r in lines) for i in range(len(head))]
    fmt = ["| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(r, widths, strict=True))) + " |"
           for r in lines]
    return "\n".join([fmt[0], "|" + "|".join("-" * (w + 2) for w in widths) + "|", *fmt[1:]])


async def main_async(args: argparse.Namespace) -> int:
    chosen = [s for s in SCENARIOS if any(s.startswith(o) for o in args.only.split(","))]
    rows: dict[str, list[Outcome]] = {s: [] for s in chosen}
    failed = 0
    with tempfile.TemporaryDirectory(prefix="streamer-faults-") as tmp:
        broker = await asyncio.to_thread(faultkit.load_local_kafka().start)
        try:
            for run in range(args.runs):
                for name in chosen:
                    seed = args.seed + run
                    workdir = Path(tmp) / f"{name}-{run}"
                    workdir.mkdir()
                    started = time.monotonic()
                    try:
                        out = await run_one(name, broker, workdir, seed, args.snapshots,
                                            args.kills)
                    except AssertionError as exc:  # a stall: count it, keep going
                        out = Outcome(name, problems=[str(exc)[-3000:]],
                                      seconds=time.monotonic() - started)
                    rows[name].append(out)
                    bad = not out.ok or out.worker_exits
                    failed += bool(bad)
                    print(f"[{name} run {run + 1}/{args.runs}, seed {seed}] "
                          f"{'FAIL' if bad else 'ok'}", file=sys.stderr)
                    if bad or args.verbose:
                        print(out.report(), file=sys.stderr)
        finally:
            await asyncio.to_thread(broker.close)
    print(table(rows))
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (default 3)")
    parser.add_argument("--snapshots", type=int, default=8000,
                        help="snapshots in a kill run; broker runs use half, join 3/5, "
                             "down 1/8 (default 8000)")
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs per kill run (default 5)")
    parser.add_argument("--seed", type=int, default=100)
    parser.add_argument("--only", default=",".join(SCENARIOS),
                        help=f"comma-separated scenario prefixes of {', '.join(SCENARIOS)}")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every run's log")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
