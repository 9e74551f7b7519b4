"""Durable state at scale: RSS with N live flashes, and the time to restore them from Kafka.

    python -m bench.state_bench [--flashes 100000] [--sources 200] [--bootstrap HOST:PORT]
    python -m bench.state_bench --engine-only [--flashes N] [--against GIT_REF] [--repeat 3]

Targets (issue #13): 1M live flashes over 200 sources restored in <= 30 s, the worker and its
engine process together <= 1 GB of RSS.

1. An engine learns N distinct flashes (10 per snapshot a second, the sources in turn, all in
   one partition; see `learn`); RSS of that process is what an engine holding N live flashes
   while processing needs (its exact-line map full too).
2. Its state records go to a compacted state topic exactly as the worker writes them.
3. A fresh process restores them with the worker's own code (`StateStore` and its engine
   process), timed, and then decides a few thousand repeats to show the restored index works
   (all must be duplicates).
4. `streamer run` itself restores them: its RSS once ready is the figure for a real worker
   (faust, aiokafka and the web server loaded too).
The global cap (`STREAMER_MAX_FLASHES`) is raised to hold N. Starts the project's local broker
unless --bootstrap names one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.broker import broker_for

REPO = Path(__file__).resolve().parents[1]
SYLLABLES = "ba ka lo mi nu ra se ti vo za de fi gu ho ja ke li mo ne pi qu ro su te".split()


def vocabulary(n: int, rng: random.Random) -> list[str]:
    """Made-up words: flashes that differ like real ones, not a handful of shared words."""
    return ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(n)]


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tree_rss_mb(pid: int | str = "self") -> tuple[float, list[float]]:
    """RSS of a process plus its children (the worker and its engine process), and each."""
    pid = os.getpid() if pid == "self" else int(pid)
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    each = [rss_mb(pid), *(rss_mb(c) for c in children)]
    return sum(each), each


def flash_lines(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = vocabulary(20_000, rng)
    speakers = [" ".join(rng.sample(words, 2)).title() for _ in range(200)]
    return [f"{rng.choice(speakers)}: {' '.join(rng.sample(words, rng.randint(6, 14)))}"
            for _ in range(n)]


def cap(flashes: int, sources: int) -> int:
    """A global cap that holds every flash (a source counts as two)."""
    return max(250_000, flashes + 2 * sources + 100)


def page(lines: list[str]) -> str:
    return "Site\n\nBREAKING\n" + "\n".join(lines) + "\n\nArticle text\n"


def snapshots(lines: list[str], sources: int):  # type: ignore[no-untyped-def]
    from streamer.codec import make_snapshot

    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    for i in range(0, len(lines), 10):
        yield make_snapshot(url=f"https://site{i // 10 % sources}.example/", content=page(
            lines[i:i + 10]), fetched_at=t0 + timedelta(seconds=i // 10), source=None)


def learn(engine, snap) -> None:  # type: ignore[no-untyped-def]
    """What `engine.process` does with a snapshot of flashes never seen (one new event each),
    with the index's own calls, but without looking for similar known flashes: those pair
    decisions would take most of an hour for 1M flashes, and these flashes differ by
    construction. The state records come out of `drain_changes` as the worker's do."""
    from streamer.core.engine import event_id_for
    from streamer.core.extract import ticker_lines
    from streamer.core.index import cleaned

    idx = engine.index(snap.source)
    before = len(idx)
    seen = engine._advance(idx, snap.fetched_at, None)  # the clock and TTL, as process has them
    for raw in reversed(ticker_lines(snap, engine.profiles)):
        flash = cleaned(raw, idx.lexicon)
        event_id = event_id_for(snap.source, flash, snap.fetched_at, None)
        cluster = idx.new_cluster(event_id, flash, raw, snap.fetched_at, seen)
        idx.remember_variant(cluster, raw, flash, f"{flash.attribution_key}\x00{flash.key}")
    engine.sources.settle(snap.source, idx, before)


def state_records(engine, flashes: int, sources: int):  # type: ignore[no-untyped-def]
    """(key, value) of every state record the worker would write while `engine` learns."""
    from streamer.codec import dumps
    from streamer.core.state import drain_changes
    from streamer.kafka.statekeys import state_key

    for snap in snapshots(flash_lines(flashes, 1), sources):
        learn(engine, snap)
        for rec in drain_changes(engine):
            yield (state_key(rec.source, rec.cid),
                   dumps(rec.value) if rec.value is not None else None)


async def fill(bootstrap: str, topic: str, flashes: int, sources: int) -> None:
    from aiokafka import AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from streamer.core.engine import Deduplicator
    from streamer.settings import DedupConfig

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 1, 1, topic_configs={"cleanup.policy": "compact"}),
                               NewTopic(topic + "-events", 1, 1)])
    await admin.close()
    engine = Deduplicator(DedupConfig(max_flashes=cap(flashes, sources)))
    base = rss_mb()
    t = time.perf_counter()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, acks="all",
                                max_batch_size=1 << 20)
    await producer.start()
    records = 0
    for key, value in state_records(engine, flashes, sources):
        await producer.send(topic, value, key=key, partition=0)
        records += 1
    await producer.stop()
    print(f"learned {engine.live_flashes():,} live flashes in {time.perf_counter() - t:.1f} s; "
          f"RSS {rss_mb():.0f} MB (process baseline {base:.0f} MB); {records:,} state records")


RESTORE = """
import asyncio, json, sys, time
from datetime import UTC, datetime
from bench.state_bench import tree_rss_mb, snapshots, flash_lines
from streamer.kafka.engineclient import EngineProcess
from streamer.kafka.wire import Outcome
from streamer.settings import Settings
from streamer.kafka.statestore import StateStore
bootstrap, topic, flashes, sources = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
settings = Settings(bootstrap_servers=bootstrap, state_topic=topic, output_topic=topic + "-events",
                    max_flashes=int(sys.argv[5]))

async def main():
    store = StateStore(settings, EngineProcess(settings.dedup()))
    await store.engine.start()
    base = tree_rss_mb()[0]
    t = time.perf_counter()
    stats = await store._read(0)
    took = time.perf_counter() - t
    total, each = tree_rss_mb()
    print(f"restored {stats.flashes:,} flashes in {took:.2f} s, {stats.flashes / took:,.0f} "
          f"flashes/s (target for 1M: <= 30 s); "
          f"RSS {total:.0f} MB (this process {each[0]:.0f} + engine process "
          f"{sum(each[1:]):.0f}; before restoring {base:.0f} MB)")
    repeats = list(snapshots(flash_lines(flashes, 1), sources))[::max(1, flashes // 20000)]
    replies = [store.engine.call("process", json.dumps({
        "url": s.url, "fetched_at": s.fetched_at.isoformat(), "content": s.content,
        "content_type": s.content_type, "source": s.source}).encode(), None, None,
        settings.max_snapshot_bytes, datetime.now(UTC).timestamp()) for s in repeats]
    new = sum(len(Outcome._make(r).events) for r in await asyncio.gather(*replies))
    print(f"re-sent {len(repeats) * 10:,} restored lines: {new} new events (expected 0)")
    await store.engine.close()

asyncio.run(main())
"""


# The engine alone: the records of a file restored with the engine process's own calls.
ENGINE_RESTORE = """
import gc, struct, sys, time
from pathlib import Path
from bench.state_bench import rss_mb
from streamer.core.engine import preload
from streamer.kafka.enginehost import Host
from streamer.settings import DedupConfig
data = Path(sys.argv[1]).read_bytes()
records, pos = [], 0
while pos < len(data):
    k, v = struct.unpack_from(">II", data, pos)
    pos += 8
    records.append((data[pos:pos + k], data[pos + k:pos + k + v] or None, len(records)))
    pos += k + v
del data
preload()
host = Host()
host.freeze_restored = True  # (as the engine process has it; older trees ignore it)
host.op_init(DedupConfig(max_flashes=int(sys.argv[2])))
gc.collect()
base = rss_mb()
cpu, wall = time.process_time(), time.perf_counter()
for i in range(0, len(records), 10_000):
    host.op_apply(records[i:i + 10_000])
live = host.op_finish(sorted({k.rpartition(b"\\0")[0].decode() for k, _, _ in records}))
print(sum(live.values()), time.process_time() - cpu, time.perf_counter() - wall, rss_mb() - base)
"""


def engine_only(args: argparse.Namespace) -> int:
    """The restore without Kafka (the records kept in a file), in a fresh process each time:
    CPU seconds and RSS grown per flash; with --against, this tree and GIT_REF interleaved."""
    import statistics
    import struct
    import tempfile

    from streamer.core.engine import Deduplicator
    from streamer.settings import DedupConfig

    limit = cap(args.flashes, args.sources)
    with tempfile.TemporaryDirectory(prefix="streamer-state-") as tmp:
        path = Path(tmp) / "records"
        n = 0
        with path.open("wb") as out:
            engine = Deduplicator(DedupConfig(max_flashes=limit))
            for key, value in state_records(engine, args.flashes, args.sources):
                out.write(struct.pack(">II", len(key), len(value or b"")) + key + (value or b""))
                n += 1
        del engine
        trees = {"this tree": REPO}
        if args.against:
            ref = trees[args.against] = Path(tmp) / "ref"
            ref.mkdir()
            archive = subprocess.run(["git", "archive", args.against], capture_output=True,
                                     check=True, cwd=REPO).stdout
            subprocess.run(["tar", "-x", "-C", str(ref)], input=archive, check=True)
            # (the restore script comes from this tree: the engine from the ref)
            (ref / "bench" / "state_bench.py").write_bytes((REPO / "bench" / "state_bench.py"
                                                             ).read_bytes())
        print(f"{n:,} state records of {args.flashes:,} flashes over {args.sources} sources, "
              f"restored by the engine alone (no Kafka), {args.repeat} runs each, interleaved")
        runs: dict[str, list[tuple[float, float, float]]] = {label: [] for label in trees}
        for _ in range(args.repeat):
            for label, root in trees.items():
                out_ = subprocess.run(
                    [sys.executable, "-c", ENGINE_RESTORE, str(path), str(limit)], check=True,
                    capture_output=True, text=True, cwd=root,
                    env={**os.environ, "PYTHONPATH": str(root)}).stdout.split()
                live, cpu, wall, grown = int(out_[0]), *map(float, out_[1:])
                runs[label].append((cpu, wall, grown * 1024 * 1024 / live))
                print(f"  {label:<12} {live:,} flashes: {cpu:.2f} s CPU ({live / cpu:,.0f} "
                      f"flashes/s), {wall:.2f} s wall; RSS +{grown:.0f} MB, "
                      f"{grown * 1024 * 1024 / live:,.0f} B a flash")
        for label, rs in runs.items():
            print(f"  {label:<12} median {statistics.median(r[0] for r in rs):.2f} s CPU, "
                  f"{statistics.median(r[2] for r in rs):,.0f} B a flash")
    return 0


async def worker_rss(bootstrap: str, topic: str, in_process: bool, max_flashes: int) -> None:
    """`streamer run` itself restoring the same state topic: its RSS once /ready says 200."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from bench.worker_bench import cpu_seconds
    from tests.integration.workers import Worker

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    name = topic + ("-local" if in_process else "")  # the worker's own topics and group
    await admin.create_topics([NewTopic(name + "-in", 1, 1)])
    env = {"STREAMER_STATE_TOPIC": topic, "STREAMER_ENGINE_IN_PROCESS": str(in_process).lower(),
           "STREAMER_MAX_FLASHES": str(max_flashes)}
    await admin.close()
    worker = Worker(bootstrap, [name + "-in", topic + "-events", name + "-dlq"], name,
                    Path(f"/tmp/{name}-worker"), env=env, verbose=1)
    try:
        t = time.perf_counter()
        await worker.wait_ready(timeout=120.0)
        ready = time.perf_counter() - t
        rss, each = tree_rss_mb(worker.proc.pid)
        restored = [x for x in worker.log.read_text().splitlines() if "restored partition" in x]
        mode = "engine in process" if in_process else "engine process"
        print(f"worker (streamer run, {mode}): ready {ready:.1f} s after start, RSS {rss:.0f} MB "
              f"(worker {each[0]:.0f} + engine process {sum(each[1:]):.0f}; target for 1M: "
              f"<= 1 GB), "
              f"{cpu_seconds(worker.proc.pid):.1f} s CPU in the worker; "
              f"{restored[-1].split('restored ', 1)[-1] if restored else 'no restore logged'}")
    finally:
        worker.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flashes", type=int, default=100_000)
    ap.add_argument("--sources", type=int, default=200,
                    help="sites: a worker holding 1M flashes serves many (72 h of one site's "
                         "ticker is a few thousand)")
    ap.add_argument("--bootstrap")
    ap.add_argument("--engine-only", action="store_true",
                    help="the restore alone, without Kafka: engine CPU and RSS a flash")
    ap.add_argument("--against", metavar="GIT_REF",
                    help="with --engine-only: also restore with the engine of GIT_REF, "
                         "interleaved")
    ap.add_argument("--repeat", type=int, default=1, help="runs each, with --engine-only")
    args = ap.parse_args(argv)
    if args.engine_only:
        return engine_only(args)
    topic = f"state-bench-{int(time.time())}"
    limit = cap(args.flashes, args.sources)
    with broker_for(args.bootstrap) as (bootstrap, _):
        asyncio.run(fill(bootstrap, topic, args.flashes, args.sources))
        subprocess.run([sys.executable, "-c", RESTORE, bootstrap, topic, str(args.flashes),
                        str(args.sources), str(limit)], check=True, cwd=REPO)
        for in_process in (False, True):
            asyncio.run(worker_rss(bootstrap, topic, in_process, limit))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
