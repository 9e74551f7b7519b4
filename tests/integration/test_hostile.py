"""Poison records through one real `streamer run` against the real broker: each is dead-lettered
with its reason, the good record after it has its event published, and the worker is never
restarted. And a worker whose engine is gone ends by itself, within a bounded time.

Each case's handling is asserted at engine level in tests/unit/test_hostile_*.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.integration.test_bad_input import (
    KEEP,
    T0,
    Case,
    NewTopics,
    bad,
    good,
    iso,
    page,
    produce_cases,
)
from tests.integration.workers import read_all, running_worker, wait_committed

pytestmark = pytest.mark.timeout(180)


def envelope(**fields: object) -> bytes:
    doc = {"url": "https://poison.example/live", "fetched_at": iso(T0),
           "content": page("Dutch Police: Rotterdam gunman arrested"), **fields}
    return json.dumps(doc).encode()


POISON = [
    bad(envelope(url="http://[::1/live"), "has no valid host"),
    bad(envelope(url="http://ex\u2100ample.com/live"), "has no valid host"),
    bad(envelope(fetched_at="0001-01-01T00:00:00+14:00"), "out of range"),
    bad(envelope(fetched_at="9999-12-31T23:59:59-12:00"), "out of range"),
    bad(envelope(fetched_at="20250301T080000Z"), "not an RFC 3339 time"),
    bad(envelope(id="i" * 1_000_000), "id of 1000000 characters"),  # its events would not fit
    bad(envelope(source="s" * 1_000_000), "source name of 1000000 characters"),
]


async def test_each_poison_record_is_dead_lettered_and_the_next_record_flows(
        kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path) -> None:
    topics = [*await new_topics(1, config={"max.message.bytes": str(6 * 1024 * 1024), **KEEP}),
              *await new_topics(2, config=KEEP)]
    cases: list[Case] = []
    for i, poison in enumerate(POISON):
        cases.append(poison)
        cases.append(good("alpha.example", page(f"Council {i}: bridge number {i} reopened"),
                          T0 + timedelta(minutes=i)))
    # a megabyte of spaces after a marker: linear now, so it does not hold the stream up
    cases.append(good("alpha.example", "BREAKING" + " " * 1_000_000 + "x\n", T0))
    cases.append(good("alpha.example", page("Ministry: last record of the stream"),
                      T0 + timedelta(hours=1)))
    meta = await produce_cases(kafka_bootstrap, topics[0], cases)
    async with running_worker(kafka_bootstrap, topics, tmp_path) as worker:
        await worker.wait_ready()
        pid = worker.proc.pid
        await wait_committed(kafka_bootstrap, worker.app_id, topics[0], worker, timeout=60)
        assert worker.get("/live")[0] == 200
        assert worker.proc.pid == pid
        events = [json.loads(r.value) for r in await read_all(kafka_bootstrap, topics[1])]
        dead = await read_all(kafka_bootstrap, topics[2])
        assert worker.stop() == 0, worker.output()
    texts = {e["text"] for e in events}
    assert {f"Council {i}: bridge number {i} reopened" for i in range(len(POISON))} <= texts
    assert "Ministry: last record of the stream" in texts
    reasons = {int(dict(r.headers)["dlq.offset"]): dict(r.headers)["dlq.reason"].decode()
               for r in dead}
    want = {meta[i].offset: c.dlq for i, c in enumerate(cases) if c.dlq}
    assert reasons.keys() == want.keys()
    for offset, reason in want.items():
        assert reason in reasons[offset], (reason, reasons[offset])


async def test_a_worker_whose_engine_is_gone_ends_within_a_bounded_time(
        kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path) -> None:
    topics = await new_topics(3, config=KEEP)
    await produce_cases(kafka_bootstrap, topics[0],
                        [good("alpha.example", page("Dutch Police: Rotterdam gunman arrested"),
                              T0)])
    async with running_worker(kafka_bootstrap, topics, tmp_path) as worker:
        await worker.wait_ready()
        await wait_committed(kafka_bootstrap, worker.app_id, topics[0], worker)
        children = Path(f"/proc/{worker.proc.pid}/task/{worker.proc.pid}/children")
        [engine] = [int(p) for p in children.read_text().split()]
        os.kill(engine, signal.SIGKILL)
        start = time.monotonic()
        code = await asyncio.to_thread(worker.proc.wait, 40)
        took = time.monotonic() - start
    assert code == 1, worker.output()
    assert took < 30, f"the worker took {took:.0f} s to end after its engine died"


async def test_a_restore_skips_corrupt_state_records_and_completes(
        kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path) -> None:
    from aiokafka import AIOKafkaProducer

    from streamer.codec import make_snapshot
    from streamer.core.engine import Deduplicator
    from streamer.core.state import drain_changes
    from streamer.kafka.statekeys import state_key

    topics = await new_topics(3, config=KEEP)
    [state] = await new_topics(1, config={"cleanup.policy": "compact", **KEEP})
    known = "Dutch Police: Rotterdam gunman arrested"
    engine = Deduplicator()
    engine.process(make_snapshot(url="https://alpha.example/live", fetched_at=iso(T0),
                                 content=page(known)))
    records = [(state_key(r.source, r.cid), json.dumps(r.value).encode())
               for r in drain_changes(engine)]
    corrupt = [(state_key("alpha.example", 7), b"{truncated"),
               (state_key("alpha.example", 8), b"[1, 2, 3]"),
               (state_key("alpha.example", 9), json.dumps({"event_id": "x", "last_seen": "soon"})
                .encode()),
               (b"\xff\xfe", b"{}")]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for key, value in [*corrupt[:2], *records, *corrupt[2:]]:
            await producer.send_and_wait(state, value, key=key, partition=0)
    finally:
        await producer.stop()
    await produce_cases(kafka_bootstrap, topics[0], [
        good("alpha.example", page("Ministry: bridge reopened in Tyre", known),
             T0 + timedelta(minutes=5))])
    async with running_worker(kafka_bootstrap, topics, tmp_path,
                              env={"STREAMER_STATE_TOPIC": state}) as worker:
        await worker.wait_ready()
        await wait_committed(kafka_bootstrap, worker.app_id, topics[0], worker)
        events = [json.loads(r.value)["text"] for r in await read_all(kafka_bootstrap, topics[1])]
        assert worker.stop() == 0, worker.output()
    assert events == ["Ministry: bridge reopened in Tyre"]  # the restored flash is known
    log = worker.output(100_000)
    assert "skipped state record" in log
    assert "offset 0" in log  # key and offset name the record
