"""`streamer tail`: follow the events topic like `tail -f`, one readable line (or JSON line) each.

By default the consumer is assigned every partition by hand: it joins no group and commits
nothing, so any number of people can tail without disturbing each other. `--group ID` opts in.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import operator
import os
import re
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO, TextIO

from streamer.cli.flags import add_connection_flags, add_setting_flags
from streamer.cli.tailprint import Printer
from streamer.cli.tailview import COLOR, PLAIN, EventFilter, Style, parse_since
from streamer.kafka.connection import KafkaUnavailable, connect, partitions_of, stop_quietly
from streamer.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_flags(parser)
    add_setting_flags(parser, "output_topic")
    parser.add_argument("--topic", help="topic to follow (default: the output topic)")
    parser.add_argument("--json", action="store_true",
                        help="print each event's JSON value as it is stored, one per line")
    start = parser.add_argument_group("where to start (default: only new events)")
    start.add_argument("--from-beginning", action="store_true",
                       help="start at the oldest retained event")
    start.add_argument("--last", type=_count, metavar="N",
                       help="first print the N newest events (after filters), oldest first")
    start.add_argument("--since", metavar="TIME",
                       help="only events first seen at or after TIME (their first_seen, the "
                            "page time, not when they were written): RFC 3339 "
                            "(2026-11-21T09:00:00Z; no offset = UTC) or a duration back from "
                            "now (90s, 10m, 2h, 1h30m, 3d)")
    pick = parser.add_argument_group("filters")
    pick.add_argument("--source", action="append", metavar="SITE",
                      help="only events from SITE (repeat or comma-separate for several)")
    pick.add_argument("--grep", metavar="REGEX",
                      help="only events whose text (or previous text) matches, ignoring case")
    parser.add_argument("--exit-at-end", action="store_true",
                        help="exit once the end of every partition, as it was at start, is reached")
    parser.add_argument("--group", metavar="ID",
                        help="consume as member of group ID and commit offsets "
                             "(default: no group, no commits)")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="color readable lines (default: auto, only when stdout is a terminal)")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                        help="give up if Kafka cannot be reached within this long (default: 10)")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


@dataclass(frozen=True, slots=True)
class Options:
    """The parsed, checked form of the flags."""

    topic: str
    raw_json: bool
    from_beginning: bool
    last: int | None
    since: datetime | None
    filter: EventFilter
    exit_at_end: bool
    group: str | None
    style: Style
    timeout: float


def options(args: argparse.Namespace, settings: Settings, now: datetime,
            stdout_isatty: bool) -> Options:
    """Raises ValueError with a usage message for flags that do not go together."""
    try:
        since = parse_since(args.since, now) if args.since else None
    except ValueError as exc:
        raise ValueError(f"--since: {exc}") from None
    try:
        flt = EventFilter.build(args.source, args.grep, since)
    except re.error as exc:
        raise ValueError(f"--grep: bad regular expression: {exc}") from None
    if args.group and (args.last or since):
        raise ValueError("--last and --since pick start offsets, which a --group manages")
    if args.timeout <= 0:
        raise ValueError("--timeout must be greater than 0")
    color = args.color == "always" or (args.color == "auto" and stdout_isatty)
    return Options(
        topic=args.topic or settings.output_topic,
        raw_json=args.json,
        from_beginning=args.from_beginning,
        last=args.last,
        since=since,
        filter=flt,
        exit_at_end=args.exit_at_end,
        group=args.group,
        style=COLOR if color and not args.json else PLAIN,
        timeout=args.timeout,
    )


def start_offset(begin: int, end: int, *, from_beginning: bool, since: int | None,
                 has_since: bool, last: int | None, filtering: bool) -> int:
    """Where one partition's reading starts, given its [begin, end) range.

    `since` is offsets_for_times' answer (None: nothing that new, so start at end).
    `--last N` without filters needs at most the N newest records of each partition; with
    filters the N newest matches can be anywhere, so the whole range is read.
    """
    if has_since:
        start = end if since is None else since
    elif from_beginning or (last and filtering):
        start = begin
    elif last:
        start = end - last
    else:
        start = end
    if last and not filtering:
        start = max(start, end - last)
    return min(max(start, begin), end)


def printer_for(opts: Options, out: BinaryIO, err: TextIO) -> Printer:
    return Printer(opts.raw_json, opts.filter, opts.style, out, err)


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        opts = options(args, settings, datetime.now(UTC), sys.stdout.isatty())
    except ValueError as exc:
        print(f"streamer tail: {exc}", file=sys.stderr)
        return 2
    printer = printer_for(opts, sys.stdout.buffer, sys.stderr)
    try:
        return asyncio.run(_main(opts, settings, printer))
    except KafkaUnavailable as exc:
        print(f"streamer tail: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`| head`): not an error. Point stdout at /dev/null so the
        # interpreter's final flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 0


async def _main(opts: Options, settings: Settings, printer: Printer) -> int:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    caught: list[int] = []

    def stop(signum: int) -> None:
        caught.append(signum)
        task.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)
    try:
        await _tail(opts, settings, printer)
    except asyncio.CancelledError:
        if not caught:
            raise
        return 128 + caught[0]
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return 0


async def _tail(opts: Options, settings: Settings, printer: Printer) -> None:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        **settings.kafka_client_kwargs(),
        client_id=f"{settings.app_id}-tail",
        group_id=opts.group,
        enable_auto_commit=opts.group is not None,
        auto_offset_reset="earliest" if opts.from_beginning else "latest",
        # Large fetches: a backlog arrives in few round trips, and the C record parser
        # does the rest. fetch_max_wait bounds the latency of following.
        fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=16 * 1024 * 1024,
        fetch_max_wait_ms=200,
        request_timeout_ms=int(max(opts.timeout, 30.0) * 1000),
    )

    async def find_topic() -> list[int]:
        # The consumer has no public "fresh metadata" call; a missing topic must not hang us.
        return partitions_of(await consumer._client.fetch_all_metadata(), opts.topic)

    parts = await connect(consumer, settings.bootstrap_servers, opts.timeout, find_topic)
    try:
        async with asyncio.timeout(opts.timeout * 3):
            if opts.group:
                consumer.subscribe([opts.topic])
                ends: dict[Any, int] = {}
            else:
                tps = [TopicPartition(opts.topic, p) for p in parts]
                consumer.assign(tps)
                ends = await _seek(consumer, tps, opts)
        await _follow(consumer, opts, printer, ends)
    finally:
        await stop_quietly(consumer, timeout=10.0)


SINCE_MARGIN_SECONDS = 3600.0


async def _seek(consumer: Any, tps: list[Any], opts: Options) -> dict[Any, int]:
    """Position every partition per --from-beginning/--since/--last; returns the end offsets."""
    begins = await consumer.beginning_offsets(tps)
    ends: dict[Any, int] = await consumer.end_offsets(tps)
    found: dict[Any, Any] = {}
    if opts.since is not None:
        # Records are stamped when published, never before their first_seen, except a page
        # dated up to the allowed skew ahead: seek that much early; the filter does the rest.
        ms = max(0, int((opts.since.timestamp() - SINCE_MARGIN_SECONDS) * 1000))
        found = await consumer.offsets_for_times(dict.fromkeys(tps, ms))
    for tp in tps:
        hit = found.get(tp)
        consumer.seek(tp, start_offset(
            begins[tp], ends[tp],
            from_beginning=opts.from_beginning,
            since=hit.offset if hit is not None else None,
            has_since=opts.since is not None,
            last=opts.last,
            filtering=opts.filter.active,
        ))
    return ends


_timestamp = operator.attrgetter("timestamp")

# (timestamp, partition, offset, record, event): heap order is time, then position
Held = tuple[int, int, int, Any, dict[str, Any] | None]


async def _follow(consumer: Any, opts: Options, printer: Printer, ends: dict[Any, int]) -> None:
    """Print events as they arrive.

    The backlog phase lasts until every partition reaches its end offset from the start: with
    `--last N` events are held back meanwhile (keeping the N newest), and `--exit-at-end` stops
    there. A partition that reaches its end early is paused, so nothing newer is lost or
    printed out of turn.
    """
    held: list[Held] = []
    backlog = opts.last is not None or opts.exit_at_end
    done: set[Any] = set()
    while True:
        batches = await consumer.getmany(timeout_ms=500)
        if backlog and opts.group:  # a group hands out partitions later: learn their ends then
            fresh = [tp for tp in consumer.assignment() if tp not in ends]
            if fresh:
                ends.update(await consumer.end_offsets(fresh))
        for tp, records in batches.items():
            if backlog and tp in ends and records and records[-1].offset >= ends[tp]:
                records = [r for r in records if r.offset < ends[tp]]
                consumer.seek(tp, ends[tp])  # re-read the rest after the backlog
            if backlog and opts.last is not None:
                _hold(printer, held, opts.last, tp.partition, records)
            elif records:
                printer.write_batch(records if printer.fast else
                                    sorted(records, key=_timestamp))
        if not backlog:
            continue
        for tp in ends.keys() - done:
            if await consumer.position(tp) >= ends[tp]:
                done.add(tp)
                consumer.pause(tp)
        if ends and done >= ends.keys() and (not opts.group or consumer.assignment()):
            if held:
                _write_held(printer, held)
                held = []
            if opts.exit_at_end:
                return
            backlog = False
            consumer.resume(*done)


def _hold(printer: Printer, held: list[Held], limit: int, partition: int,
          records: Sequence[Any]) -> None:
    """Keep the `limit` newest wanted records in the min-heap `held`."""
    for r in records:
        event = None if printer.fast else printer.wanted(r)
        if event is None and not (printer.fast and r.value is not None):
            continue
        item = (r.timestamp, partition, r.offset, r, event)
        if len(held) < limit:
            heapq.heappush(held, item)
        else:
            heapq.heappushpop(held, item)


def _write_held(printer: Printer, held: list[Held]) -> None:
    held.sort(key=lambda item: item[:3])
    printer.out.write(printer.render([(item[3], item[4]) for item in held]))
    printer.out.flush()
