"""The faust app behind `streamer run`: consume snapshots, call the engine, produce events.

I/O and lifecycle only; what a record means is `streamer.kafka.envelope`, what a ticker line is the
engine's business. The engine runs in a child process (`streamer.kafka.engineclient`), so the event
loop keeps consuming and producing while it works; records are published and acked in the order
they arrived. Processing is at-least-once: an input record is acked (so its offset may be
committed) only after its events, or its dead-letter copy, are acknowledged by the broker, in
offset order per partition (`streamer.kafka.acks`). faust's own send-on-commit ("attachments") and
exactly-once mode are not used.

Dedup state is kept in Kafka (`streamer.kafka.statestore`): restored when a partition is assigned,
written after each record's events are acknowledged, so restarts and rebalances neither re-send
nor lose flashes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, cast

import faust
from aiokafka.errors import KafkaError
from faust.exceptions import ProducerSendError

from streamer.core.model import Event, Snapshot
from streamer.kafka.acks import InOrderAcks, when_delivered
from streamer.kafka.engineclient import Engine, EngineError, engine_for
from streamer.kafka.envelope import OutRecord, dlq_record, event_record
from streamer.kafka.faustapp import Health, add_pages, faust_app
from streamer.kafka.metrics import worker_metrics
from streamer.kafka.statestore import StateStore
from streamer.kafka.topics import RECORD_OVERHEAD
from streamer.kafka.wire import Outcome, outcome_of
from streamer.settings import Settings

log = logging.getLogger("streamer.worker")

#: Turns one snapshot into the events to publish (the engine, or a stub in the benchmark).
Process = Callable[[Snapshot, datetime], list[Event]]

REVOKE_WAIT_SECONDS = 5.0  # for records and state writes in flight when partitions are taken away
MAX_IN_FLIGHT = 1000  # records sent to the engine process and not published yet


def new_engine(settings: Settings) -> Engine:
    """The dedup engine for every source this worker is assigned: in its own process unless
    `engine_in_process`. Not started yet."""
    return engine_for(settings.dedup(), settings.engine_in_process, settings.log_format)


def create_app(settings: Settings, process: Process | None = None,
               clock: Callable[[], datetime] = lambda: datetime.now(UTC),
               engine: Engine | None = None) -> faust.App:
    """A faust app wired to `settings`: the dedup engine (`engine`, or a new one) with its state
    kept in Kafka, or `process` (a stateless stand-in, for the benchmark's no-dedup baseline)."""
    store = None if process is not None else StateStore(settings, engine or new_engine(settings))
    process_stub = process
    record_limit = settings.max_snapshot_bytes + RECORD_OVERHEAD
    app = faust_app(settings, record_limit)
    source = app.topic(settings.input_topic, key_type=bytes, value_type=bytes,
                       key_serializer="raw", value_serializer="raw", allow_empty=True)
    outputs = [app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw",
                         value_serializer="raw") for name in (settings.output_topic,
                                                              settings.dlq_topic)]
    # (the event and state topics are normally created by streamer.kafka.startup.prepare, with the
    # input's partition count; declaring here only covers the stand-in benchmark app)
    health = Health()
    metrics = worker_metrics()
    read_upto: dict[int, int] = {}  # input partition -> next offset to read (for the lag)

    def lag() -> dict[int, int]:
        # Before a partition's first record, its committed offset is where reading starts
        # (faust keeps it; the oldest record, 0 here, when nothing was committed yet).
        committed = getattr(app.consumer, "_committed_offset", {})
        behind = {}
        for tp in app.consumer.assignment():
            if tp.topic == settings.input_topic:
                high = app.consumer.highwater(tp)
                start = read_upto.get(tp.partition, committed.get(tp) or 0)
                if high is not None:
                    behind[tp.partition] = max(0, high - start)
        return behind

    metrics.lag = lag
    if store is not None:
        store.on_restored = metrics.restored

    crashing: set[asyncio.Future[None]] = set()

    def on_delivery_failure(exc: BaseException) -> None:
        # Stop rather than skip: the record stays uncommitted and is processed again on restart.
        if health.failure is None:
            what = "engine failed" if isinstance(exc, EngineError) else "produce failed"
            health.failure = f"{what}: {exc!r}"
            log.error("%s (%r); stopping, input not committed", what, exc)
            crashing.add(asyncio.ensure_future(app.crash(exc)))

    acks = InOrderAcks(on_delivery_failure)
    if store is not None:
        store.engine.on_gone = on_delivery_failure  # also when no record is waiting for it

    async def send(topic: str, rec: OutRecord, partition: int | None = None
                   ) -> asyncio.Future[Any]:
        fut = await app.producer.send(topic, rec.key, rec.value, partition, rec.timestamp,
                                      rec.headers)
        return cast("asyncio.Future[Any]", fut)

    # Per input partition, the last record's state write (a task) while one is in flight: each
    # record's state is sent only after its events are acknowledged and after the previous
    # record's state was sent, so state in Kafka never describes an event that is not there and
    # a flash's records stay in order, while the stream goes on without waiting for the broker.
    state_writes: dict[int, asyncio.Task[list[asyncio.Future[Any]]]] = {}

    async def send_state(partition: int, records: list[tuple[bytes, bytes | None]]
                         ) -> list[asyncio.Future[Any]]:
        metrics.state_writes.inc(len(records))
        return [await send(settings.state_topic_name, OutRecord(key, value, [], None), partition)
                for key, value in records]

    async def write_state(partition: int, previous: asyncio.Future[Any] | None,
                          events: list[asyncio.Future[Any]],
                          changes: list[tuple[bytes, bytes | None]]) -> list[asyncio.Future[Any]]:
        assert store is not None
        if previous is not None:
            await previous
        if events:
            acked = await asyncio.gather(*events)
            store.delivered(partition, max(m.offset for m in acked) + 1)
        return await send_state(partition, changes + store.checkpoint(partition))

    async def state_acked(write: asyncio.Task[list[asyncio.Future[Any]]]) -> None:
        await asyncio.gather(*await write)

    async def publish(partition: int, outcome: Outcome) -> list[asyncio.Future[Any]]:
        """Send the events; the state that accounts for them follows once they are acked."""
        fresh = outcome.events if store is None else store.fresh(partition, outcome)
        for event in fresh:
            metrics.events.labels(event.kind).inc()
        if store is None:
            return [await send(settings.output_topic, event_record(e)) for e in fresh]
        events = [await send(settings.output_topic, event_record(e), partition) for e in fresh]
        changes = outcome.changes
        previous = state_writes.get(partition)
        if not events and (previous is None or previous.done()):  # nothing to wait for
            return await send_state(partition, changes + store.checkpoint(partition))
        write = state_writes[partition] = asyncio.ensure_future(
            write_state(partition, previous, events, changes))
        write.add_done_callback(partial(forget_write, partition))
        return [*events, asyncio.ensure_future(state_acked(write))]

    def forget_write(partition: int, write: asyncio.Future[Any]) -> None:
        if state_writes.get(partition) is write:
            del state_writes[partition]

    async def dead_letter(reason: str, message: Any, source: str) -> asyncio.Future[Any]:
        log.warning("dead-lettered %s[%d]@%d: %s", message.topic, message.partition,
                    message.offset, reason, extra={"topic": message.topic,
                                                   "partition": message.partition,
                                                   "offset": message.offset,
                                                   "source": source or None})
        kw = {"key": message.key, "value": message.value, "headers": message.headers,
              "topic": message.topic, "partition": message.partition,
              "offset": message.offset, "timestamp": message.timestamp}
        try:
            return await send(settings.dlq_topic, dlq_record(reason, **kw))
        except ProducerSendError:  # e.g. larger than the producer's max request size
            return await send(settings.dlq_topic, dlq_record(reason, keep_value=False, **kw))

    def stand_in(message: Any) -> asyncio.Future[tuple[Any, ...]]:
        """The baseline's outcome, computed here (decoding included) like the engine's."""
        assert process_stub is not None
        fut: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()
        fut.set_result(outcome_of(process_stub, message.value, message.headers,
                                  message.timestamp, settings.max_snapshot_bytes, clock(),
                                  fmt=settings.input_format))
        return fut

    # Records on their way: sent to the engine, outcome not published yet, in arrival order.
    # The agent keeps reading while the engine process works; the records at the head whose
    # outcome has come back are published and acked in order, by the agent between records, or
    # by a drain task when the agent has nothing to read (the newest outcome came back). Bounded:
    # when MAX_IN_FLIGHT records are out, the agent waits for the oldest.
    in_flight: deque[tuple[Any, asyncio.Future[tuple[Any, ...]]]] = deque()
    finishing = asyncio.Lock()  # one finisher at a time keeps the order
    drainer: asyncio.Task[None] | None = None

    async def finish(event: Any, outcome: Outcome) -> None:
        message = event.message
        if store is not None and message.partition not in store.parts:
            return  # revoked meanwhile: its next owner reads the record again
        if outcome.dead_letter is not None:
            metrics.dead_lettered(outcome.dead_letter, outcome.tally)
            deliveries = [await dead_letter(outcome.dead_letter, message, outcome.source)]
        else:
            metrics.processed(outcome.source, outcome.tally)
            deliveries = await publish(message.partition, outcome)
        acks.add(message.tp, event.ack, deliveries)
        if message.timestamp:
            when_delivered(deliveries, partial(delivered_after, message.timestamp))

    def delivered_after(timestamp: float) -> None:
        metrics.latency.observe(max(0.0, clock().timestamp() - timestamp))

    async def finish_ready() -> None:
        async with finishing:
            while in_flight and in_flight[0][1].done():
                event, reply = in_flight.popleft()
                await finish(event, Outcome._make(reply.result()))

    async def drain() -> None:
        try:
            await finish_ready()
        except Exception as exc:  # a produce not acknowledged, or the engine process gone
            on_delivery_failure(exc)

    def outcome_back(reply: asyncio.Future[Any]) -> None:
        nonlocal drainer
        if in_flight and in_flight[-1][1] is reply and (drainer is None or drainer.done()):
            drainer = asyncio.ensure_future(drain())

    async def finish_all(deadline: float) -> None:
        """Publish everything in flight (at revocation), until the loop time `deadline`."""
        while in_flight:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                log.warning("%d records still in flight at revocation", len(in_flight))
                return
            await asyncio.wait([in_flight[-1][1]], timeout=left)
            await finish_ready()

    @app.agent(source, name="streamer.dedup")
    async def dedup(stream: Any) -> None:
        if store is not None:  # start the engine process while the group forms
            await store.engine.start()
            metrics.engine_starts.inc()
        await app.maybe_start_producer()
        for topic in outputs:
            # Create the event and dead-letter topics if missing (an existing one is left as
            # it is): a send to a missing topic would wait for metadata forever.
            await topic.maybe_declare()
        health.agent_running = True
        try:
            async for event in stream.noack().events():
                read_upto[event.message.partition] = event.message.offset + 1
                if store is None:
                    reply = stand_in(event.message)
                else:
                    message = event.message
                    await store.ensure(message.partition)
                    reply = store.submit(message.value, message.headers, message.timestamp,
                                         clock())
                    reply.add_done_callback(outcome_back)
                in_flight.append((event, reply))
                if len(in_flight) >= MAX_IN_FLIGHT:
                    await asyncio.wait([in_flight[0][1]])
                await finish_ready()
        except (ProducerSendError, KafkaError, EngineError) as exc:
            on_delivery_failure(exc)
            raise
        finally:
            health.agent_running = False
            if store is not None:
                await store.engine.close()

    async def on_revoked(sender: Any, revoked: set[Any], **kwargs: Any) -> None:
        # Let records in flight and their state writes reach the producer before the
        # partitions' next owner restores them (bounded: a record that cannot finish is read
        # again from the input by the next owner).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REVOKE_WAIT_SECONDS
        await finish_all(deadline)
        writes = [state_writes[tp.partition] for tp in revoked
                  if tp.topic == settings.input_topic and tp.partition in state_writes]
        if writes:
            await asyncio.wait(writes, timeout=max(0.1, deadline - loop.time()))
        acks.forget(revoked)

    async def on_assigned(sender: Any, assigned: set[Any], **kwargs: Any) -> None:
        # faust revokes everything before each assignment (eager rebalancing): keep the state of
        # partitions this worker keeps, drop the ones that moved away, restore the new ones
        # before any of their records is processed.
        if store is None:
            return
        mine = {tp.partition for tp in assigned if tp.topic == settings.input_topic}
        store.forget(set(store.parts) - mine)
        held = {s for part in store.parts.values() for s in part.sources}
        for source in metrics.live.keys() - held:
            del metrics.live[source]
        for partition in read_upto.keys() - mine:
            del read_upto[partition]
        await asyncio.gather(*(store.ensure(partition) for partition in sorted(mine)))

    app.on_partitions_revoked.connect(on_revoked)  # type: ignore[arg-type]
    app.on_partitions_assigned.connect(on_assigned)  # type: ignore[arg-type]

    def readiness() -> tuple[bool, dict[str, Any]]:
        try:
            assigned = sorted(tp.partition for tp in app.consumer.assignment()
                              if tp.topic == settings.input_topic)
        except Exception:  # consumer not started yet
            assigned = []
        body = {"agent_running": health.agent_running, "rebalancing": bool(app.rebalancing),
                "partitions": assigned, "pending_acks": acks.pending(), "failure": health.failure}
        restored = store is None or (not store.restoring
                                     and all(p in store.parts for p in assigned))
        body["restored"] = restored
        ok = (health.agent_running and bool(assigned) and not app.rebalancing
              and health.failure is None and restored)
        return ok, body

    metrics.ready = lambda: readiness()[0]
    add_pages(app, settings, readiness, metrics.expose, health)
    return app
