"""`streamer publish`: send snapshots (files, directories, JSON lines, stdin) to the input topic.

Each snapshot is keyed by its source, so one site's snapshots land on one partition in order.
Sends are pipelined (not awaited one by one) on an idempotent, acks=all producer.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from streamer.cli.flags import add_connection_flags, add_input_format_flag, add_setting_flags
from streamer.cli.inputs import Item, missing, read_inputs
from streamer.codec import BadRecord, encode_snapshot
from streamer.inputs.pages import Skipped
from streamer.kafka.connection import KafkaUnavailable, connect, partitions_of, stop_quietly
from streamer.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="FILE",
                        help="snapshot files (.jsonl/.json records, .txt/.html pages, "
                             ".warc/.warc.gz crawls), directories of them, or - for JSON lines "
                             "on stdin")
    add_connection_flags(parser)
    add_setting_flags(parser, "input_topic", "max_snapshot_bytes")
    add_input_format_flag(parser)
    parser.add_argument("--topic", help="topic to send to (default: the input topic)")
    parser.add_argument("--rate", type=_positive_float, metavar="N",
                        help="send at most N snapshots per second (demos, latency tests)")
    parser.add_argument("--timeout", type=_positive_float, default=10.0, metavar="SECONDS",
                        help="give up connecting to Kafka after this long (default: 10)")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
    return value


@dataclass(slots=True)
class Counts:
    """What happened to the records read: sent (acknowledged), bad (not sent), failed (rejected),
    skipped (not pages: a 404, a revisit, a request record)."""

    sent: int = 0
    bad: int = 0
    failed: int = 0
    skipped: int = 0

    def summary(self, topic: str) -> str:
        text = f"sent {self.sent}, bad {self.bad}, to topic {topic}"
        text += f"; {self.skipped} records were not pages" if self.skipped else ""
        return text + (f" (failed to send {self.failed})" if self.failed else "")

    @property
    def exit_code(self) -> int:
        return 1 if self.bad or self.failed else 0


def records(
    items: Iterable[Item], counts: Counts, err: TextIO
) -> Iterator[tuple[str, bytes, bytes]]:
    """(origin, key, value) per good snapshot; each bad one is counted and reported on `err`."""
    for origin, item in items:
        if isinstance(item, Skipped):
            counts.skipped += 1
            continue
        if isinstance(item, BadRecord):
            counts.bad += 1
            print(f"{origin}: {item}", file=err)
            continue
        yield origin, item.source.encode("utf-8"), encode_snapshot(item)


class Pacer:
    """Spaces sends `1/rate` seconds apart from the first one, without drifting."""

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.clock = clock
        self.start: float | None = None
        self.count = 0

    def delay(self) -> float:
        """Seconds to wait before the next send."""
        if not self.interval:
            return 0.0
        now = self.clock()
        if self.start is None:
            self.start = now
        due = self.start + self.count * self.interval
        self.count += 1
        return max(0.0, due - now)


def run(args: argparse.Namespace, settings: Settings) -> int:
    topic = args.topic or settings.input_topic
    for path in missing(args.paths):
        print(f"streamer publish: {path}: no such file or directory", file=sys.stderr)
    if missing(args.paths):
        return 2
    counts = Counts()
    try:
        asyncio.run(_publish(args, settings, topic, counts))
    except KafkaUnavailable as exc:
        print(f"streamer publish: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(counts.summary(topic) + " before interrupted", file=sys.stderr)
        return 130
    print(counts.summary(topic), file=sys.stderr)
    return counts.exit_code


async def _publish(args: argparse.Namespace, settings: Settings, topic: str,
                   counts: Counts) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(
        **settings.kafka_client_kwargs(),
        client_id=f"{settings.app_id}-publish",
        acks="all",
        enable_idempotence=True,
        linger_ms=0 if args.rate else 10,
        max_batch_size=256 * 1024,
        max_request_size=max(1024 * 1024, settings.max_snapshot_bytes + 64 * 1024),
        request_timeout_ms=int(max(args.timeout, 30.0) * 1000),
    )

    async def find_topic() -> None:
        # Without this, a missing topic means a silent 40 s wait inside `send`.
        partitions_of(await producer.client.fetch_all_metadata(), topic)

    await connect(producer, settings.bootstrap_servers, args.timeout, find_topic)
    try:
        await _send_all(producer, topic, args, settings, counts)
        await producer.flush()
    finally:
        await stop_quietly(producer, timeout=30.0)


async def _send_all(producer: Any, topic: str, args: argparse.Namespace, settings: Settings,
                    counts: Counts) -> None:
    from aiokafka.errors import KafkaError

    pacer = Pacer(args.rate)
    pending: set[asyncio.Future[Any]] = set()

    def done(origin: str, fut: asyncio.Future[Any]) -> None:
        pending.discard(fut)
        if fut.cancelled():
            return
        exc = fut.exception()
        if exc is None:
            counts.sent += 1
        else:
            counts.failed += 1
            print(f"{origin}: not sent: {exc}", file=sys.stderr)

    items = read_inputs(args.paths, fmt=settings.input_format,
                        max_bytes=settings.max_snapshot_bytes)
    for origin, key, value in records(items, counts, sys.stderr):
        wait = pacer.delay()
        if wait:
            await asyncio.sleep(wait)
        try:
            # `send` only waits when the producer's buffer is full; the future resolves on ack.
            fut = await producer.send(topic, value=value, key=key)
        except KafkaError as exc:  # e.g. record larger than max_request_size
            counts.failed += 1
            print(f"{origin}: not sent: {exc}", file=sys.stderr)
            continue
        pending.add(fut)
        fut.add_done_callback(lambda f, o=origin: done(o, f))
    if pending:
        await asyncio.wait(pending)

