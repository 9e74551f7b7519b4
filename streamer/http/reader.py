"""Reading the event topic into the window: every partition assigned by hand (no group, no
commits), starting `history` records back, then following. And reading an older range of
offsets for a client whose cursor is behind the window."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from streamer.http.metrics import ServeMetrics
from streamer.http.window import Window
from streamer.kafka.connection import KafkaUnavailable, connect, partitions_of, stop_quietly
from streamer.settings import Settings

log = logging.getLogger("streamer.serve")

_FETCH = {"fetch_max_wait_ms": 100, "max_partition_fetch_bytes": 4 * 1024 * 1024}


async def connect_retrying(make: Callable[[], Any], settings: Settings,
                           topic: str) -> tuple[Any, list[int]]:
    """A started consumer from `make()` and the partitions of `topic`, retrying with backoff
    (0.5 s doubling to 15 s) while Kafka cannot be reached or the topic does not exist."""
    delay = 0.5
    while True:
        consumer = make()

        async def find_topic(c: Any = consumer) -> list[int]:
            return partitions_of(await c._client.fetch_all_metadata(), topic)

        try:
            parts = await connect(consumer, settings.bootstrap_servers, 10.0, find_topic)
        except KafkaUnavailable as exc:
            log.warning("serve: %s; retrying in %.1f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 15.0)
        else:
            return consumer, parts


def _consumer(settings: Settings, role: str) -> Any:
    from aiokafka import AIOKafkaConsumer

    return AIOKafkaConsumer(**settings.kafka_client_kwargs(), client_id=f"{settings.app_id}-{role}",
                            group_id=None, enable_auto_commit=False, **_FETCH)


class Reader:
    """Owns the consumer that fills the window; `ready` is set once the backlog is read."""

    def __init__(self, settings: Settings, metrics: ServeMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.topic = settings.output_topic
        self.window: Window | None = None
        self.ready = asyncio.Event()
        self.consumer: Any = None

    async def start(self) -> Window:
        """Connect (retrying with backoff while Kafka is down) and position every partition."""
        from aiokafka import TopicPartition

        consumer, parts = await connect_retrying(
            lambda: _consumer(self.settings, "serve"), self.settings, self.topic)
        self.consumer = consumer
        tps = [TopicPartition(self.topic, p) for p in range(max(parts) + 1)]
        consumer.assign(tps)
        begins = await consumer.beginning_offsets(tps)
        ends = await consumer.end_offsets(tps)
        history, metrics = self.settings.serve_history, self.metrics
        start = [max(begins[tp], ends[tp] - history) for tp in tps]
        for tp, offset in zip(tps, start, strict=True):
            consumer.seek(tp, offset)
        self.window = Window(history, start, metrics.skipped.inc)
        self._ends = [ends[tp] for tp in tps]
        if all(s >= e for s, e in zip(start, self._ends, strict=True)):
            self.ready.set()
        return self.window

    async def run(self) -> None:
        """Follow the topic until cancelled."""
        assert self.window is not None
        window, read, age = self.window, self.metrics.read, self.metrics.read_age
        loop = asyncio.get_running_loop()
        # clients are woken at most every `every` seconds: events arriving one by one reach a
        # thousand clients in a few wake-ups a second each, not one per event
        every = self.settings.serve_wake_seconds
        pending, published = False, 0.0
        try:
            while True:
                wait = every - (loop.time() - published) if pending else 1.0
                batches = await self.consumer.getmany(timeout_ms=max(1, int(wait * 1000)))
                now = time.time()
                for tp, records in batches.items():
                    for r in records:
                        window.append(tp.partition, r.offset, r.timestamp, r.value)
                        age.observe(max(0.0, now - r.timestamp / 1000))
                    read.inc(len(records))
                pending = pending or bool(batches)
                if pending and loop.time() - published >= every:
                    window.publish()
                    pending, published = False, loop.time()
                if not self.ready.is_set() and all(
                    p >= e for p, e in zip(window.positions, self._ends, strict=True)
                ):
                    self.ready.set()
        finally:
            await stop_quietly(self.consumer)

    async def offsets_for_time(self, ms: int) -> list[int]:
        """The first offset of every partition at or after the time `ms` (its end if none)."""
        from aiokafka import TopicPartition

        assert self.window is not None
        tps = [TopicPartition(self.topic, p) for p in range(len(self.window.positions))]
        found = await self.consumer.offsets_for_times(dict.fromkeys(tps, ms))
        ends = await self.consumer.end_offsets(tps)
        return [found[tp].offset if found.get(tp) else ends[tp] for tp in tps]


async def read_range(settings: Settings, topic: str, start: dict[int, int],
                     stop: dict[int, int]) -> AsyncIterator[tuple[int, int, bytes | None]]:
    """(partition, offset, value) of every record from `start` up to (not including)
    `stop`, in offset order within each partition; retention may have deleted the oldest."""
    from aiokafka import TopicPartition

    consumer = _consumer(settings, "serve-catchup")
    await connect(consumer, settings.bootstrap_servers, 10.0, lambda: asyncio.sleep(0))
    try:
        todo = {TopicPartition(topic, p): stop[p] for p in start if start[p] < stop[p]}
        consumer.assign(list(todo))
        begins = await consumer.beginning_offsets(list(todo))
        for tp in todo:
            consumer.seek(tp, max(start[tp.partition], begins[tp]))
        while todo:
            batches = await consumer.getmany(*todo, timeout_ms=1000)
            for tp, records in batches.items():
                for r in records:
                    if r.offset < todo.get(tp, -1):
                        yield tp.partition, r.offset, r.value
            for tp in list(todo):
                if await consumer.position(tp) >= todo[tp]:
                    del todo[tp]
    finally:
        await stop_quietly(consumer)
