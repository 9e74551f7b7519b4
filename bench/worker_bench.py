"""Small synthetic ticker pages for the worker's tests and benchmark (written for this project).

Each source shows a BREAKING block of ten flashes, newest on top, between a menu and an article,
in the layout of the real pages. Most fetches see the same block again (repeats); now and then
a new flash is pushed on top, and sometimes a shown flash is lightly edited (same flash).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.broker import broker_for

BASE_TIME = datetime(2025, 3, 1, tzinfo=UTC)

_WHO = ("Health Ministry", "Civil Defence", "Foreign Minister", "Army spokesman", "Red Crescent",
        "Prime Minister", "Central Bank", "Energy Ministry", "Coast Guard", "Airport authority",
        "Interior Ministry", "Port authority", "Electricity company", "Weather service")
_WHAT = ("convoy", "hospital", "bridge", "power station", "school", "market", "harbour",
         "airport", "pipeline", "refinery", "reservoir", "railway", "stadium", "border crossing",
         "grain silo", "water plant", "radio mast", "fuel depot")
_DID = ("reopened after", "closed following", "evacuated due to", "damaged in",
        "inspected after", "secured following", "struck during", "shut down amid")
_WHY = ("heavy shelling", "a fire", "flooding", "a strike", "protests", "an explosion",
        "a cyberattack", "a landslide", "a power cut", "a storm", "a drone attack")
_PLACES = ("Tyre", "Sidon", "Aleppo", "Mosul", "Basra", "Homs", "Jenin", "Rafah", "Latakia",
           "Tripoli", "Irbid", "Zahle", "Baalbek", "Nabatieh", "Hama", "Idlib", "Kirkuk", "Aden")


def flash_text(rng: random.Random, serial: int) -> str:
    """A distinct flash: who says what happened where, with a number that makes it unique."""
    n = 2 + serial * 7 % 97
    return (f"{rng.choice(_WHO)}: {n} {rng.choice(_WHAT)}s in {rng.choice(_PLACES)} "
            f"{rng.choice(_DID)} {rng.choice(_WHY)} near {rng.choice(_PLACES)}")


def edited(text: str, rng: random.Random) -> str:
    """A light editorial variant of the same flash."""
    choice = rng.randrange(3)
    if choice == 0:
        return text + "."
    if choice == 1:
        return text.replace(": ", " - ", 1)
    return "URGENT: " + text if not text.startswith("URGENT") else text


def page(site: str, lines: list[str], article: str) -> str:
    menu = "\n".join(f"  • {m}" for m in ("News", "Politics", "Economy", "Sports", "Videos"))
    ticker = "\n".join(lines)
    return f"{site}\n\n{menu}\n\nBREAKING\n{ticker}\n\n{article}\n\n  • By {site}\n"


def source_stream(source: str, count: int, *, seed: int = 1, start: datetime = BASE_TIME,
                  interval: float = 60.0, new_rate: float = 0.1, edit_rate: float = 0.05,
                  shown: int = 10) -> list[dict[str, Any]]:
    """`count` snapshot envelopes of one source, fetched every `interval` seconds."""
    rng = random.Random(f"{seed}:{source}")
    serial = 0
    lines: list[str] = []
    for _ in range(shown):
        lines.append(flash_text(rng, serial))
        serial += 1
    out: list[dict[str, Any]] = []
    site = source.split(".")[0].title()
    for i in range(count):
        if rng.random() < new_rate:
            lines = [flash_text(rng, serial), *lines[: shown - 1]]
            serial += 1
        elif rng.random() < edit_rate:
            k = rng.randrange(len(lines))
            lines = [*lines[:k], edited(lines[k], rng), *lines[k + 1:]]
        when = start + timedelta(seconds=i * interval)
        out.append({
            "id": f"{source}/{i}",
            "url": f"https://{source}/live",
            "fetched_at": when.isoformat().replace("+00:00", "Z"),
            "source": source,
            "content_type": "text/plain",
            "content": page(site, lines, f"Article {i % 7} of the day"),
        })
    return out


def interleave(streams: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Round-robin merge: each source's order kept, sources interleaved."""
    out: list[dict[str, Any]] = []
    longest = max((len(s) for s in streams), default=0)
    for i in range(longest):
        out.extend(s[i] for s in streams if i < len(s))
    return out


# -- the benchmark ---------------------------------------------------------------------------
# python -m bench.worker_bench [--bootstrap HOST:PORT] [--snapshots N] [--sources K]
#
# 1. Throughput: N snapshots (10 ticker lines each, mostly repeats) are preloaded into a topic;
#    one worker consumes them, first the same faust worker with the engine replaced by a stub
#    (baseline: same decoding, producing and ack-after-delivery, no dedup work), then
#    `streamer run` itself. Sentinel snapshots halfway and at the end of every source make an
#    event each; the rate is the snapshots between the two sets of sentinels divided by the
#    time between them, as seen by a subscriber: steady state, start-up excluded.
#    The pairs run interleaved (baseline, dedup, baseline, dedup ...); each pair's ratio and
#    their median are reported, and the same by CPU seconds per snapshot. Nothing publishes
#    meanwhile, so this is not a rate the worker can sustain while a publisher and the broker's
#    produce work share its cores: bench.sustained measures that capacity itself.
# 2. Latency: `streamer run` is fed at --rate snapshots/s, each snapshot with one new flash;
#    a subscriber timestamps every event and matches it to its snapshot's send time.

SENTINEL = "sentinel"


MARKERS = {"mid": "Observatory reports aurora visible over the northern provinces tonight",
           "end": "Parliament approves fisheries budget after a lengthy overnight session"}


def sentinel(snapshot: dict[str, Any], tag: str) -> dict[str, Any]:
    """A snapshot of the same page whose ticker holds one new flash: it surely makes an event."""
    content = f"Bench\n\nBREAKING\n{MARKERS[tag]}\n\nThe end\n"
    return {**snapshot, "id": f"{SENTINEL}-{tag}-{snapshot['source']}", "content": content,
            "content_type": "text/plain"}


def bench_input(snapshots: int, seed: int = 5, interval: float = 1.0) -> list[dict[str, Any]]:
    """About `snapshots` snapshots of bench.synth's simulated crawl (every page fetched every
    `interval` minutes), with a sentinel halfway through and at the end of every source."""
    from bench.synth import generate

    probe = len(generate(seed=seed, hours=2.0, interval=interval).snapshots)
    hours = 2.0 * snapshots / max(1, probe)
    stream = generate(seed=seed, hours=hours, interval=interval).snapshots[:snapshots]
    totals: dict[str, int] = {}
    for d in stream:
        totals[d["source"]] = totals.get(d["source"], 0) + 1
    seen: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    for d in stream:
        out.append(d)
        n = seen[d["source"]] = seen.get(d["source"], 0) + 1
        if n == totals[d["source"]] // 2:
            out.append(sentinel(d, "mid"))
    last = {d["source"]: d for d in stream}
    out += [sentinel(d, "end") for d in last.values()]
    return out


def _stub_events(snapshot: Any, now: datetime) -> list[Any]:
    """The baseline's 'engine': no dedup work, an event for sentinel snapshots only."""
    from streamer.core.model import Event, Verdict

    if not (snapshot.id or "").startswith(SENTINEL):
        return []
    return [Event(snapshot.id, Verdict.NEW, snapshot.source, "marker", None, snapshot.fetched_at,
                  snapshot.url, snapshot.ref)]


def serve_baseline() -> int:
    """Run the faust worker with the stub engine (configured by STREAMER_* env vars)."""
    import logging

    from streamer.cli.run import execute
    from streamer.kafka.app import create_app
    from streamer.settings import Settings

    logging.basicConfig(level=logging.WARNING)
    return execute(create_app(Settings(), process=_stub_events))


class Bench:
    taskset: str | None = None  # pin each worker (and its engine process) to this core

    def __init__(self, bootstrap: str, workdir: str, broker_pid: int | None = None,
                 engine_in_process: bool = False) -> None:
        self.bootstrap = bootstrap
        self.engine_in_process = engine_in_process
        self.broker_pid = broker_pid  # a local broker's JVM: its CPU is reported too
        self.workdir = workdir
        self.run_id = f"{int(time.time())}"

    async def create_topics(self, *names: str, partitions: int) -> None:
        from aiokafka.admin import AIOKafkaAdminClient, NewTopic

        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
        finally:
            await admin.close()
        await asyncio.sleep(1.0)  # leaders elected

    async def publish(self, topic: str, records: list[dict[str, Any]],
                      rate: float | None = None,
                      sent: dict[str, float] | None = None) -> None:
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all",
                                    linger_ms=0 if rate else 20, max_batch_size=512 * 1024)
        await producer.start()
        try:
            start = time.monotonic()
            pending = []
            for i, d in enumerate(records):
                if rate:
                    delay = start + i / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                if sent is not None:
                    sent[d["id"]] = time.time()
                pending.append(await producer.send(topic, json.dumps(d).encode(),
                                                   key=d["source"].encode()))
            await asyncio.gather(*pending)
        finally:
            await producer.stop()

    def start_worker(self, mode: str, topics: tuple[str, str, str], port: int) -> Any:
        import os
        import subprocess
        import sys

        env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMER_")}
        flags = {"bootstrap_servers": self.bootstrap, "input_topic": topics[0],
                 "output_topic": topics[1], "dlq_topic": topics[2],
                 "app_id": f"bench-{mode}-{self.run_id}-{port}", "web_port": str(port),
                 "data_dir": f"{self.workdir}/{mode}-{port}"}
        if mode == "baseline":
            env.update({f"STREAMER_{k.upper()}": v for k, v in flags.items()})
            cmd = [sys.executable, "-m", "bench.worker_bench", "--serve-baseline"]
        else:
            cmd = [sys.executable, "-m", "streamer", "run"]
            if self.engine_in_process:
                cmd += ["--engine-in-process", "true"]
            for k, v in flags.items():
                cmd += ["--" + k.replace("_", "-"), v]
        if self.taskset:
            cmd = ["taskset", "-c", self.taskset, *cmd]
        log = open(f"{self.workdir}/{mode}-{port}.log", "wb")  # noqa: SIM115
        return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)

    async def wait_ready(self, port: int, proc: Any, timeout: float = 60.0) -> None:
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1):
                    return
            except (OSError, urllib.error.HTTPError):
                await asyncio.sleep(0.1)
        raise RuntimeError("worker not ready")

    @staticmethod
    def stop(proc: Any) -> None:
        import signal

        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except Exception:
            proc.kill()
            proc.wait()

    async def subscribe(self, topic: str, on_event: Any, done: asyncio.Event) -> None:
        from aiokafka import AIOKafkaConsumer

        consumer = AIOKafkaConsumer(topic, bootstrap_servers=self.bootstrap,
                                    auto_offset_reset="earliest", fetch_max_wait_ms=5)
        await consumer.start()
        try:
            while not done.is_set():
                batches = await consumer.getmany(timeout_ms=20)
                now = time.time()
                for msgs in batches.values():
                    for m in msgs:
                        on_event(json.loads(m.value), now)
        finally:
            await consumer.stop()

    async def throughput(self, mode: str, input_topic: str, count: int, sources: int,
                         port: int) -> tuple[float, float]:
        """Snapshots/s in steady state, and the worker's CPU seconds per snapshot meanwhile."""
        tag = f"{mode}-{port}"
        out, dlq = f"bench-out-{tag}-{self.run_id}", f"bench-dlq-{tag}-{self.run_id}"
        await self.create_topics(out, dlq, partitions=3)
        seen: dict[str, float] = {}
        cpu: dict[str, float] = {}  # the worker's CPU seconds when all mid / end sentinels came
        done = asyncio.Event()

        def on_event(event: dict[str, Any], now: float) -> None:
            if event["snapshot"].startswith(SENTINEL):
                seen[event["snapshot"]] = now
                for tag in ("mid", "end"):
                    if sum(f"-{tag}-" in s for s in seen) == sources and tag not in cpu:
                        cpu[tag] = cpu_seconds(proc.pid, children=True)
                        if self.broker_pid:
                            cpu["broker-" + tag] = cpu_seconds(self.broker_pid)
                if len(seen) == 2 * sources:
                    done.set()

        proc = self.start_worker(mode, (input_topic, out, dlq), port)
        sub = asyncio.create_task(self.subscribe(out, on_event, done))
        try:
            await asyncio.wait_for(done.wait(), 300)
        finally:
            done.set()
            await sub
            self.stop(proc)
        t_mid = max(t for s, t in seen.items() if "-mid-" in s)
        t_end = max(t for s, t in seen.items() if "-end-" in s)
        if self.broker_pid:
            broker = (cpu["broker-end"] - cpu["broker-mid"]) / (count / 2)
            print(f"  {mode}: broker CPU {broker * 1e6:.0f} us per snapshot meanwhile",
                  file=sys.stderr)
        return (count / 2) / (t_end - t_mid), (cpu["end"] - cpu["mid"]) / (count / 2)

    async def latency(self, rate: float, seconds: float, interval: float, port: int
                      ) -> list[float]:
        topics = tuple(f"bench-lat-{x}-{self.run_id}" for x in ("in", "out", "dlq"))
        await self.create_topics(*topics, partitions=3)
        proc = self.start_worker("dedup", topics, port)  # type: ignore[arg-type]
        sent: dict[str, float] = {}
        got: list[float] = []
        done = asyncio.Event()

        def on_event(event: dict[str, Any], now: float) -> None:
            if event["snapshot"] in sent:
                got.append(now - sent[event["snapshot"]])

        try:
            await self.wait_ready(port, proc)
            sub = asyncio.create_task(self.subscribe(topics[1], on_event, done))
            await asyncio.sleep(1.0)
            records = latency_input(int(rate * seconds))
            # the first page of every source makes ten events at once; measure the rest
            warm = {d["source"]: d for d in reversed(records)}
            await self.publish(topics[0], list(warm.values()))
            await asyncio.sleep(1.0)
            await self.publish(topics[0], records, rate=rate, sent=sent)
            await asyncio.sleep(2.0)
        finally:
            done.set()
            with contextlib.suppress(Exception):
                await sub
            self.stop(proc)
        return got


def latency_input(snapshots: int, sources: int = 8) -> list[dict[str, Any]]:
    """Snapshots of `sources` pages whose ticker gets a new flash on every fetch: each snapshot
    makes one event, so the latency has as many samples as snapshots sent."""
    per = -(-snapshots // sources)
    streams = [source_stream(f"lat{i}.example", per, seed=9, new_rate=1.0, edit_rate=0.0)
               for i in range(sources)]
    return interleave(streams)[:snapshots]


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU time of a process so far (Linux); with `children`, plus that of its
    running children (the worker's engine process)."""
    import os

    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    if not children:
        return own
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return own + sum(cpu_seconds(int(c)) for c in f.read().split())


def engine_alone(records: list[dict[str, Any]]) -> float:
    """Snapshots/s of the engine in this process, no Kafka: the ceiling for the worker."""
    from streamer.codec import make_snapshot
    from streamer.core.engine import Deduplicator

    snaps = [make_snapshot(**d) for d in records]
    engine = Deduplicator()
    t0 = time.perf_counter()
    for snap in snaps:
        engine.process(snap)
    return len(snaps) / (time.perf_counter() - t0)


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


async def bench_main(args: argparse.Namespace) -> None:
    import tempfile

    with broker_for(args.bootstrap) as (bootstrap, broker_pid):
        bench = Bench(bootstrap, tempfile.mkdtemp(prefix="worker-bench-"),
                      broker_pid, args.engine_in_process)
        bench.taskset = args.taskset
        print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores",
              file=sys.stderr)
        records = bench_input(args.snapshots, interval=args.interval)
        sources = len({d['source'] for d in records})
        input_topic = f"bench-in-{bench.run_id}"
        await bench.create_topics(input_topic, partitions=3)
        t0 = time.monotonic()
        await bench.publish(input_topic, records)
        print(f"published {len(records)} snapshots ({sources} sources, every page fetched every "
              f"{args.interval:g} min) in {time.monotonic() - t0:.1f}s", file=sys.stderr)
        engine_rate = engine_alone(records)
        rates: dict[str, list[float]] = {"baseline": [], "dedup": []}
        cpus: dict[str, list[float]] = {"baseline": [], "dedup": []}
        port = 16100
        for _ in range(args.repeat):
            for mode in ("baseline", "dedup"):
                port += 1
                r, c = await bench.throughput(mode, input_topic, len(records), sources, port)
                rates[mode].append(r)
                cpus[mode].append(c)
                print(f"{mode}: {r:,.0f} snapshots/s, {c * 1e6:.0f} us CPU per snapshot",
                      file=sys.stderr)
        pairs = [d / b for b, d in zip(rates["baseline"], rates["dedup"], strict=True)]
        by_cpu = [b / d for b, d in zip(cpus["baseline"], cpus["dedup"], strict=True)]
        lat = await bench.latency(args.rate, args.latency_seconds, args.interval, port + 1)
        med = statistics.median
        print(json.dumps({
            "snapshots": len(records), "sources": sources, "interval_minutes": args.interval,
            "taskset": args.taskset, "load_average_at_end": round(os.getloadavg()[0], 2),
            "engine_alone_snapshots_per_s": round(engine_rate),
            "baseline_snapshots_per_s": [round(r) for r in rates["baseline"]],
            "dedup_snapshots_per_s": [round(r) for r in rates["dedup"]],
            "pair_ratios": [round(r, 3) for r in pairs],
            "dedup_vs_baseline_median": round(med(pairs), 3),
            "dedup_vs_baseline_min_max": [round(min(pairs), 3), round(max(pairs), 3)],
            "baseline_cpu_us_per_snapshot": [round(c * 1e6) for c in cpus["baseline"]],
            "dedup_cpu_us_per_snapshot": [round(c * 1e6) for c in cpus["dedup"]],
            "dedup_vs_baseline_by_cpu_median": round(med(by_cpu), 3),
            "latency_rate": args.rate, "latency_events": len(lat),
            "latency_p50_ms": round(_pct(lat, 0.5) * 1000, 1) if lat else None,
            "latency_p99_ms": round(_pct(lat, 0.99) * 1000, 1) if lat else None,
            "latency_max_ms": round(max(lat) * 1000, 1) if lat else None,
        }, indent=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker_bench", description=__doc__)
    parser.add_argument("--bootstrap", help="use this broker (default: start a local one)")
    parser.add_argument("--snapshots", type=int, default=40_000)
    parser.add_argument("--interval", type=float, default=1.0,
                        help="minutes between fetches of a page in the simulated crawl "
                             "(shorter: more repeats)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="interleaved (baseline, dedup) pairs of throughput runs")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--latency-seconds", type=float, default=60.0,
                        help="of publishing at --rate, one event per snapshot")
    parser.add_argument("--taskset", metavar="CPU",
                        help="pin each worker and its engine process to this one core")
    parser.add_argument("--engine-in-process", action="store_true",
                        help="run the dedup worker with its engine in its own process")
    parser.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_baseline:
        return serve_baseline()
    asyncio.run(bench_main(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
