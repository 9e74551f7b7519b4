"""`streamer publish` and `streamer tail` against a real broker, run as a user runs them:
`python -m streamer ...` in a subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streamer.cli.tailview import short_id
from streamer.codec import encode_event
from streamer.core.model import Event, Verdict
from tests.integration.workers import free_port

NewTopics = Callable[..., Awaitable[list[str]]]  # the `new_topics` fixture from conftest.py
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(180)


async def streamer(*argv: str, timeout: float = 60) -> tuple[int, bytes, str]:
    """Run `python -m streamer ARGV`; (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "streamer", *argv, cwd=ROOT,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out, err.decode()


# publish ---------------------------------------------------------------------------------


def envelope(source: str, n: int, minute: int) -> str:
    return json.dumps({
        "url": f"https://{source}/breaking",
        "fetched_at": f"2026-11-21T09:{minute:02d}:00Z",
        "content": f"BREAKING | {source} flash number {n}",
        "source": source,
        "id": f"{source}#{n}",
    })


async def read_topic(bootstrap: str, topic: str, partitions: int, expected: int) -> list[Any]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
        records: list[Any] = []
        deadline = time.monotonic() + 30
        while len(records) < expected and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=1000)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def test_publish_sends_snapshots_keyed_by_source_in_order(
    kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path
) -> None:
    (topic,) = await new_topics(count=1, partitions=3)
    pages = tmp_path / "pages"
    pages.mkdir()
    sources = ["almayadeen.net", "bbc.co.uk", "reuters.com"]
    for source in sources:
        lines = [envelope(source, n, minute=n) for n in range(4)]
        (pages / f"{source}.jsonl").write_text("\n".join(lines) + "\n")
    (pages / "ignored.png").write_bytes(b"\x89PNG")  # not a snapshot file: skipped
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("\n".join([
        envelope("bbc.co.uk", 4, minute=30),
        '{"url": "https://bbc.co.uk/x", "content": "no time"}',
        envelope("almayadeen.net", 4, minute=31),
    ]) + "\n")

    code, out, err = await streamer("publish", "--bootstrap-servers", kafka_bootstrap,
                                    "--topic", topic, str(pages), str(mixed))

    assert code == 1, err  # one bad record
    assert out == b""
    assert f"{mixed}:2: missing fetched_at" in err
    assert err.strip().splitlines()[-1] == f"sent 14, bad 1, to topic {topic}"

    records = await read_topic(kafka_bootstrap, topic, 3, 14)
    assert len(records) == 14
    per_source: dict[str, list[str]] = {}
    partition_of: dict[str, set[int]] = {}
    for r in records:
        value = json.loads(r.value)
        assert r.key == value["source"].encode()
        per_source.setdefault(value["source"], []).append(value["id"])
        partition_of.setdefault(value["source"], set()).add(r.partition)
    assert per_source == {
        "almayadeen.net": [f"almayadeen.net#{n}" for n in range(5)],
        "bbc.co.uk": [f"bbc.co.uk#{n}" for n in range(5)],
        "reuters.com": [f"reuters.com#{n}" for n in range(4)],
    }
    assert all(len(p) == 1 for p in partition_of.values())


async def test_publish_reads_stdin_and_names_a_missing_topic(kafka_bootstrap: str) -> None:
    code, _, err = await streamer("publish", "--bootstrap-servers", kafka_bootstrap,
                                  "--topic", "no-such-topic-here", "-")
    assert code == 1
    assert "topic 'no-such-topic-here' does not exist" in err


# tail ------------------------------------------------------------------------------------


def make_event(i: int, source: str, text: str, seen: datetime, **kw: Any) -> Event:
    return Event(event_id=f"{i:04d}feedbeefcafe", kind=kw.pop("kind", Verdict.NEW), source=source,
                 text=text, attribution=kw.pop("attribution", None), first_seen=seen,
                 url=f"https://{source}/breaking", snapshot=f"snap-{i}", **kw)


@pytest.fixture
async def events_topic(kafka_bootstrap: str, new_topics: NewTopics) -> tuple[str, list[bytes]]:
    """A 3-partition topic with 12 events: 9 two hours old, 3 from a minute ago, one of which
    revises an old one. Returns (topic, values in the order produced)."""
    (topic,) = await new_topics(count=1, partitions=3)
    now = datetime.now(UTC)
    old, recent = now - timedelta(hours=2), now - timedelta(minutes=1)
    sources = ["almayadeen.net", "bbc.co.uk", "reuters.com"]
    events = [
        make_event(i, sources[i % 3], f"Old flash {i} about the harbour",
                   old + timedelta(seconds=i))
        for i in range(9)
    ]
    events += [
        make_event(9, "bbc.co.uk", "Storm closes Rotterdam port", recent),
        make_event(10, "almayadeen.net", "Dutch Police: Rotterdam gunman arrested",
                   recent + timedelta(seconds=1), attribution="Dutch Police"),
        make_event(11, "almayadeen.net", "Old flash 3 about the harbour, two dead",
                   recent + timedelta(seconds=2), kind=Verdict.REVISED,
                   revision_of=events[3].event_id, previous_text=events[3].text),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    values = [encode_event(e) for e in events]
    try:
        for e, value in zip(events, values, strict=True):
            await producer.send_and_wait(topic, value, key=e.source.encode(),
                                         timestamp_ms=int(e.first_seen.timestamp() * 1000))
    finally:
        await producer.stop()
    return topic, values


async def tail(bootstrap: str, topic: str, *flags: str) -> tuple[int, list[bytes], str]:
    code, out, err = await streamer("tail", "--bootstrap-servers", bootstrap, "--topic", topic,
                                    "--exit-at-end", *flags)
    return code, out.splitlines(), err


async def test_tail_json_prints_exactly_the_stored_events(
    kafka_bootstrap: str, events_topic: tuple[str, list[bytes]]
) -> None:
    topic, values = events_topic
    code, lines, err = await tail(kafka_bootstrap, topic, "--from-beginning", "--json")
    assert (code, err) == (0, "")
    assert sorted(lines) == sorted(values)  # byte for byte, each once


async def test_tail_without_start_flags_prints_only_new_events(
    kafka_bootstrap: str, events_topic: tuple[str, list[bytes]]
) -> None:
    topic, _ = events_topic
    code, lines, _ = await tail(kafka_bootstrap, topic, "--json")
    assert (code, lines) == (0, [])


async def test_tail_readable_lines_mark_and_link_revisions(
    kafka_bootstrap: str, events_topic: tuple[str, list[bytes]]
) -> None:
    topic, _ = events_topic
    code, raw, err = await tail(kafka_bootstrap, topic, "--from-beginning")
    assert (code, err) == (0, "")
    lines = [line.decode() for line in raw]
    assert len(lines) == 12
    assert all("\x1b[" not in line for line in lines)  # not a terminal: no color
    original = short_id("0003feedbeefcafe")
    revision = next(line for line in lines if "[REVISED" in line)
    assert f"[REVISED of #{original}] Old flash 3 about the harbour, two dead" in revision
    assert '(was: "Old flash 3 about the harbour")' in revision
    assert any(line.endswith(f"#{original}") and "REVISED" not in line for line in lines)
    gunman = next(line for line in lines if "gunman" in line)
    assert "  almayadeen.net  Dutch Police: Rotterdam gunman arrested  #0010feed" in gunman


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--source", "bbc.co.uk"], [1, 4, 7, 9]),
        (["--source", "BBC.co.uk,reuters.com"], [1, 2, 4, 5, 7, 8, 9]),
        (["--grep", "rotterdam"], [9, 10]),
        (["--grep", "harbour", "--source", "almayadeen.net"], [0, 3, 6, 11]),
        (["--last", "2"], [10, 11]),
        (["--last", "2", "--source", "bbc.co.uk"], [7, 9]),
        (["--since", "10m"], [9, 10, 11]),
        (["--since", "3h", "--last", "4"], [8, 9, 10, 11]),
    ],
)
async def test_tail_filters_and_start_points(
    kafka_bootstrap: str, events_topic: tuple[str, list[bytes]], flags: list[str],
    expected: list[int],
) -> None:
    topic, _ = events_topic
    start = [] if {"--last", "--since"} & set(flags) else ["--from-beginning"]
    code, lines, err = await tail(kafka_bootstrap, topic, "--json", *start, *flags)
    assert (code, err) == (0, "")
    got = [int(json.loads(line)["event_id"][:4]) for line in lines]
    if "--last" in flags:
        assert got == expected  # oldest first, across partitions
    else:
        assert sorted(got) == expected


async def test_tail_since_means_first_seen_when_records_are_stamped_at_publication(
        kafka_bootstrap: str, new_topics: NewTopics) -> None:
    """The worker stamps event records when it publishes them: a backfill publishes flashes
    first seen long ago just now. `--since 10m` shows only the flashes first seen since then."""
    (topic,) = await new_topics(count=1, partitions=1)
    now = datetime.now(UTC)
    events = [make_event(20, "a.example", "Backfilled flash from last year", now - timedelta(
        days=400)), make_event(21, "a.example", "Flash seen five minutes ago",
                               now - timedelta(minutes=5))]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for e in events:
            await producer.send_and_wait(topic, encode_event(e), key=b"a.example")
    finally:
        await producer.stop()
    code, lines, err = await tail(kafka_bootstrap, topic, "--json", "--since", "10m")
    assert (code, err) == (0, "")
    assert [json.loads(line)["event_id"][:4] for line in lines] == ["0021"]


async def test_tail_follows_new_events_and_stops_quietly_on_ctrl_c(
    kafka_bootstrap: str, events_topic: tuple[str, list[bytes]]
) -> None:
    topic, _ = events_topic
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "streamer", "tail", "--bootstrap-servers", kafka_bootstrap,
        "--topic", topic, "--last", "1", cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    try:
        first = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert b"gunman" not in first
        assert b"two dead" in first  # the newest event, then it keeps following
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            late = make_event(12, "dw.com", "Late flash from Bonn", datetime.now(UTC))
            await producer.send_and_wait(topic, encode_event(late), key=b"dw.com")
        finally:
            await producer.stop()
        second = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert b"dw.com  Late flash from Bonn" in second
        proc.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(proc.wait(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert code == 130
    assert await proc.stderr.read() == b""


@pytest.mark.parametrize("command", ["tail", "publish"])
async def test_unreachable_broker_is_one_clear_line_within_the_timeout(
    command: str, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there
    feed = tmp_path / "feed.jsonl"
    feed.write_text(envelope("bbc.co.uk", 1, minute=1) + "\n")
    extra = [str(feed)] if command == "publish" else []
    started = time.monotonic()
    code, out, err = await streamer(command, "--bootstrap-servers", f"127.0.0.1:{port}",
                                    "--timeout", "5", *extra, timeout=30)
    elapsed = time.monotonic() - started
    assert code == 1
    assert out == b""
    assert err.splitlines() == [
        f"streamer {command}: cannot reach Kafka at 127.0.0.1:{port}: connection refused"
    ]
    assert elapsed < 5 + 15  # the timeout, plus interpreter start on a loaded machine


async def test_tail_names_a_missing_topic(kafka_bootstrap: str) -> None:
    code, lines, err = await tail(kafka_bootstrap, "no-such-topic-here")
    assert (code, lines) == (1, [])
    assert err.strip() == "streamer tail: topic 'no-such-topic-here' does not exist"


async def test_tail_into_a_closed_pipe_exits_quietly(
    kafka_bootstrap: str, events_topic: tuple[str, list[bytes]]
) -> None:
    topic, _ = events_topic
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` having exited
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "streamer", "tail", "--bootstrap-servers", kafka_bootstrap,
        "--topic", topic, "--from-beginning", cwd=ROOT,
        stdout=write_end, stderr=asyncio.subprocess.PIPE,
    )
    os.close(write_end)
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0
    assert err == b""


async def test_tail_joins_and_commits_only_with_group(
    kafka_bootstrap: str, events_topic: tuple[str, list[bytes]]
) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    topic, values = events_topic
    group = f"{topic}-readers"
    _, plain, _ = await tail(kafka_bootstrap, topic, "--from-beginning", "--json")
    first = await tail(kafka_bootstrap, topic, "--from-beginning", "--json", "--group", group)
    again = await tail(kafka_bootstrap, topic, "--from-beginning", "--json", "--group", group)
    assert len(plain) == len(values)
    assert (first[0], sorted(first[1])) == (0, sorted(values))
    assert (again[0], again[1]) == (0, [])  # the group committed what it printed

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        groups = {name for name, *_ in await admin.list_consumer_groups()}
    finally:
        await admin.close()
    assert [g for g in groups if topic in g] == [group]  # plain tails joined no group
