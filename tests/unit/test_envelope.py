"""Kafka records into snapshots, events and dead letters into records: no broker needed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from streamer.codec import BadRecord, decode_event, encode_snapshot, make_snapshot
from streamer.core.model import Event, Verdict
from streamer.kafka.envelope import (
    DLQ_OFFSET,
    DLQ_PARTITION,
    DLQ_REASON,
    DLQ_TOPIC,
    DLQ_VALUE_DROPPED,
    dlq_record,
    event_record,
    snapshot_from_record,
)

PAGE = "Site\n\nBREAKING\nMinistry: bridge reopened in Tyre\n\nArticle\n"
WHEN = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_envelope_value_becomes_its_snapshot() -> None:
    snap = make_snapshot(url="https://a.example/live", fetched_at=WHEN, content=PAGE, id="s1")
    got = snapshot_from_record(encode_snapshot(snap), [("trace", b"x")], 0.0, max_bytes=10_000)
    assert got == snap


def test_raw_page_takes_url_and_fetch_time_from_headers() -> None:
    headers = [("url", b"https://b.example/news"), ("Fetched-At", b"2025-03-01T12:00:00Z")]
    got = snapshot_from_record(PAGE.encode(), headers, 1.0, max_bytes=10_000)
    assert (got.url, got.fetched_at, got.source, got.content) == (
        "https://b.example/news", WHEN, "b.example", PAGE)


def test_raw_page_without_fetch_time_uses_the_record_timestamp() -> None:
    got = snapshot_from_record(PAGE.encode(), [("url", b"https://b.example/")], WHEN.timestamp(),
                               max_bytes=10_000)
    assert got.fetched_at == WHEN


def test_raw_page_headers_may_name_source_id_and_epoch_time() -> None:
    headers = [("url", b"https://b.example/"), ("source", b"bee"), ("id", b"p-9"),
               ("fetched_at", str(WHEN.timestamp()).encode()), ("content_type", b"text/plain")]
    got = snapshot_from_record(PAGE.encode(), headers, None, max_bytes=10_000)
    assert (got.source, got.id, got.fetched_at, got.content_type) == (
        "bee", "p-9", WHEN, "text/plain")


@pytest.mark.parametrize(("value", "headers", "timestamp", "reason"), [
    (None, [], 1.0, "empty record"),
    (b"x" * 101, [], 1.0, "exceeds max_snapshot_bytes"),
    (b"not json", [], 1.0, "invalid JSON"),
    (b"[1]", [], 1.0, "must be a JSON object"),
    (b'{"url": "https://a.example/", "content": "x"}', [], 1.0, "missing fetched_at"),
    (b"\xff\xfe page", [("url", b"https://a.example/")], 1.0, "not UTF-8"),
    (b"page", [("url", b"https://a.example/")], None, "without fetched_at"),
    (b"page", [("url", b"https://a.example/"), ("fetched_at", b"yesterday")], 1.0,
     "unparseable fetched_at"),
    (b"page", [("url", b" ")], 1.0, "missing url"),
])
def test_bad_records_say_why(value: bytes | None, headers: list[tuple[str, bytes]],
                             timestamp: float | None, reason: str) -> None:
    with pytest.raises(BadRecord, match=reason):
        snapshot_from_record(value, headers, timestamp, max_bytes=100)


def test_event_record_is_keyed_by_source_and_stamped_when_published() -> None:
    """An event of a 2025 crawl published today must not fall under the topic's retention."""
    event = Event("e1", Verdict.NEW, "a.example", "Ministry: bridge reopened", "Ministry", WHEN,
                  "https://a.example/", "s1")
    rec = event_record(event)
    assert rec.key == b"a.example"
    assert rec.timestamp is None  # the producer stamps it with the time of sending
    assert rec.value is not None
    assert decode_event(rec.value) == event


def test_dlq_record_keeps_the_original_and_says_where_it_came_from() -> None:
    rec = dlq_record("invalid JSON", key=b"k", value=b"v", headers=[("trace", b"1")],
                     topic="page-snapshots", partition=2, offset=41, timestamp=WHEN.timestamp())
    h = dict(rec.headers)
    assert (rec.key, rec.value) == (b"k", b"v")
    assert h["trace"] == b"1"
    assert (h[DLQ_REASON], h[DLQ_TOPIC], h[DLQ_PARTITION], h[DLQ_OFFSET]) == (
        b"invalid JSON", b"page-snapshots", b"2", b"41")


def test_dlq_record_can_drop_a_value_too_large_to_keep() -> None:
    rec = dlq_record("too big", key=None, value=b"v" * 50, headers=None, topic="t", partition=0,
                     offset=0, timestamp=None, keep_value=False)
    assert rec.value is None
    assert dict(rec.headers)[DLQ_VALUE_DROPPED] == b"50"


def test_dlq_record_replaces_stale_dlq_headers_of_a_replayed_record() -> None:
    rec = dlq_record("new reason", key=None, value=b"v", headers=[(DLQ_REASON, b"old")],
                     topic="t", partition=0, offset=0, timestamp=None)
    assert [v for k, v in rec.headers if k == DLQ_REASON] == [b"new reason"]
