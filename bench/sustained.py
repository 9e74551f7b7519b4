"""Sustained load: `streamer run` fed at a fixed rate for minutes, lag and RSS sampled over time.

    python -m bench.sustained --rate 2400 [--seconds 300] [--sample 10] [--bootstrap HOST:PORT]

Give `--rate` as 80% of the dedup throughput `python -m bench.worker_bench` measured on the same
machine. The input is 12 pages fetched round-robin (bench.worker_bench.source_stream: ten ticker
lines, a new flash on one fetch in ten, light edits now and then), made afresh every 10 s of
input so the ticker keeps changing. Every `--sample` seconds it prints the worker group's lag on
the input topic (end offsets minus committed offsets, all partitions), the RSS of the worker plus
its engine process, and the events seen. At the end: is the lag bounded (the last third's highest
lag no more than twice the first third's, or under one second of input) and is RSS flat (the last
sample within 10% of the one after the first minute)?
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any

from bench.broker import broker_for
from bench.worker_bench import BASE_TIME, Bench, interleave, source_stream

SOURCES = [f"site{i}.example" for i in range(12)]


def rss_mb(pid: int) -> float:
    """RSS of a process plus its children (the engine process), in MB (Linux)."""
    total = 0
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            pids += [int(c) for c in f.read().split()]
        for p in pids:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return float("nan")
    return total / 1024


def chunk(cycle: int, count: int) -> list[dict[str, Any]]:
    """`count` snapshots, later in event time than every earlier chunk."""
    per = -(-count // len(SOURCES))
    start = BASE_TIME + timedelta(seconds=cycle * per * 60)
    streams = [source_stream(s, per, seed=cycle, start=start) for s in SOURCES]
    return [{**d, "id": f"c{cycle}-{d['id']}"} for d in interleave(streams)[:count]]


async def lag(bootstrap: str, group: str, topic: str) -> int:
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not parts:
            parts = [TopicPartition(topic, p) for p in range(3)]
        ends = await consumer.end_offsets(parts)
        committed = await admin.list_consumer_group_offsets(group)
        return sum(ends[tp] - max(committed[tp].offset, 0) if tp in committed else ends[tp]
                   for tp in parts)
    finally:
        await consumer.stop()
        await admin.close()


async def run(args: argparse.Namespace) -> int:
    with broker_for(args.bootstrap) as (bootstrap, broker_pid):
        bench = Bench(bootstrap, tempfile.mkdtemp(prefix="sustained-"),
                      broker_pid, False)
        topics = tuple(f"bench-sus-{x}-{bench.run_id}" for x in ("in", "out", "dlq"))
        await bench.create_topics(*topics, partitions=3)
        port = 16300
        proc = bench.start_worker("dedup", topics, port)  # type: ignore[arg-type]
        app_id = f"bench-dedup-{bench.run_id}-{port}"
        events = 0
        done = asyncio.Event()

        def on_event(event: dict[str, Any], now: float) -> None:
            nonlocal events
            events += 1

        print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
              f"rate {args.rate:g} snapshots/s for {args.seconds:g} s", file=sys.stderr)
        await bench.wait_ready(port, proc)
        sub = asyncio.create_task(bench.subscribe(topics[1], on_event, done))
        samples: list[tuple[float, int, float]] = []
        per_chunk = int(args.rate * 10)

        async def sampler() -> None:
            while not done.is_set():
                await asyncio.sleep(args.sample)
                t = time.monotonic() - t0
                lagged = await lag(bootstrap, app_id, topics[0])
                mem = rss_mb(proc.pid)
                samples.append((t, lagged, mem))
                print(f"{t:6.0f} s  lag {lagged:>8,}  RSS {mem:7.1f} MB  events {events:>8,}",
                      flush=True)

        t0 = time.monotonic()
        watch = asyncio.create_task(sampler())
        cycle = 0
        try:
            while time.monotonic() - t0 < args.seconds:
                if proc.poll() is not None:
                    raise RuntimeError(f"the worker exited with {proc.returncode}")
                await bench.publish(topics[0], chunk(cycle, per_chunk), rate=args.rate)
                cycle += 1
            await asyncio.sleep(args.sample * 2)
        finally:
            done.set()
            watch.cancel()
            await asyncio.gather(sub, watch, return_exceptions=True)
            bench.stop(proc)
        third = max(1, len(samples) // 3)
        first, last = max(s[1] for s in samples[:third]), max(s[1] for s in samples[-third:])
        bounded = last <= max(2 * first, args.rate)
        warm = next((s[2] for s in samples if s[0] >= 60), samples[0][2])
        flat = samples[-1][2] <= 1.1 * warm
        print(f"lag: first third max {first:,}, last third max {last:,} -> "
              f"{'bounded' if bounded else 'GROWING'}; RSS after 1 min {warm:.0f} MB, at end "
              f"{samples[-1][2]:.0f} MB -> {'flat' if flat else 'GROWING'}; load average at end "
              f"{os.getloadavg()[0]:.2f}")
        return 0 if bounded and flat else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.sustained",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", help="use this broker (default: start a local one)")
    ap.add_argument("--rate", type=float, required=True, help="snapshots/s to publish")
    ap.add_argument("--seconds", type=float, default=300.0)
    ap.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    return asyncio.run(run(ap.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
