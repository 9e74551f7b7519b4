"""`streamer run` on a real broker, run as the container runs it: a subprocess, stopped by SIGTERM.

The in-process engine on the same snapshots is the oracle: the event topic must hold exactly its
events (same ids, in the same order per source), bad records must land in the dead-letter topic
with their reason and origin, and good records must keep flowing around them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from bench.worker_bench import interleave, source_stream
from streamer.codec import make_snapshot
from streamer.core.engine import Deduplicator
from streamer.kafka.envelope import DLQ_OFFSET, DLQ_PARTITION, DLQ_REASON, DLQ_TOPIC
from tests.integration.workers import (
    REPO,
    Worker,
    free_port,
    read_all,
    running_worker,
    wait_committed,
)

pytestmark = pytest.mark.timeout(90)

NewTopics = Callable[..., Awaitable[list[str]]]
# The synthetic crawls are dated 2025: input records stamped with their fetched_at would fall
# under the broker's 7-day retention while the test reads.
KEEP = {"retention.ms": "-1"}
# Well under the 90 s test timeout, so that a slow start fails with the worker's log.
READY = 45.0


async def produce(bootstrap: str, topic: str,
                  records: list[tuple[bytes, bytes | None, list[tuple[str, bytes]], int | None]]
                  ) -> list[Any]:
    """Send (key, value, headers, timestamp_ms) records in order; their RecordMetadata."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        futures = [await producer.send(topic, value=v, key=k, headers=h, timestamp_ms=ts)
                   for k, v, h, ts in records]
        return list(await asyncio.gather(*futures))
    finally:
        await producer.stop()


def expected_events(snapshots: list[Any]) -> dict[str, list[str]]:
    """Event ids per source, in order, from the in-process engine."""
    engine = Deduplicator()
    per_source: dict[str, list[str]] = defaultdict(list)
    for snap in snapshots:
        for event in engine.process(snap).events:
            per_source[event.source].append(event.event_id)
    return dict(per_source)


def events_by_source(records: list[Any]) -> dict[str, list[str]]:
    per_source: dict[str, list[str]] = defaultdict(list)
    for rec in records:
        event = json.loads(rec.value)
        assert rec.key == event["source"].encode()
        per_source[event["source"]].append(event["event_id"])
    return dict(per_source)


def envelope(d: dict[str, Any]) -> tuple[bytes, bytes, list[tuple[str, bytes]], None]:
    return d["source"].encode(), json.dumps(d).encode(), [], None


async def test_event_topic_holds_exactly_the_engines_events(
        kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path) -> None:
    topics = await new_topics(3, partitions=3, config=KEEP)
    stream = interleave([source_stream("alpha.example", 150, seed=11),
                         source_stream("beta.example", 150, seed=12, new_rate=0.2)])
    await produce(kafka_bootstrap, topics[0], [envelope(d) for d in stream])
    expected = expected_events([make_snapshot(**d) for d in stream])
    assert sum(map(len, expected.values())) > 40
    started_ms = time.time() * 1000

    async with running_worker(kafka_bootstrap, topics, tmp_path) as worker:
        body = await worker.wait_ready(READY)
        assert body["partitions"] == [0, 1, 2]
        assert worker.get("/live")[0] == 200
        await wait_committed(kafka_bootstrap, worker.app_id, topics[0], worker)
        # Offsets are committed only after the events are acknowledged: they are all there now.
        records = await read_all(kafka_bootstrap, topics[1])
        assert events_by_source(records) == expected
        # stamped when published (the crawl is dated 2025), so retention counts from then
        assert all(started_ms <= r.timestamp <= time.time() * 1000 for r in records)
        assert await read_all(kafka_bootstrap, topics[2]) == []

        tail = subprocess.run(
            [sys.executable, "-m", "streamer", "tail", "--bootstrap-servers", kafka_bootstrap,
             "--output-topic", topics[1], "--from-beginning", "--exit-at-end", "--json"],
            cwd=REPO, capture_output=True, timeout=30, check=False)
        assert tail.returncode == 0, tail.stderr
        tailed = [json.loads(line)["event_id"] for line in tail.stdout.splitlines()]
        assert sorted(tailed) == sorted(e for ids in expected.values() for e in ids)

        assert worker.stop() == 0, worker.output()


async def test_bad_records_are_dead_lettered_while_good_ones_flow(
        kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path) -> None:
    topics = await new_topics(3, partitions=2, config=KEEP)
    alpha = source_stream("alpha.example", 80, seed=21, new_rate=0.2)
    raw = source_stream("raw.example", 80, seed=22, new_rate=0.2)
    good: list[Any] = []
    records: list[tuple[bytes, bytes | None, list[tuple[str, bytes]], int | None]] = []
    bad: dict[int, str] = {}  # index in `records` -> expected reason
    for i, (a, r) in enumerate(zip(alpha, raw, strict=True)):
        records.append(envelope(a))
        good.append(make_snapshot(**a))
        # raw.example is published as raw pages: url in a header, fetch time = record time
        ts = datetime.fromisoformat(r["fetched_at"].replace("Z", "+00:00"))
        records.append((b"raw.example", r["content"].encode(), [("url", r["url"].encode())],
                        round(ts.timestamp() * 1000)))
        good.append(make_snapshot(url=r["url"], fetched_at=ts, content=r["content"]))
        if i % 10 == 3:
            for value, headers, reason in [
                (b"{not json", [], "invalid JSON"),
                (b'{"url": "https://alpha.example/live", "content": "x"}', [],
                 "missing fetched_at"),
                (b"\xff\xfe", [("url", b"https://raw.example/live")], "not UTF-8"),
                (None, [], "empty record"),
            ]:
                bad[len(records)] = reason
                records.append((b"alpha.example" if i % 20 == 3 else b"raw.example", value,
                                headers, None))
    meta = await produce(kafka_bootstrap, topics[0], records)
    expected = expected_events(good)

    async with running_worker(kafka_bootstrap, topics, tmp_path) as worker:
        await worker.wait_ready(READY)
        await wait_committed(kafka_bootstrap, worker.app_id, topics[0], worker)
        assert events_by_source(await read_all(kafka_bootstrap, topics[1])) == expected
        dead = await read_all(kafka_bootstrap, topics[2])
        assert worker.get("/ready")[0] == 200  # bad input never stops the worker
        assert worker.stop() == 0, worker.output()

    got = {}
    for rec in dead:
        h = dict(rec.headers)
        assert h[DLQ_TOPIC] == topics[0].encode()
        got[(int(h[DLQ_PARTITION]), int(h[DLQ_OFFSET]))] = (h[DLQ_REASON].decode(), rec.value)
    want = {(meta[i].partition, meta[i].offset): (reason, records[i][1])
            for i, reason in bad.items()}
    assert got.keys() == want.keys()
    for where, (reason, value) in want.items():
        assert reason in got[where][0]
        assert got[where][1] == value


async def test_worker_without_a_broker_waits_live_but_not_ready(tmp_path: Path) -> None:
    worker = Worker(f"127.0.0.1:{free_port()}", ["in", "out", "dlq"], "test-worker-nobroker",
                    tmp_path)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert worker.proc.poll() is None, worker.output()
            with contextlib.suppress(OSError):
                live, ready = worker.get("/live"), worker.get("/ready")
                break
            assert time.monotonic() < deadline, worker.output()
            await asyncio.sleep(0.2)
        assert live[0] == 200
        assert ready == (503, {"ready": False, "waiting_for": "kafka"})
        await asyncio.sleep(3)  # still waiting, not crashed
        assert worker.proc.poll() is None
    finally:
        code = worker.stop()
    assert code == 0
    output = worker.output(4000)
    assert "cannot reach Kafka" in output
    assert "Traceback" not in output


async def test_worker_started_before_its_topics_processes_what_comes_once_they_appear(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    """Started before its input topic exists, the worker waits (live, not ready, saying what
    for); once the topic appears it creates the event and state topics, becomes ready, and
    every snapshot published from the topic's first moment on (while it still joins its
    group and restores) gets its events."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    names = [f"test-late-{uuid.uuid4().hex[:8]}-{role}" for role in ("in", "out", "dlq")]
    stream = source_stream("alpha.example", 60, seed=41, new_rate=0.3)
    expected = expected_events([make_snapshot(**d) for d in stream])
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        async with running_worker(kafka_bootstrap, names, tmp_path) as worker:
            deadline = time.monotonic() + 30
            while "does not exist yet" not in worker.output():
                assert time.monotonic() < deadline, worker.output()
                await asyncio.sleep(0.2)
            assert worker.get("/live")[0] == 200
            assert worker.get("/ready") == (503, {"ready": False,
                                                  "waiting_for": f"input topic {names[0]}"})
            await admin.create_topics([NewTopic(names[0], 2, 1, topic_configs=KEEP)])
            await produce(kafka_bootstrap, names[0], [envelope(d) for d in stream])
            body = await worker.wait_ready(READY)
            assert body["partitions"] == [0, 1]
            await wait_committed(kafka_bootstrap, worker.app_id, names[0], worker)
            assert events_by_source(await read_all(kafka_bootstrap, names[1])) == expected
            assert worker.stop() == 0, worker.output()
    finally:
        with contextlib.suppress(Exception):
            await admin.delete_topics([*names, f"{worker.app_id}-dedup-state"])
        await admin.close()


async def test_restarts_and_kill_9_resend_nothing_and_lose_nothing(
        kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path) -> None:
    """State survives in Kafka: a clean restart, then a kill -9 mid-stream, then a restart."""
    topics = await new_topics(3, partitions=2, config=KEEP)
    stream = interleave([source_stream("alpha.example", 240, seed=31, new_rate=0.2),
                         source_stream("beta.example", 240, seed=32, new_rate=0.2)])
    expected = expected_events([make_snapshot(**d) for d in stream])
    first, second = stream[:200], stream[200:]

    await produce(kafka_bootstrap, topics[0], [envelope(d) for d in first])
    async with running_worker(kafka_bootstrap, topics, tmp_path) as worker:
        await worker.wait_ready(READY)
        await wait_committed(kafka_bootstrap, worker.app_id, topics[0], worker)
        assert worker.stop() == 0, worker.output()

    await produce(kafka_bootstrap, topics[0], [envelope(d) for d in second])
    async with running_worker(kafka_bootstrap, topics, tmp_path) as worker:
        await worker.wait_ready(READY)
        deadline = time.monotonic() + 30
        total = sum(map(len, expected.values()))
        while len(await read_all(kafka_bootstrap, topics[1])) < total - 5:
            assert time.monotonic() < deadline, worker.output()
            await asyncio.sleep(0.05)
        worker.kill()  # kill -9 while the tail of the stream is in flight

    async with running_worker(kafka_bootstrap, topics, tmp_path) as worker:
        await worker.wait_ready(timeout=60)  # the killed member's session expires first
        await wait_committed(kafka_bootstrap, worker.app_id, topics[0], worker)
        ids = [json.loads(r.value)["event_id"] for r in await read_all(kafka_bootstrap, topics[1])]
        assert len(ids) == len(set(ids)), "duplicate events in the topic"
        assert events_by_source(await read_all(kafka_bootstrap, topics[1])) == expected
        assert worker.stop() == 0, worker.output()
