"""`streamer topics create|describe`: the worker's input, event, dead-letter and state topics.

`create` makes whichever is missing with the partition counts and configs the worker expects
(idempotent: existing topics are left as they are, but checked); `describe` shows what is there.
Both wait for Kafka up to `--timeout` (a broker started a moment ago is fine).
Exit codes: 0 ok, 1 Kafka unreachable or a topic could not be created, 2 a topic layout that
does not fit (say, a state topic with another partition count than the input).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from streamer.cli.flags import TOPICS, add_connection_flags, add_setting_flags
from streamer.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("create", "describe"),
                        help="create the missing topics, or describe them")
    add_connection_flags(parser)
    add_setting_flags(parser, *TOPICS, "ttl_hours", "max_snapshot_bytes", title="topics")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="wait this long for Kafka to answer (default: 60)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from streamer.kafka.connection import KafkaUnavailable
    from streamer.kafka.topics import TopicLayoutError

    try:
        return asyncio.run(_main(args.action, settings, args.timeout))
    except KafkaUnavailable as exc:
        print(f"streamer topics: {exc}", file=sys.stderr)
        return 1
    except TopicLayoutError as exc:
        print(f"streamer topics: {exc}", file=sys.stderr)
        return 2


async def _main(action: str, settings: Settings, timeout: float) -> int:
    from streamer.kafka.connection import wait_for_admin
    from streamer.kafka.topics import describe, ensure

    admin = await wait_for_admin(settings, timeout)
    try:
        if action == "create":
            created, _ = await ensure(admin, settings)
            print(f"created {', '.join(created)}" if created else "all topics exist",
                  file=sys.stderr)
        for row in await describe(admin, settings):
            print(format_row(row))
    finally:
        await admin.close()
    return 0


def format_row(row: dict[str, Any]) -> str:
    """`page-snapshots  input  partitions=6 replicas=1  cleanup.policy=delete ...`"""
    if row["partitions"] is None:
        return f"{row['topic']}  {row['role']}  missing"
    configs = " ".join(f"{k}={v}" for k, v in sorted(row["config"].items()))
    return (f"{row['topic']}  {row['role']}  partitions={row['partitions']} "
            f"replicas={row['replicas']}  {configs}").rstrip()
