"""The worker's four topics, their partition counts and configs, created and described in one place.

`streamer topics create` and `streamer run --create-topics` both use `ensure`; an existing topic
is left as it is (idempotent) but its partition count is checked against the input's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streamer.settings import Settings

HOUR_MS = 3600 * 1000
EVENT_RETENTION_MS = 7 * 24 * HOUR_MS  # a week of feed history, at least the TTL
DLQ_RETENTION_MS = 14 * 24 * HOUR_MS  # two weeks to inspect and replay bad snapshots
RECORD_OVERHEAD = 64 * 1024  # headroom over max_snapshot_bytes for key, headers and framing
# Configs `describe` shows: the ones `create` sets.
SHOWN_CONFIGS = ("cleanup.policy", "retention.ms", "max.message.bytes", "min.compaction.lag.ms",
                 "min.insync.replicas")


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    role: str  # input, events, dlq, state
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


def topic_specs(settings: Settings, partitions: int | None = None) -> list[TopicSpec]:
    """Input (`partitions`, default `topic_partitions`), events and state with the same count
    (a partition's events and state live in the same partition number), DLQ with one.

    Retention: input = the TTL (a replay from the beginning rebuilds the dedup window), events
    = a week but never less than the TTL; state is compacted (one record per live flash)."""
    count = partitions or settings.topic_partitions
    ttl_ms = int(settings.ttl_hours * HOUR_MS)
    record_bytes = str(settings.max_snapshot_bytes + RECORD_OVERHEAD)
    return [
        TopicSpec(settings.input_topic, "input", count,
                  {"cleanup.policy": "delete", "retention.ms": str(ttl_ms),
                   "max.message.bytes": record_bytes}),
        TopicSpec(settings.output_topic, "events", count,
                  {"cleanup.policy": "delete",
                   "retention.ms": str(max(EVENT_RETENTION_MS, ttl_ms))}),
        TopicSpec(settings.dlq_topic, "dlq", 1,
                  {"cleanup.policy": "delete", "retention.ms": str(DLQ_RETENTION_MS),
                   "max.message.bytes": record_bytes}),
        TopicSpec(settings.state_topic_name, "state", count,
                  {"cleanup.policy": "compact", "min.compaction.lag.ms": "60000",
                   "segment.ms": str(HOUR_MS)}),
    ]


class TopicLayoutError(ValueError):
    pass


def partition_counts(described: list[dict[str, Any]]) -> dict[str, int]:
    """Topic -> partition count, for the topics in a describe_topics answer that exist."""
    return {t["topic"]: len(t["partitions"]) for t in described
            if not t["error_code"] and t["partitions"]}


def check_partitions(settings: Settings, counts: dict[str, int]) -> None:
    """Events and state of input partition p live in partition p of their topics."""
    partitions = counts.get(settings.input_topic)
    if partitions is None:
        return
    out = counts.get(settings.output_topic)
    if out is not None and out < partitions:
        raise TopicLayoutError(
            f"event topic {settings.output_topic} has {out} partitions, "
            f"fewer than input topic {settings.input_topic} ({partitions}): add partitions")
    state = counts.get(settings.state_topic_name)
    if state is not None and state != partitions:
        raise TopicLayoutError(
            f"state topic {settings.state_topic_name} has {state} partitions, "
            f"input topic {settings.input_topic} has {partitions}: they must match")


async def ensure(admin: Any, settings: Settings) -> tuple[list[str], dict[str, int]]:
    """Create whichever of the four topics is missing (events and state with the existing input
    topic's partition count); returns the names created and every topic's partition count.
    Raises TopicLayoutError when existing topics do not fit together."""
    from aiokafka.admin import NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    specs = topic_specs(settings)
    counts = partition_counts(await admin.describe_topics([s.name for s in specs]))
    specs = topic_specs(settings, counts.get(settings.input_topic))
    missing = [s for s in specs if s.name not in counts]
    check_partitions(settings, {**counts, **{s.name: s.partitions for s in missing}})
    if missing:
        replicas = min(3, len((await admin.describe_cluster())["brokers"]))
        # acks=all then survives the loss of one broker
        durable = {"min.insync.replicas": "2"} if replicas == 3 else {}
        response = await admin.create_topics(
            [NewTopic(s.name, s.partitions, replicas, topic_configs={**s.config, **durable})
             for s in missing], timeout_ms=15_000)
        for name, code, *rest in response.topic_errors:
            if code and code != TopicAlreadyExistsError.errno:  # lost a race: fine
                message = rest[0] if rest and rest[0] else f"error code {code}"
                raise TopicLayoutError(f"cannot create topic {name}: {message}")
        counts.update({s.name: s.partitions for s in missing})
    return [s.name for s in missing], counts


async def describe(admin: Any, settings: Settings) -> list[dict[str, Any]]:
    """Per topic: name, role, partitions (None: missing), replicas and the configs create sets."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    specs = topic_specs(settings)
    described = {t["topic"]: t for t in await admin.describe_topics([s.name for s in specs])}
    counts = partition_counts(list(described.values()))
    present = [s.name for s in specs if s.name in counts]
    configs: dict[str, dict[str, str]] = {name: {} for name in present}
    if present:
        answers = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in present])
        for answer in answers:
            for resource in answer.resources:
                name, entries = resource[3], resource[4]
                configs[name] = {e[0]: e[1] for e in entries if e[0] in SHOWN_CONFIGS}
    rows = []
    for spec in specs:
        topic = described.get(spec.name)
        parts = topic["partitions"] if spec.name in counts and topic else []
        rows.append({
            "topic": spec.name, "role": spec.role,
            "partitions": len(parts) if parts else None,
            "replicas": len(parts[0]["replicas"]) if parts else None,
            "config": configs.get(spec.name, {}),
        })
    return rows
