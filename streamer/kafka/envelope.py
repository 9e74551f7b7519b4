"""Kafka record shapes, pure: record -> Snapshot, Event -> output record, bad record -> DLQ copy.

No Kafka client here: the worker hands in a record's value, headers and timestamp and gets back
plain values, so every rule about what a record means is unit-tested without a broker.

Input records are either a JSON record (the value: a snapshot envelope or a crawler's record, see
`streamer.inputs.crawlers`), or raw page bytes when the record has a `url` header; then
`fetched_at` (RFC 3339 or epoch seconds, default: the record timestamp), `content_type`,
`source` and `id` may come as headers too. The input format (STREAMER_INPUT_FORMAT) names one
of these shapes, or `auto` tells them apart per record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from streamer.codec import BadRecord, encode_event, make_snapshot
from streamer.core.model import Event, Snapshot
from streamer.inputs.crawlers import snapshot_from_json
from streamer.inputs.pages import Skipped

Headers = Sequence[tuple[str, bytes]]

#: Headers read from a raw-page record (names compared case-insensitively, `-` same as `_`).
PAGE_HEADERS = ("url", "fetched_at", "content_type", "source", "id")

#: Headers added to a dead-lettered record, beside the original record's own headers.
DLQ_REASON = "dlq.reason"
DLQ_TOPIC = "dlq.topic"
DLQ_PARTITION = "dlq.partition"
DLQ_OFFSET = "dlq.offset"
DLQ_TIMESTAMP = "dlq.timestamp"  # the original record timestamp, epoch milliseconds
DLQ_VALUE_DROPPED = "dlq.value_dropped"  # set (to the original size) when the value was not kept
MAX_REASON_CHARS = 1000


@dataclass(frozen=True, slots=True)
class OutRecord:
    """One record to produce: key, value, headers and timestamp (epoch seconds, or None)."""

    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    timestamp: float | None = None


def snapshot_from_record(value: bytes | None, headers: Headers | None, timestamp: float | None,
                         *, max_bytes: int, fmt: str = "auto") -> Snapshot:
    """The snapshot a record of input format `fmt` carries, or BadRecord with the reason (a
    record that is not a page, say a crawler's 404, is a BadRecord saying so).

    `timestamp` is the record timestamp in epoch seconds (the fetch time of a raw page that has
    no `fetched_at` header).
    """
    if value is None:
        raise BadRecord("empty record (no value)")
    if len(value) > max_bytes:
        raise BadRecord(f"record value of {len(value)} bytes exceeds max_snapshot_bytes "
                        f"({max_bytes})")
    page = _page_headers(headers or ()) if fmt in ("auto", "raw") else {}
    if "url" not in page:
        if fmt == "raw":
            raise BadRecord("raw page without url header")
        try:
            return snapshot_from_json(value, fmt)
        except Skipped as exc:
            raise BadRecord(f"not a page: {exc}") from exc
    try:
        content = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRecord(f"page is not UTF-8: undecodable byte at offset {exc.start}") from exc
    fetched: object = page.get("fetched_at")
    if fetched is None:
        if timestamp is None or timestamp < 0:
            raise BadRecord("raw page without fetched_at header or record timestamp")
        fetched = timestamp  # (epoch seconds: checked against the accepted range like a header)
    else:
        fetched = _number_or_text(str(fetched))
    return make_snapshot(url=page["url"], fetched_at=fetched, content=content,
                         content_type=page.get("content_type"), source=page.get("source"),
                         id=page.get("id"))


def _page_headers(headers: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, raw in headers:
        key = name.lower().replace("-", "_")
        if key in PAGE_HEADERS and raw is not None:
            try:
                found[key] = bytes(raw).decode("utf-8").strip()
            except UnicodeDecodeError as exc:
                raise BadRecord(f"header {name!r} is not UTF-8") from exc
    return found


def _number_or_text(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        return text


def event_record(event: Event) -> OutRecord:
    """An event as its output record: keyed by source, timestamped when it is published (no
    timestamp of its own), so the event topic's retention counts from publication: events of a
    backfill or of an old crawl (first_seen long past) are kept as long as fresh ones, and no
    future-dated page can make Kafka refuse a record. first_seen is in the JSON."""
    return OutRecord(key=event.source.encode("utf-8"), value=encode_event(event),
                     headers=[("event_id", event.event_id.encode()),
                              ("kind", event.kind.value.encode())])


def dlq_record(reason: str, *, key: bytes | None, value: bytes | None, headers: Headers | None,
               topic: str, partition: int, offset: int, timestamp: float | None,
               keep_value: bool = True) -> OutRecord:
    """The dead-letter copy of a bad record: its key, value and headers plus why and where from.

    `keep_value=False` drops the value (say, it is too large for the DLQ topic) and says so.
    """
    reason = reason if len(reason) <= MAX_REASON_CHARS else reason[:MAX_REASON_CHARS] + "..."
    ours = {DLQ_REASON, DLQ_TOPIC, DLQ_PARTITION, DLQ_OFFSET, DLQ_TIMESTAMP, DLQ_VALUE_DROPPED}
    out = [(name, bytes(v)) for name, v in headers or () if name not in ours and v is not None]
    out += [
        (DLQ_REASON, reason.encode("utf-8", "replace")),
        (DLQ_TOPIC, topic.encode()),
        (DLQ_PARTITION, str(partition).encode()),
        (DLQ_OFFSET, str(offset).encode()),
    ]
    if timestamp is not None:
        out.append((DLQ_TIMESTAMP, str(round(timestamp * 1000)).encode()))
    if not keep_value and value is not None:
        out.append((DLQ_VALUE_DROPPED, str(len(value)).encode()))
        value = None
    # A fresh timestamp: the original one (in a header) may be older than the DLQ's retention.
    return OutRecord(key=key, value=value, headers=out, timestamp=None)
