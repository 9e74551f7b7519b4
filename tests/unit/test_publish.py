"""`streamer publish` without a broker: what is sent for each input, bad records, pacing,
and the one-line connection errors shared with `tail`."""

from __future__ import annotations

import argparse
import errno
import io
from pathlib import Path

import pytest

from streamer.cli import publish
from streamer.cli.inputs import read_inputs
from streamer.codec import decode_snapshot, source_of
from streamer.kafka.connection import (
    KafkaUnavailable,
    describe_error,
    partitions_of,
    unreachable_message,
)

GOOD = (
    '{"url": "https://www.almayadeen.net/breaking", "fetched_at": "2026-11-21T09:14:03Z", '
    '"content": "BREAKING | Dutch Police: Rotterdam gunman arrested"}\n'
)
OTHER = (
    '{"url": "https://www.bbc.co.uk/news", "fetched_at": "2026-11-21T09:15:00Z", '
    '"content": "Storm closes ports", "source": "bbc"}\n'
)


def test_records_key_by_source_and_value_is_the_envelope(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(GOOD + "{not json\n" + OTHER + '{"url": "x"}\n')
    counts, err = publish.Counts(), io.StringIO()
    out = list(publish.records(read_inputs([str(feed)]), counts, err))

    assert [(origin, key) for origin, key, _ in out] == [
        (f"{feed}:1", source_of("https://www.almayadeen.net/breaking").encode()),  # URL host
        (f"{feed}:3", b"bbc"),  # an explicit source wins
    ]
    assert decode_snapshot(out[0][2]).content.endswith("Rotterdam gunman arrested")
    assert counts.bad == 2
    lines = err.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{feed}:2: invalid JSON")
    assert lines[1] == f"{feed}:4: missing fetched_at"


def test_summary_and_exit_code() -> None:
    counts = publish.Counts(sent=12)
    assert counts.summary("page-snapshots") == "sent 12, bad 0, to topic page-snapshots"
    assert counts.exit_code == 0
    counts.bad = 1
    assert counts.exit_code == 1
    assert publish.Counts(sent=3, failed=2).summary("t") == (
        "sent 3, bad 0, to topic t (failed to send 2)"
    )
    assert publish.Counts(failed=1).exit_code == 1


def test_pacer_spaces_sends_without_drift() -> None:
    now = [100.0]
    pacer = publish.Pacer(rate=4, clock=lambda: now[0])
    assert pacer.delay() == 0.0  # first send at once
    assert pacer.delay() == pytest.approx(0.25)
    now[0] = 100.6  # the caller fell behind: no wait, and no burst of catch-up waits either
    assert pacer.delay() == 0.0
    assert pacer.delay() == pytest.approx(0.15)  # due at 100.75


def test_no_rate_means_no_waiting() -> None:
    pacer = publish.Pacer(None)
    assert [pacer.delay() for _ in range(3)] == [0.0, 0.0, 0.0]


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    publish.add_arguments(parser)
    return parser.parse_args(argv)


def test_flags() -> None:
    args = parse("a.jsonl", "-", "--topic", "t", "--rate", "2.5")
    assert args.paths == ["a.jsonl", "-"]
    assert (args.topic, args.rate, args.timeout) == ("t", 2.5, 10.0)
    for bad in (["x", "--rate", "0"], ["x", "--rate", "fast"], []):
        with pytest.raises(SystemExit):
            parse(*bad)


def test_connection_errors_read_well() -> None:
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('127.0.0.1', 1)")
    assert describe_error(refused) == "connection refused"
    assert describe_error(OSError(errno.EHOSTUNREACH, "No route to host")) == "no route to host"
    assert describe_error(TimeoutError()) == "timed out"
    assert unreachable_message("kafka:9092", "connection refused") == (
        "cannot reach Kafka at kafka:9092: connection refused"
    )


class Cluster:
    def __init__(self, topics: dict[str, set[int]]) -> None:
        self.topics = topics

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return self.topics.get(topic)


def test_missing_topic_is_named() -> None:
    assert partitions_of(Cluster({"t": {2, 0, 1}}), "t") == [0, 1, 2]
    with pytest.raises(KafkaUnavailable, match="topic 'page-snapshots' does not exist"):
        partitions_of(Cluster({}), "page-snapshots")
