"""Sustained load: `streamer run` fed at a fixed rate for minutes, lag and RSS sampled over time.

    python -m bench.sustained [--rate N | --fraction 0.8] [--seconds 300] [--capacity-seconds 60]
                              [--sample 10] [--bootstrap HOST:PORT]

Without `--rate` it first measures the capacity it tests against, the same way as the load:
the same input and the same publisher on the same machine, publishing as fast as it can for
`--capacity-seconds` to a fresh worker; the capacity is the worker's committed-offset rate over
the second half of that. Then a second fresh worker is fed `--fraction` (0.8) of it for
`--seconds`. (`python -m bench.worker_bench` measures a preloaded backlog drained with nothing
else running, on another input: with the publisher and the broker's produce work sharing the
same cores, that figure is not what the worker can sustain here.)

The input is 12 pages fetched round-robin (bench.worker_bench.source_stream: ten ticker lines,
a new flash on one fetch in ten, light edits now and then), made afresh every 10 s of input so
the ticker keeps changing, encoded before it is sent, and sent by one producer on one clock
(slices of 10 ms), so the rate holds on average while the next chunk is made. Every `--sample`
seconds it prints the rate published and the rate the worker committed, the group's lag on the
input topic (end offsets minus committed offsets, all partitions), the RSS of the worker plus
its engine process, the events seen, and the CPU share of the worker (with its engine), the
broker (when started here) and this process (publisher, subscriber, sampler). At the end: is the
lag bounded (the last third's highest lag no more than twice the first third's, or under one
second of input) and is RSS flat (the last sample within 10% of the one after the first minute)?
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any

from bench.broker import broker_for
from bench.worker_bench import BASE_TIME, Bench, cpu_seconds, interleave, source_stream

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


def cpu_now(worker: int, broker: int | None) -> tuple[float, float, float]:
    """CPU seconds so far of the worker (with its engine process), the broker (nan when not
    ours) and this process (the publisher, the subscriber and the sampler)."""
    try:
        mine = cpu_seconds(worker, children=True)
    except OSError:
        mine = float("nan")
    times = os.times()
    return mine, cpu_seconds(broker) if broker else float("nan"), times.user + times.system


async def offsets(bootstrap: str, group: str, topic: str) -> tuple[int, int]:
    """(end offsets, the group's committed offsets), summed over the topic's partitions."""
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
        done = sum(max(committed[tp].offset, 0) for tp in parts if tp in committed)
        return sum(ends[tp] for tp in parts), done
    finally:
        await consumer.stop()
        await admin.close()


Sample = tuple[float, int, float, float]  # (seconds, lag, RSS MB, committed snapshots/s)


async def feed(bootstrap: str, topic: str, rate: float | None, seconds: float,
               sent: list[int]) -> None:
    """Publish chunks for `seconds`: `rate` snapshots/s on one clock, or as fast as it goes."""
    import json

    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5,
                                max_batch_size=512 * 1024)
    await producer.start()
    per_chunk = int((rate or 4000) * 10)
    t0 = time.monotonic()
    try:
        for cycle in itertools.count():
            values = [(json.dumps(d).encode(), d["source"].encode())
                      for d in chunk(cycle, per_chunk)]
            pending = []
            for value, key in values:
                now = time.monotonic()
                if now - t0 >= seconds:
                    break
                if rate:
                    delay = t0 + sent[0] / rate - now
                    if delay > 0.01:
                        await asyncio.sleep(delay)
                elif sent[0] % 500 == 0:
                    await asyncio.sleep(0)  # let the sampler and the subscriber run
                pending.append(await producer.send(topic, value, key=key))
                sent[0] += 1
            await asyncio.gather(*pending)
            if time.monotonic() - t0 >= seconds:
                return
    finally:
        await producer.stop()


async def phase(bench: Bench, broker_pid: int | None, name: str, rate: float | None,
                seconds: float, sample: float, port: int) -> list[Sample]:
    """A fresh worker on fresh topics fed for `seconds`; one sample line every `sample` s."""
    topics = tuple(f"bench-sus-{name}-{x}-{bench.run_id}" for x in ("in", "out", "dlq"))
    await bench.create_topics(*topics, partitions=3)
    proc = bench.start_worker("dedup", topics, port)  # type: ignore[arg-type]
    app_id = f"bench-dedup-{bench.run_id}-{port}"
    events = 0
    done = asyncio.Event()

    def on_event(event: dict[str, Any], now: float) -> None:
        nonlocal events
        events += 1

    await bench.wait_ready(port, proc)
    sub = asyncio.create_task(bench.subscribe(topics[1], on_event, done))
    samples: list[Sample] = []
    sent = [0]
    print(f"{name}: {'as fast as it goes' if rate is None else f'{rate:,.0f} snapshots/s'} "
          f"for {seconds:g} s; load average {os.getloadavg()[0]:.2f}", file=sys.stderr)

    async def sampler() -> None:
        last = (0.0, 0, 0, cpu_now(proc.pid, broker_pid))
        while True:
            await asyncio.sleep(sample)
            t = time.monotonic() - t0
            end, committed = await offsets(bench.bootstrap, app_id, topics[0])
            mem = rss_mb(proc.pid)
            cpu = cpu_now(proc.pid, broker_pid)
            dt = t - last[0]
            rate_done = (committed - last[1]) / dt
            samples.append((t, end - committed, mem, rate_done))
            shares = "  ".join(f"{who} {(c - c0) / dt:4.0%}" for who, c, c0 in
                               zip(("worker", "broker", "publisher"), cpu, last[3], strict=True))
            print(f"{t:6.0f} s  published {(sent[0] - last[2]) / dt:6,.0f}/s  worker "
                  f"{rate_done:6,.0f}/s  lag {end - committed:>8,}  RSS {mem:6.1f} MB  "
                  f"events {events:>7,}  CPU: {shares}", flush=True)
            last = (t, committed, sent[0], cpu)

    t0 = time.monotonic()
    watch = asyncio.create_task(sampler())
    try:
        feeding = asyncio.create_task(feed(bench.bootstrap, topics[0], rate, seconds, sent))
        alive = asyncio.create_task(_watch_worker(proc))
        await asyncio.wait((feeding, alive), return_when=asyncio.FIRST_COMPLETED)
        for task in (feeding, alive):
            if task.done():
                task.result()  # (raises if the worker exited)
            else:
                task.cancel()
        if rate is not None:
            await asyncio.sleep(sample * 2)  # the last input worked off, or not
    finally:
        done.set()
        watch.cancel()
        await asyncio.gather(sub, watch, return_exceptions=True)
        bench.stop(proc)
    return samples


async def _watch_worker(proc: Any) -> None:
    """Raise once the worker exits (it is cancelled when the feed ends)."""
    while proc.poll() is None:
        await asyncio.sleep(1.0)
    raise RuntimeError(f"the worker exited with {proc.returncode}")


async def run(args: argparse.Namespace) -> int:
    with broker_for(args.bootstrap) as (bootstrap, broker_pid):
        bench = Bench(bootstrap, tempfile.mkdtemp(prefix="sustained-"), broker_pid, False)
        print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores",
              file=sys.stderr)
        rate = args.rate
        if rate is None:
            measured = await phase(bench, broker_pid, "capacity", None, args.capacity_seconds,
                                   args.sample, 16300)
            steady = [s[3] for s in measured if s[0] >= args.capacity_seconds / 2] or \
                [s[3] for s in measured]
            capacity = statistics.mean(steady)
            rate = args.fraction * capacity
            print(f"capacity with this publisher on this machine: {capacity:,.0f} snapshots/s "
                  f"(lag at the end {measured[-1][1]:,}, RSS {measured[0][2]:.0f} -> "
                  f"{measured[-1][2]:.0f} MB); sustaining {args.fraction:.0%} of it: "
                  f"{rate:,.0f} snapshots/s", flush=True)
        samples = await phase(bench, broker_pid, "sustained", rate, args.seconds, args.sample,
                              16301)
        third = max(1, len(samples) // 3)
        first, last = max(s[1] for s in samples[:third]), max(s[1] for s in samples[-third:])
        bounded = last <= max(2 * first, rate)
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
    ap.add_argument("--rate", type=float,
                    help="snapshots/s to publish (default: --fraction of the capacity measured "
                         "first)")
    ap.add_argument("--fraction", type=float, default=0.8,
                    help="of the measured capacity, without --rate (default: 0.8)")
    ap.add_argument("--capacity-seconds", type=float, default=60.0,
                    help="of publishing as fast as it goes, to measure the capacity")
    ap.add_argument("--seconds", type=float, default=300.0)
    ap.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    return asyncio.run(run(ap.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
