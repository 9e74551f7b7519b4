"""Dedup state kept in Kafka, so a restart or a rebalance re-sends nothing and loses nothing.

The engine (in its own process, `streamer.kafka.engineclient`) returns each input record's state
changes (`streamer.core.state`); they go to a compacted topic
(`{app_id}-dedup-state`), into the same partition number as the input record; a partition's
events go to the same partition number of the event topic. The order per input record is:
events, their acks, then the state records (with the next event-topic offset they cover), then
the input offset commit. So after any crash:

- state that reached Kafka only ever describes events that reached Kafka;
- events that reached Kafka after the last state write are read back from the event topic on
  restore ("replayed" ids), and when the engine derives them again from the re-read input, they
  are recognised and not sent twice (event ids are deterministic).

On assignment of an input partition the store reads that partition of the state topic (all of
it: compaction keeps it to the live flashes) and the event topic from the recorded offset, before
the partition's first record is processed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from streamer.codec import dumps, loads
from streamer.core.model import Event
from streamer.kafka.engineclient import Engine, tell
from streamer.kafka.statekeys import PARTITION_KEY, parse_key
from streamer.kafka.wire import Outcome, trim_heap
from streamer.settings import Settings

log = logging.getLogger("streamer.state")

READ_BATCH = 10_000
# State batches sent to the engine and not yet applied, at most: reading Kafka is faster than
# applying, and without a bound a big partition would wait in the worker's pipe buffer.
APPLY_AHEAD = 4


@dataclass(slots=True)
class PartitionState:
    sources: set[str] = field(default_factory=set)
    replayed: set[str] = field(default_factory=set)  # event ids already in the event topic
    output_offset: int = 0  # the event-topic offset up to which the saved state accounts
    saved_offset: int = 0  # the output_offset last written to the state topic


@dataclass(frozen=True, slots=True)
class RestoreStats:
    partition: int
    records: int
    flashes: int
    replayed: int
    seconds: float
    live: dict[str, int]  # source -> flashes restored


class StateStore:
    """The engine, partitioned like the input topic, with its state in Kafka."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.parts: dict[int, PartitionState] = {}
        self._restoring: dict[int, asyncio.Future[None]] = {}
        self.on_restored: Callable[[RestoreStats], object] | None = None  # (the metrics)

    # -- restore -----------------------------------------------------------------------------
    @property
    def restoring(self) -> int:
        return sum(1 for f in self._restoring.values() if not f.done())

    async def ensure(self, partition: int) -> None:
        """Restore `partition` once; callers for the same partition wait for the first."""
        if partition in self.parts:
            return
        fut = self._restoring.get(partition)
        if fut is None:
            fut = self._restoring[partition] = asyncio.ensure_future(self._restore(partition))
        await asyncio.shield(fut)

    async def _restore(self, partition: int) -> None:
        try:
            stats = await self._read(partition)
            if self.on_restored is not None:
                self.on_restored(stats)
            log.info("restored partition %d: %d flashes from %d state records, %d events "
                        "after the last checkpoint, in %.2f s", stats.partition, stats.flashes,
                        stats.records, stats.replayed, stats.seconds)
        finally:
            self._restoring.pop(partition, None)

    async def _read(self, partition: int) -> RestoreStats:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        # The engine process starts while Kafka is read (it is only needed for the records).
        engine_up = asyncio.ensure_future(self.engine.start())
        engine_up.add_done_callback(lambda f: f.cancelled() or f.exception())  # (seen below)
        start = time.perf_counter()
        part = PartitionState()
        state_tp = TopicPartition(self.settings.state_topic_name, partition)
        out_tp = TopicPartition(self.settings.output_topic, partition)
        consumer = AIOKafkaConsumer(
            enable_auto_commit=False, auto_offset_reset="earliest",
            max_partition_fetch_bytes=8 * 1024 * 1024, **self.settings.kafka_client_kwargs())
        await consumer.start()
        try:
            records = 0
            applied: list[asyncio.Future[int]] = []
            # Both assigned, paused, first: one metadata round learns both topics before their
            # offsets are looked up (a lookup of a topic the consumer does not know yet fails
            # and waits out retry_backoff_ms, 100 ms, once per topic). Paused, nothing is
            # fetched: an empty partition is never read, and most partitions start out empty.
            consumer.assign([state_tp, out_tp])
            consumer.pause(state_tp, out_tp)
            begins = await consumer.beginning_offsets([state_tp])
            ends = await consumer.end_offsets([state_tp, out_tp])
            if ends[state_tp] > begins[state_tp]:
                await engine_up
                consumer.assign([state_tp])
                await consumer.seek_to_beginning(state_tp)
                while await consumer.position(state_tp) < ends[state_tp]:
                    batch = await consumer.getmany(state_tp, timeout_ms=1000,
                                                   max_records=READ_BATCH)
                    msgs = batch.get(state_tp, [])
                    records += len(msgs)
                    applied.append(self.engine.call("apply", self._sort(part, msgs)))
                    if len(applied) > APPLY_AHEAD:
                        await asyncio.wait([applied[-APPLY_AHEAD - 1]])
            end = ends[out_tp]
            if part.output_offset < end:
                consumer.assign([out_tp])
                consumer.seek(out_tp, part.output_offset)
                while await consumer.position(out_tp) < end:
                    batch = await consumer.getmany(out_tp, timeout_ms=1000,
                                                   max_records=READ_BATCH)
                    for msg in batch.get(out_tp, []):
                        try:
                            part.replayed.add(str(loads(msg.value)["event_id"]))
                        except Exception as exc:  # not one of our events: nothing to replay
                            log.warning("skipped event-topic record at offset %d: %r",
                                        msg.offset, exc)
            part.output_offset = part.saved_offset = end
        finally:
            await consumer.stop()
        await engine_up
        skipped = sum(await asyncio.gather(*applied))
        if skipped:
            log.warning("partition %d: skipped %d invalid state records (see the engine's log)",
                        partition, skipped)
        live = await self.engine.call("finish", sorted(part.sources))
        if records:  # (else nothing was freed: a full collection and a trim, ~20 ms, for nothing)
            trim_heap()
        self.parts[partition] = part
        return RestoreStats(partition, records, sum(live.values()), len(part.replayed),
                            time.perf_counter() - start, live)

    @staticmethod
    def _sort(part: PartitionState, msgs: list[Any]) -> list[tuple[bytes, bytes | None, int]]:
        """The partition's own record is read here; the flashes' records (with their offsets)
        go to the engine, which checks each. A record that cannot be read is skipped and logged:
        a restore always completes."""
        flashes = []
        for msg in msgs:
            try:
                parsed = parse_key(msg.key)
                if parsed is None:
                    if msg.value is not None:
                        offset = loads(msg.value)["output_offset"]
                        if not isinstance(offset, int) or offset < 0:
                            raise ValueError(f"output_offset {offset!r:.40}")
                        part.output_offset = part.saved_offset = offset
                    continue
            except Exception as exc:
                log.warning("skipped state record %r at offset %d: %r", msg.key, msg.offset, exc)
                continue
            part.sources.add(parsed[0])
            flashes.append((msg.key, msg.value, msg.offset))
        return flashes

    def forget(self, partitions: Iterable[int]) -> None:
        """Partitions moved to another worker: drop their sources from memory."""
        for p in partitions:
            part = self.parts.pop(p, None)
            if part is not None and part.sources:
                tell(self.engine, "forget", sorted(part.sources))

    # -- processing ----------------------------------------------------------------------------
    def submit(self, value: bytes | None, headers: Any, timestamp: float | None, now: datetime
               ) -> asyncio.Future[tuple[Any, ...]]:
        """Send an input record to the engine; the future gets what it comes to (an Outcome's
        fields)."""
        return self.engine.call("process", value, headers, timestamp,
                                self.settings.max_snapshot_bytes, now.timestamp(),
                                self.settings.input_format)

    def fresh(self, partition: int, outcome: Outcome) -> list[Event]:
        """The outcome's events, less those already in the event topic."""
        part = self.parts[partition]
        part.sources.add(outcome.source)
        events = outcome.events
        if part.replayed:
            fresh = [e for e in events if e.event_id not in part.replayed]
            part.replayed.difference_update(e.event_id for e in events)
            return fresh
        return events

    def delivered(self, partition: int, next_offset: int) -> None:
        """Events up to `next_offset` of the partition's event topic are acknowledged."""
        part = self.parts.get(partition)
        if part is not None:  # (a partition revoked meanwhile is its new owner's business)
            part.output_offset = max(part.output_offset, next_offset)

    def checkpoint(self, partition: int) -> list[tuple[bytes, bytes | None]]:
        """The partition's own record, when the event-topic offset it accounts for moved."""
        part = self.parts.get(partition)
        if part is None or part.output_offset == part.saved_offset:
            return []
        part.saved_offset = part.output_offset
        return [(PARTITION_KEY, dumps({"output_offset": part.output_offset}))]


def topic_specs(settings: Settings, partitions: int) -> dict[str, dict[str, Any]]:
    """Topics the worker creates when missing: events and state share the input's partitioning."""
    return {
        settings.output_topic: {"partitions": partitions, "config": {}},
        settings.state_topic_name: {
            "partitions": partitions,
            "config": {"cleanup.policy": "compact", "min.compaction.lag.ms": "60000",
                       "segment.ms": "3600000"},
        },
    }

