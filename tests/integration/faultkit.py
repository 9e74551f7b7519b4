"""Harness for the fault tests and `python -m bench.faults`: real `streamer run` subprocesses,
a real broker, labelled synthetic streams, and the in-process engine as the oracle.

A scenario publishes a bench.synth stream (records keyed by source; the four sources spread over
the input topic's three partitions), injects its faults, waits until the worker group has
committed every input offset (offsets are committed only after the events are acknowledged), then
reads the whole event topic and compares it, source by source, with what a fresh
`Deduplicator` makes of the same snapshots in the same per-source order:

- duplicates: copies of an event id beyond the first;
- losses: ids the engine made that the topic does not hold;
- unexpected: ids the topic holds that the engine never made (for instance a flash sent again
  with another `first_seen` by a worker that forgot it);
- misplaced: events not in the output partition of their input partition.

Stdlib, aiokafka and the project only; no pytest here, so the benchmark can use it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from aiokafka.protocol.group import LeaveGroupRequest

from bench.broker import load_local_kafka
from streamer.codec import make_snapshot, normalise_source
from streamer.core.engine import Deduplicator
from tests.integration.workers import free_port

REPO = Path(__file__).resolve().parents[2]
PARTITIONS = 3
#: Where `python -m streamer` runs from (a checkout of another commit, say); default this one.
WORKER_ROOT = Path(os.environ.get("STREAMER_FAULTS_WORKER_ROOT") or REPO)

Record = tuple[int, bytes, bytes]  # (partition, key, value)


# -- input and oracle --------------------------------------------------------------------------

def synth_stream(seed: int, snapshots: int) -> list[dict[str, Any]]:
    """The first `snapshots` snapshots of bench.synth's crawl of four sites, every page fetched
    about once a minute (5,000 snapshots are some nine hours of crawling), moved in time so the
    crawl ends now: events are timestamped with their first_seen, and the broker's time
    retention (7 days) would delete events of bench.synth's 2025 crawl within minutes."""
    from bench.synth import generate

    probe = len(generate(seed=seed, hours=1.0, interval=1.0).snapshots)
    hours = 1.1 * snapshots / max(1, probe) + 0.5
    out = generate(seed=seed, hours=hours, interval=1.0).snapshots[:snapshots]
    assert len(out) == snapshots, f"bench.synth made {len(out)} snapshots, not {snapshots}"
    last = _parse(max(d["fetched_at"] for d in out))
    shift = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1) - last
    return [{**d, "fetched_at": _format(_parse(d["fetched_at"]) + shift)} for d in out]


def _parse(rfc3339: str) -> datetime:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))


def _format(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def partition_map(stream: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Source -> input partition. Chosen rather than hashed (murmur2 puts three of the four
    synth hosts on one partition and leaves another empty), so that every partition has a
    source with plain-text pages, which `near_duplicate` can edit."""
    stream = list(stream)
    text = {d["source"] for d in stream if d["content_type"] == "text/plain"}
    sources = sorted({d["source"] for d in stream}, key=lambda s: (s not in text, s))
    parts = {s: i % PARTITIONS for i, s in enumerate(sources)}
    # (events name their source as the engine normalises it: www.x.example is x.example)
    return {**parts, **{normalise_source(s): p for s, p in parts.items()}}


def records(stream: Iterable[dict[str, Any]], parts: dict[str, int]) -> list[Record]:
    return [(parts[d["source"]], d["source"].encode(), json.dumps(d).encode()) for d in stream]


def oracle(stream: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """Event ids per source from a fresh in-process engine (sources are independent, so the
    interleaving does not matter, only each source's order)."""
    engine = Deduplicator()
    out: dict[str, list[str]] = defaultdict(list)
    for d in stream:
        for event in engine.process(make_snapshot(**d)).events:
            out[event.source].append(event.event_id)
    return dict(out)


def near_duplicate(sent: list[dict[str, Any]], source: str, salt: int) -> dict[str, Any]:
    """A new snapshot of `source`'s last plain-text page, a second after its last snapshot,
    with a flash that dropped off its ticker long ago put back on top, lightly edited (first
    letter's case swapped, trailing punctuation changed). The engine still knows that flash
    (the TTL is 72 h), so it makes no event; and no page re-read after a handover shows it, so
    only restored state can tell a worker that it is not new. (A line the engine would call
    new, say one from a page with mojibake that the edit breaks, is passed over.)"""
    mine = [d for d in sent if d["source"] == source]
    last = next(d for d in reversed(mine) if _ticker(d))
    current = set(_ticker(last))
    old = list(dict.fromkeys(line for d in mine[: len(mine) // 2] for line in _ticker(d)
                             if line not in current))
    when = _parse(max(d["fetched_at"] for d in mine)) + timedelta(seconds=1)
    head, _, rest = last["content"].partition("\nBREAKING\n")
    ticker, sep, tail = rest.partition("\n\n")
    for k in range(len(old)):
        line = old[(salt + k) % len(old)]
        edited = line[:1].swapcase() + line[1:]
        edited = edited[:-1] if edited[-1:] in ".!" else edited + "."
        lines = [edited, *ticker.split("\n")[:-1]]
        snap = {**last, "id": f"near-dup-{salt}-{source}", "fetched_at": _format(when),
                "content": f"{head}\nBREAKING\n" + "\n".join(lines) + sep + tail}
        if oracle([*mine, snap]) == oracle(mine):
            return snap
    raise AssertionError(f"no near-duplicate found for {source}")


def _ticker(snapshot: dict[str, Any]) -> list[str]:
    """The ticker lines of a plain-text synth page ([] for HTML or a page without one)."""
    if snapshot["content_type"] != "text/plain" or "\nBREAKING\n" not in snapshot["content"]:
        return []
    rest = snapshot["content"].partition("\nBREAKING\n")[2]
    return [line for line in rest.partition("\n\n")[0].split("\n") if line.strip()]


# -- outcome ----------------------------------------------------------------------------------

@dataclass(slots=True)
class Outcome:
    """One scenario run: the figures, and enough detail to say what went wrong."""

    scenario: str
    expected: int = 0
    seen: int = 0
    duplicates: int = 0
    losses: int = 0
    unexpected: int = 0
    misplaced: int = 0
    worker_exits: int = 0  # exits nobody asked for (a supervisor restarted the worker)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # failures other than wrong events
    notes: list[str] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.duplicates or self.losses or self.unexpected or self.misplaced
                    or self.problems)

    def report(self) -> str:
        return "\n".join([
            f"{self.scenario}: expected {self.expected}, seen {self.seen}, duplicates "
            f"{self.duplicates}, losses {self.losses}, unexpected {self.unexpected}, misplaced "
            f"{self.misplaced}, unplanned worker exits {self.worker_exits}, {self.seconds:.0f} s",
            *(f"  PROBLEM: {p}" for p in self.problems), *self.notes, *self.detail[:40]])


def compare(outcome: Outcome, expected: dict[str, list[str]], events: list[Any],
            parts: dict[str, int], marks: list[Mark]) -> None:
    """Fill in the figures from the event topic's records; `marks` (the faults, with the event
    topic's end offsets at that moment) say after which fault each wrong record was written."""
    outcome.expected = sum(map(len, expected.values()))
    outcome.seen = len(events)
    got: dict[str, list[Any]] = defaultdict(list)
    for rec in events:
        event = json.loads(rec.value)
        got[event["source"]].append((rec, event))
        if rec.partition != parts.get(event["source"], -1):
            outcome.misplaced += 1
    for source in sorted(set(expected) | set(got)):
        want = expected.get(source, [])
        have = got.get(source, [])
        counts = Counter(e["event_id"] for _, e in have)
        first = {e["event_id"]: (r, e) for r, e in reversed(have)}
        for eid, n in counts.items():
            if n > 1:
                outcome.duplicates += n - 1
                copies = [r for r, e in have if e["event_id"] == eid]
                outcome.detail.append(
                    f"  duplicate {source} {eid[:12]} x{n} (snapshot {first[eid][1]['snapshot']},"
                    f" {first[eid][1]['kind']}): " + ", ".join(
                        f"p{r.partition}@{r.offset} written {_when(r, marks)}" for r in copies))
        for eid in sorted(set(want) - set(counts)):
            outcome.losses += 1
            outcome.detail.append(f"  lost {source} {eid[:12]} (#{want.index(eid)} of "
                                  f"{len(want)} for the source)")
        for eid in sorted(set(counts) - set(want)):
            outcome.unexpected += 1
            r, e = first[eid]
            outcome.detail.append(
                f"  unexpected {source} {eid[:12]} {e['kind']} snapshot {e['snapshot']} "
                f"first_seen {e['first_seen']} p{r.partition}@{r.offset} written "
                f"{_when(r, marks)}: {e['text'][:60]!r}")


@dataclass(frozen=True, slots=True)
class Mark:
    """A fault, and the event topic's end offsets when it happened."""

    what: str
    ends: dict[int, int]


def _when(rec: Any, marks: list[Mark]) -> str:
    """The last fault before which the record's partition had not reached its offset."""
    last = "at the start"
    for mark in marks:
        if mark.ends and mark.ends.get(rec.partition, 0) <= rec.offset:
            last = f"after '{mark.what}'"
    return last


# -- Kafka helpers ----------------------------------------------------------------------------

class Kafka:
    """Short-lived aiokafka clients against one bootstrap address (they survive broker restarts
    by being made again)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap

    @contextlib.asynccontextmanager
    async def admin(self) -> Any:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=10_000)
        await admin.start()
        try:
            yield admin
        finally:
            await admin.close()

    async def create_topics(self, names: list[str], partitions: list[int]) -> None:
        async with self.admin() as admin:
            await admin.create_topics([NewTopic(n, p, 1) for n, p in zip(names, partitions,
                                                                         strict=True)])
            deadline = time.monotonic() + 20
            while True:
                described = await admin.describe_topics(names)
                if all(not t["error_code"] and t["partitions"]
                       and all(p["leader"] >= 0 for p in t["partitions"]) for t in described):
                    return
                assert time.monotonic() < deadline, f"no leaders for {names}: {described}"
                await asyncio.sleep(0.1)

    async def produce(self, topic: str, recs: list[Record]) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all",
                                    enable_idempotence=True, linger_ms=5,
                                    max_request_size=8 * 1024 * 1024)
        await producer.start()
        try:
            futures = [await producer.send(topic, value=v, key=k, partition=p)
                       for p, k, v in recs]
            await asyncio.gather(*futures)
        finally:
            await producer.stop()

    async def end_offsets(self, topic: str) -> dict[int, int]:
        """End offset per partition of `topic` ({} while unreachable)."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, request_timeout_ms=5000)
        try:
            await asyncio.wait_for(consumer.start(), 10)
            parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
            ends = await asyncio.wait_for(consumer.end_offsets(parts), 10)
            return {tp.partition: off for tp, off in ends.items()}
        except (KafkaError, OSError, TimeoutError):
            return {}
        finally:
            await consumer.stop()

    async def committed(self, group: str, topic: str) -> dict[int, int]:
        """The group's committed offset per partition of `topic` ({} while unreachable)."""
        try:
            async with self.admin() as admin:
                offsets = await admin.list_consumer_group_offsets(group)
        except (KafkaError, OSError, TimeoutError):
            return {}
        return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}

    async def fence(self, group: str) -> list[str]:
        """Remove every member of `group` at once (LeaveGroup on their behalf), as the broker
        does when their session times out: faust asks for 60 s sessions, and a test cannot
        wait that long after each SIGKILL. Returns the member ids removed."""
        async with self.admin() as admin:
            node = await admin.find_coordinator(group)
            [described] = await admin.describe_consumer_groups([group], node)
            members = [m[0] for g in described.groups for m in g[5]]
            for member in members:
                await admin._send_request(LeaveGroupRequest(group, member), node)
        return members

    async def read_all(self, topic: str) -> list[Any]:
        """Every record of `topic` up to its end, partition by partition in offset order.

        Done when each partition's last record read is the one before its end offset, not by
        the consumer's position: after assign + seek_to_beginning it was twice seen at the end
        offset with no record returned (a late "latest" offset reset, it seems)."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                    auto_offset_reset="earliest",
                                    max_partition_fetch_bytes=8 * 1024 * 1024)
        await consumer.start()
        try:
            cluster = await consumer._client.fetch_all_metadata()
            parts = [TopicPartition(topic, p)
                     for p in sorted(cluster.partitions_for_topic(topic) or ())]
            assert parts, f"topic {topic} not found"
            consumer.assign(parts)
            starts = await consumer.beginning_offsets(parts)
            assert not any(starts.values()), f"{topic} lost records to retention: {starts}"
            ends = await consumer.end_offsets(parts)
            for tp in parts:
                consumer.seek(tp, 0)
            out: dict[TopicPartition, list[Any]] = {tp: [] for tp in parts}
            deadline = time.monotonic() + 60
            while [tp for tp in parts if (out[tp][-1].offset + 1 if out[tp] else 0) < ends[tp]]:
                assert time.monotonic() < deadline, (
                    f"could not read {topic} to its end {ends}: got "
                    f"{ {tp.partition: len(v) for tp, v in out.items()} }")
                for tp, msgs in (await consumer.getmany(timeout_ms=500)).items():
                    out[tp].extend(m for m in msgs if m.offset < ends[tp])
            return [m for tp in parts for m in out[tp]]
        finally:
            await consumer.stop()


# -- the worker -------------------------------------------------------------------------------

class Worker:
    """One `python -m streamer run` process, configured through the environment as in a
    container, with its own web port and data dir."""

    def __init__(self, bootstrap: str, topics: tuple[str, str, str], app_id: str,
                 workdir: Path, name: str) -> None:
        self.name = name
        self.port = free_port()
        self.log = workdir / f"{name}.log"
        data_dir = workdir / name / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMER_")}
        env.update({
            "STREAMER_BOOTSTRAP_SERVERS": bootstrap, "STREAMER_INPUT_TOPIC": topics[0],
            "STREAMER_OUTPUT_TOPIC": topics[1], "STREAMER_DLQ_TOPIC": topics[2],
            "STREAMER_APP_ID": app_id, "STREAMER_WEB_PORT": str(self.port),
            "STREAMER_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1",
        })
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "streamer", "run"],
                                         cwd=WORKER_ROOT, env=env, stdout=log,
                                         stderr=subprocess.STDOUT)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        """(status, JSON body) of a health endpoint; (0, {}) when nothing answers."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as r:
                return int(r.status), json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                return int(exc.code), json.loads(exc.read() or b"{}")
            except ValueError:
                return int(exc.code), {}
        except (OSError, ValueError):
            return 0, {}

    async def wait_ready(self, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                raise WorkerExited(self)
            status, body = self.get("/ready")
            if status == 200:
                return body
            await asyncio.sleep(0.2)
        raise AssertionError(f"{self.name} not ready after {timeout:.0f} s:\n{self.output()}")

    def partitions(self) -> list[int]:
        return list(self.get("/ready")[1].get("partitions") or [])

    def kill(self) -> None:
        if self.alive:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 40.0) -> int:
        """SIGTERM and wait; SIGKILL (and fail) if the worker does not stop."""
        if self.alive:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"{self.name} ignored SIGTERM:\n{self.output()}") from None
        return int(self.proc.returncode)

    def cpu_seconds(self) -> float:
        """User + system CPU time so far (Linux /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def output(self, chars: int = 3000) -> str:
        try:
            return f"--- {self.log}\n" + self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return f"--- {self.log} (none)"


class WorkerExited(AssertionError):
    def __init__(self, worker: Worker) -> None:
        super().__init__(f"{worker.name} exited ({worker.proc.returncode}):\n{worker.output()}")
        self.worker = worker


class Fleet:
    """The workers of one app id, and the supervisor's job: a worker that exits when nobody
    asked is counted and started again (as Kubernetes would), once its group slot is fenced."""

    def __init__(self, kafka: Kafka, topics: tuple[str, str, str], workdir: Path,
                 outcome: Outcome) -> None:
        self.kafka = kafka
        self.topics = topics
        self.app_id = topics[0].removesuffix(".in")
        self.workdir = workdir
        self.outcome = outcome
        self.workers: dict[str, Worker] = {}
        self.incarnations: Counter[str] = Counter()
        self.marks: list[Mark] = []

    def start(self, slot: str = "w1") -> Worker:
        self.incarnations[slot] += 1
        name = f"{slot}.{self.incarnations[slot]}"
        worker = Worker(self.kafka.bootstrap, self.topics, self.app_id, self.workdir, name)
        self.workers[slot] = worker
        return worker

    async def mark(self, what: str, offsets: bool = True) -> None:
        """Note a fault (with the event topic's end offsets, unless the broker is down)."""
        ends = await self.kafka.end_offsets(self.topics[1]) if offsets else {}
        self.marks.append(Mark(what, ends))
        self.outcome.notes.append(f"  {time.strftime('%H:%M:%S')} {what}")

    async def supervise(self) -> None:
        """Restart any worker that exited on its own."""
        for slot, worker in list(self.workers.items()):
            if not worker.alive:
                self.outcome.worker_exits += 1
                await self.mark(f"{worker.name} exited by itself ({worker.proc.returncode}); "
                          f"restarting it. Its log:\n{worker.output(1500)}")
                if len(self.workers) == 1:
                    with contextlib.suppress(KafkaError, OSError, TimeoutError):
                        await self.kafka.fence(self.app_id)
                self.start(slot)

    async def progress(self) -> int:
        return sum((await self.kafka.committed(self.app_id, self.topics[0])).values())

    async def wait_progress(self, target: int, timeout: float,
                            poll: float = 0.1) -> int:
        """Until the group has committed `target` input records in all; returns the count."""
        deadline = time.monotonic() + timeout
        while True:
            await self.supervise()
            done = await self.progress()
            if done >= target:
                return done
            if time.monotonic() > deadline:
                logs = "\n".join(w.output() for w in self.workers.values())
                raise AssertionError(f"committed {done} of {target} input records after "
                                     f"{timeout:.0f} s\n{self.outcome.report()}\n{logs}")
            await asyncio.sleep(poll)

    def close(self) -> None:
        for worker in self.workers.values():
            if worker.alive:
                worker.kill()


async def new_topics(kafka: Kafka, tag: str) -> tuple[str, str, str]:
    stem = f"faults-{tag}-{uuid.uuid4().hex[:8]}"
    names = (f"{stem}.in", f"{stem}.out", f"{stem}.dlq")
    # The event topic is made with the input's count: partition p's events go to partition p.
    await kafka.create_topics(list(names), [PARTITIONS, PARTITIONS, 1])
    return names


class Publisher:
    """Publishes a stream in chunks at a steady rate while faults happen, as crawlers would.

    `sent` is what reached the topic, in order (chunks are sent one at a time, each awaited,
    so per-source order in `sent` is the topic's order). Holding `lock` pauses publishing
    (around a broker outage); `insert` slips one extra snapshot in between two chunks."""

    def __init__(self, kafka: Kafka, topic: str, parts: dict[str, int], rate: float,
                 chunk: int = 25) -> None:
        self.kafka, self.topic, self.parts = kafka, topic, parts
        self.rate, self.chunk = rate, chunk
        self.sent: list[dict[str, Any]] = []
        self.lock = asyncio.Lock()
        self.task: asyncio.Task[None] | None = None

    def start(self, stream: list[dict[str, Any]]) -> None:
        self.task = asyncio.ensure_future(self._run(stream))

    async def _run(self, stream: list[dict[str, Any]]) -> None:
        for i in range(0, len(stream), self.chunk):
            part = stream[i:i + self.chunk]
            async with self.lock:
                await self.kafka.produce(self.topic, records(part, self.parts))
                self.sent += part
            await asyncio.sleep(len(part) / self.rate)

    async def insert(self, make: Callable[[list[dict[str, Any]]], dict[str, Any]]
                     ) -> dict[str, Any]:
        async with self.lock:
            extra = make(self.sent)
            await self.kafka.produce(self.topic, records([extra], self.parts))
            self.sent.append(extra)
            return extra

    async def done(self) -> int:
        assert self.task is not None
        await self.task
        return len(self.sent)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()


async def finish(fleet: Fleet, publisher: Publisher, timeout: float) -> None:
    """Wait until all is published and committed (offsets are committed only after their
    events are acknowledged), then read the event topic and compare it with the oracle."""
    total = await publisher.done()
    for worker in fleet.workers.values():
        await worker.wait_ready(timeout)
    await fleet.wait_progress(total, timeout)
    events = await fleet.kafka.read_all(fleet.topics[1])
    fleet.outcome.notes.append(f"  end: {total} input records committed, {len(events)} events")
    compare(fleet.outcome, oracle(publisher.sent), events, publisher.parts, fleet.marks)


async def stop_all(fleet: Fleet) -> None:
    """SIGTERM every worker; a non-zero exit counts as an unplanned one."""
    for worker in fleet.workers.values():
        code = worker.stop()
        if code != 0:
            fleet.outcome.worker_exits += 1
            fleet.outcome.notes.append(f"  {worker.name} exited {code} on SIGTERM:\n"
                                       f"{worker.output()}")


@contextlib.asynccontextmanager
async def scenario(name: str, bootstrap: str, workdir: Path, seed: int, snapshots: int,
                   rate: float) -> AsyncIterator[tuple[Fleet, Publisher, random.Random]]:
    """Topics, a paced publisher of a synth stream and a fleet, cleaned up afterwards."""
    outcome = Outcome(name)
    started = time.monotonic()
    stream = synth_stream(seed, snapshots)
    parts = partition_map(stream)
    kafka = Kafka(bootstrap)
    topics = await new_topics(kafka, re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"))
    fleet = Fleet(kafka, topics, workdir, outcome)
    publisher = Publisher(kafka, topics[0], parts, rate)
    publisher.start(stream)
    try:
        yield fleet, publisher, random.Random(f"{name}:{seed}")
    finally:
        publisher.cancel()
        fleet.close()
        outcome.seconds = time.monotonic() - started


async def kill_worker(bootstrap: str, workdir: Path, seed: int, snapshots: int = 5000,
                      kills: int = 3, early_kills: int = 1, rate: float = 150.0,
                      timeout: float = 120.0) -> Outcome:
    """SIGKILL the worker `kills` times at random points of the stream (when the group's
    committed count passes a random threshold, plus a random part of faust's commit interval)
    and `early_kills` times a random 0.3-4 s after a restart (start-up or restore). Each
    restart gets a fresh data dir, so state can only come from Kafka."""
    async with scenario("kill -9 worker", bootstrap, workdir, seed, snapshots, rate) as (
            fleet, publisher, rng):
        fleet.start()
        points = sorted(rng.uniform(0.05, 0.85) * snapshots for _ in range(kills))
        early = set(rng.sample(range(kills), min(early_kills, kills)))
        for k, point in enumerate(points):
            await fleet.workers["w1"].wait_ready(timeout)
            await fleet.wait_progress(int(point), timeout)
            await asyncio.sleep(rng.uniform(0.0, 3.0))
            await _kill_and_restart(fleet, f"at {await fleet.progress()} committed")
            if k in early:
                await asyncio.sleep(rng.uniform(0.3, 4.0))
                await _kill_and_restart(fleet, "soon after its start")
        await finish(fleet, publisher, timeout)
        await stop_all(fleet)
    return fleet.outcome


async def kill_engine(bootstrap: str, workdir: Path, seed: int, snapshots: int = 2500,
                      kills: int = 2, rate: float = 150.0, timeout: float = 120.0) -> Outcome:
    """SIGKILL the worker's engine process `kills` times mid-stream: the worker must stop by
    itself with an error (a planned exit here, not counted as unplanned), without committing
    what it had not published; started again, as a supervisor would, it goes on."""
    async with scenario("kill -9 engine process", bootstrap, workdir, seed, snapshots, rate) as (
            fleet, publisher, rng):
        fleet.start()
        for point in sorted(rng.uniform(0.1, 0.8) * snapshots for _ in range(kills)):
            worker = fleet.workers["w1"]
            await worker.wait_ready(timeout)
            await fleet.wait_progress(int(point), timeout)
            await asyncio.sleep(rng.uniform(0.0, 2.0))
            children = Path(f"/proc/{worker.proc.pid}/task/{worker.proc.pid}/children")
            engines = [int(pid) for pid in children.read_text().split()]
            if len(engines) != 1:
                fleet.outcome.problems.append(f"{worker.name} has {len(engines)} children")
            for pid in engines:
                os.kill(pid, signal.SIGKILL)
            await fleet.mark(f"SIGKILL the engine of {worker.name} at "
                             f"{await fleet.progress()} committed")
            try:
                code = await asyncio.to_thread(worker.proc.wait, 30)
            except subprocess.TimeoutExpired:
                fleet.outcome.problems.append(f"{worker.name} ran on without its engine")
                worker.kill()
                code = 0
            if code == 0:
                fleet.outcome.problems.append(f"{worker.name} exited 0 without its engine")
            await fleet.mark(f"{worker.name} stopped by itself ({code}); restarting it")
            await fleet.kafka.fence(fleet.app_id)
            fleet.start()
        await finish(fleet, publisher, timeout)
        await stop_all(fleet)
    return fleet.outcome


async def _kill_and_restart(fleet: Fleet, when: str) -> None:
    worker = fleet.workers["w1"]
    ready = worker.get("/ready")[0] == 200
    worker.kill()
    await fleet.mark(f"SIGKILL {worker.name} {when} ({'ready' if ready else 'not ready'}, "
                     f"{len(fleet.workers)} worker)")
    await fleet.kafka.fence(fleet.app_id)
    fleet.start()


async def restart_broker(broker: Any, workdir: Path, seed: int, snapshots: int = 2500,
                         how: str = "stop", rate: float = 150.0,
                         timeout: float = 120.0) -> Outcome:
    """Take the broker down mid-stream (`how`: "stop" = SIGTERM, "kill" = SIGKILL) for a few
    seconds and bring it back on the same ports and data; the worker must carry on by itself.
    Publishing pauses while the broker is down."""
    name = f"broker {'SIGTERM' if how == 'stop' else 'SIGKILL'} + restart"
    async with scenario(name, broker.bootstrap, workdir, seed, snapshots, rate) as (
            fleet, publisher, rng):
        try:
            worker = fleet.start()
            await worker.wait_ready(timeout)
            await fleet.wait_progress(int(rng.uniform(0.15, 0.5) * snapshots), timeout)
            await asyncio.sleep(rng.uniform(0.0, 3.0))
            async with publisher.lock:
                await fleet.mark(f"broker {how} at {await fleet.progress()} committed")
                down = time.monotonic()
                await asyncio.to_thread(broker.stop if how == "stop" else broker.kill)
                await asyncio.sleep(rng.uniform(1.0, 4.0))
                await asyncio.to_thread(broker.launch)
                await fleet.mark(f"broker back after {time.monotonic() - down:.1f} s")
            await finish(fleet, publisher, timeout)
            await stop_all(fleet)
        finally:
            if not broker.running:
                await asyncio.to_thread(broker.launch)
    return fleet.outcome


async def second_worker(bootstrap: str, workdir: Path, seed: int, snapshots: int = 3000,
                        rate: float = 150.0, timeout: float = 120.0) -> Outcome:
    """A second worker of the same app joins mid-stream (partitions move to it) and leaves
    (SIGTERM: they move back). After each handover a near-duplicate of a flash already
    published on a moved partition is slipped in; the oracle makes no event of it, so neither
    may the workers (a forgotten flash would come out as an unexpected event)."""
    async with scenario("2nd worker joins + leaves", bootstrap, workdir, seed, snapshots,
                        rate) as (fleet, publisher, rng):
        outcome = fleet.outcome
        await fleet.start("w1").wait_ready(timeout)
        await fleet.wait_progress(int(rng.uniform(0.15, 0.3) * snapshots), timeout)
        fleet.start("w2")
        await fleet.mark(f"w2 starts at {await fleet.progress()} committed")
        held = await _settled(fleet, ["w1", "w2"], timeout)
        await fleet.mark(f"w2 ready: partitions w1 {held['w1']}, w2 {held['w2']}")
        if not held["w2"] or len(held["w1"]) == PARTITIONS:
            outcome.problems.append(f"no partition moved to w2: {held}")
        moved = held["w2"][0] if held["w2"] else 0
        target = min(s for s, p in publisher.parts.items()
                     if p == moved and any(_ticker(d) for d in publisher.sent if d["source"] == s))
        dup = await publisher.insert(lambda sent: near_duplicate(sent, target, rng.randrange(10)))
        await fleet.mark(f"near-duplicate {dup['id']} (p{moved}) published")
        await fleet.wait_progress(int(rng.uniform(0.55, 0.7) * snapshots), timeout)
        w2 = fleet.workers.pop("w2")
        code = w2.stop()
        await fleet.mark(f"w2 stopped (SIGTERM, exit {code}) at {await fleet.progress()} "
                         "committed")
        if code != 0:
            outcome.worker_exits += 1
            outcome.notes.append(w2.output())
        back = await _settled(fleet, ["w1"], timeout)
        await fleet.mark(f"w1 holds {back['w1']} again")
        dup = await publisher.insert(lambda sent: near_duplicate(sent, target,
                                                                 10 + rng.randrange(10)))
        await fleet.mark(f"near-duplicate {dup['id']} (p{moved}) published")
        await finish(fleet, publisher, timeout)
        near = [d for d in publisher.sent if d["id"].startswith("near-dup")]
        plain = [d for d in publisher.sent if not d["id"].startswith("near-dup")]
        if oracle(publisher.sent) != oracle(plain):
            outcome.problems.append(f"bad test input: the engine makes events of {near}")
        await stop_all(fleet)
    return outcome


async def _settled(fleet: Fleet, slots: list[str], timeout: float) -> dict[str, list[int]]:
    """Until every worker in `slots` is ready and together they hold each partition once."""
    deadline = time.monotonic() + timeout
    while True:
        await fleet.supervise()
        held: dict[str, list[int] | None] = {}
        for slot in slots:
            status, body = fleet.workers[slot].get("/ready")
            held[slot] = list(body.get("partitions") or []) if status == 200 else None
        if all(h is not None for h in held.values()) and sorted(
                p for h in held.values() for p in h or []) == list(range(PARTITIONS)):
            return {k: v or [] for k, v in held.items()}
        if time.monotonic() > deadline:
            logs = "\n".join(w.output() for w in fleet.workers.values())
            raise AssertionError(f"workers {slots} never settled: {held}\n{logs}")
        await asyncio.sleep(0.2)


async def kafka_down_at_start(workdir: Path, seed: int, snapshots: int = 400,
                              down: float = 5.0, timeout: float = 90.0) -> Outcome:
    """Start the worker before any broker listens on its port: it must stay up, /live 200 and
    /ready 503, without spinning; then start a broker there, create the topics and publish:
    the worker must become ready and process everything."""
    port = free_port()
    outcome = Outcome("Kafka down at start-up")
    started = time.monotonic()
    stem = f"faults-down-{uuid.uuid4().hex[:8]}"
    topics = (f"{stem}.in", f"{stem}.out", f"{stem}.dlq")
    kafka = Kafka(f"127.0.0.1:{port}")
    fleet = Fleet(kafka, topics, workdir, outcome)
    broker = None
    try:
        worker = fleet.start()
        deadline = time.monotonic() + 30
        while worker.get("/live")[0] != 200:
            if not worker.alive or time.monotonic() > deadline:
                raise AssertionError(f"/live never answered 200:\n{worker.output()}")
            await asyncio.sleep(0.2)
        cpu0, t0 = worker.cpu_seconds(), time.monotonic()
        seen = set()
        while time.monotonic() - t0 < down and worker.alive:
            seen.add((worker.get("/live")[0], worker.get("/ready")[0]))
            await asyncio.sleep(0.3)
        busy = (worker.cpu_seconds() - cpu0) / (time.monotonic() - t0) if worker.alive else 0
        await fleet.mark(f"Kafka down {time.monotonic() - t0:.1f} s: (/live, /ready) "
                         f"{sorted(seen)}, worker CPU {busy:.0%}", offsets=False)
        if seen != {(200, 503)} or not worker.alive:
            outcome.problems.append(f"wanted only (200, 503) while Kafka is down:\n"
                                 f"{worker.output()}")
        if busy > 0.5:
            outcome.problems.append(f"the worker spins while Kafka is down: CPU {busy:.0%}")
        broker = await asyncio.to_thread(load_local_kafka().start, port,
                                         workdir / "late-broker")
        await fleet.mark("broker started on the worker's port", offsets=False)
        stream = synth_stream(seed, snapshots)
        parts = partition_map(stream)
        await kafka.create_topics(list(topics), [PARTITIONS, PARTITIONS, 1])
        publisher = Publisher(kafka, topics[0], parts, rate=1e9, chunk=snapshots)
        publisher.start(stream)
        await fleet.mark(f"topics created, publishing {snapshots} snapshots")
        await worker.wait_ready(timeout)
        await fleet.mark(f"{worker.name} ready")
        await finish(fleet, publisher, timeout)
        await stop_all(fleet)
    finally:
        fleet.close()
        if broker is not None:
            await asyncio.to_thread(broker.close)
        outcome.seconds = time.monotonic() - started
    return outcome
