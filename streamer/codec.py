"""JSON in and out: snapshot envelopes, events, sightings. The only module that imports orjson."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import orjson

from streamer.core.model import Decision, Event, Snapshot, Verdict


class BadRecord(ValueError):
    """A record that cannot become a snapshot; the message is the reason users see."""


JSONError = orjson.JSONDecodeError


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


#: The accepted event times: a fetch before 1970 or from 2100 on is not a real capture.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # (excluded)
# RFC 3339 section 5.6, strictly: full date, "T" (or a space, as its note allows), full time,
# an optional fraction, then "Z" or a numeric offset. Only the offset may be left out (then UTC).
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))?"
)


def parse_time(value: object) -> datetime:
    """RFC 3339 (`2025-03-01T08:00:00Z`, `...+01:00`; `23:59:60` is read as `23:59:59.999999`;
    without an offset, UTC) or epoch seconds, within EARLIEST..LATEST. Date-only, basic-format
    (`20250301T080000Z`) and week dates are refused, as RFC 3339 does."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not EARLIEST.timestamp() <= value < LATEST.timestamp():  # (NaN fails too)
            raise BadRecord(f"fetched_at {value!r:.60} is out of range (accepted: {_RANGE})")
        return datetime.fromtimestamp(float(value), tz=UTC)
    if not isinstance(value, str) or not value:
        raise BadRecord(f"fetched_at must be an RFC 3339 string, got {value!r:.60}")
    m = _RFC3339.fullmatch(value)
    if m is None:
        raise BadRecord(f"unparseable fetched_at {value!r:.60}: not an RFC 3339 time "
                        "(like 2025-03-01T08:00:00Z)")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micro = int(((m[7] or "") + "000000")[:6])
    leap = second == 60
    try:
        if m[9] is not None:
            off_h, off_m = int(m[10]), int(m[11])
            if off_h > 23 or off_m > 59:
                raise ValueError("offset out of range")
            sign = 1 if m[9] == "+" else -1
            tz = timezone(sign * timedelta(hours=off_h, minutes=off_m))
        else:
            tz = UTC
        if not 1969 <= year <= 2100:  # (before converting: year 1 at +14:00 would overflow)
            raise BadRecord(f"fetched_at {value!r:.60} is out of range (accepted: {_RANGE})")
        parsed = datetime(year, month, day, hour, minute, 59 if leap else second,
                          999999 if leap else micro, tzinfo=tz)
    except ValueError as exc:
        if isinstance(exc, BadRecord):
            raise
        raise BadRecord(f"unparseable fetched_at {value!r:.60}: {exc}") from None
    return check_time(parsed)


_RANGE = f"{EARLIEST:%Y-%m-%d} to {LATEST - timedelta(days=1):%Y-%m-%d}"


def check_time(when: datetime) -> datetime:
    """`when` (naive: UTC) if it is within the accepted range, else BadRecord."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        ok = EARLIEST <= when < LATEST
    except OverflowError:  # (an offset that takes year 1 or 9999 past datetime's range)
        ok = False
    if not ok:
        raise BadRecord(f"fetched_at {when.isoformat()} is out of range (accepted: {_RANGE})")
    return when


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def sniff_content_type(content: str) -> str:
    head = content[:2048].lstrip().lower()
    if head.startswith(("<!doctype html", "<html")) or "<body" in head or "</div>" in head:
        return "text/html"
    return "text/plain"


MAX_SOURCE_CHARS = 253  # a DNS name's length: a source is state's key, not a page
MAX_URL_CHARS = 8192  # url and id go into every event, which must stay far below Kafka's 1 MB
MAX_ID_CHARS = 1024


def source_of(url: str) -> str:
    try:
        host = urlsplit(url).hostname
    except ValueError as exc:  # a malformed IPv6 host, a host that changes under NFKC...
        raise BadRecord(f"url {url!r:.60} has no valid host: {exc}") from None
    return normalise_source(host or "local")


def normalise_source(name: str) -> str:
    """The name dedup state is kept under: `WWW.News.Example.` is `news.example`."""
    name = name.strip().lower().rstrip(".")
    if name.startswith("www."):
        name = name[4:]
    if len(name) > MAX_SOURCE_CHARS:
        raise BadRecord(f"source name of {len(name)} characters (at most {MAX_SOURCE_CHARS})")
    return name or "local"


def make_snapshot(
    *,
    url: object,
    fetched_at: object,
    content: object,
    content_type: object = None,
    source: object = None,
    id: object = None,
) -> Snapshot:
    """Validate envelope fields into a Snapshot, raising BadRecord with the first problem."""
    if not isinstance(url, str) or not url.strip():
        raise BadRecord("missing url")
    if len(url) > MAX_URL_CHARS:
        raise BadRecord(f"url of {len(url)} characters (at most {MAX_URL_CHARS})")
    if content is None:
        raise BadRecord("missing content")
    if not isinstance(content, str):
        raise BadRecord(f"content must be a string, got {type(content).__name__}")
    if content.startswith("\ufeff"):  # a byte order mark is not text (it would hide a marker)
        content = content[1:]
    when = check_time(fetched_at) if isinstance(fetched_at, datetime) else parse_time(fetched_at)
    ctype = content_type if isinstance(content_type, str) and content_type else None
    ctype = (ctype or sniff_content_type(content)).split(";")[0].strip().lower()
    if ctype not in ("text/plain", "text/html"):
        raise BadRecord(f"unsupported content_type {ctype!r:.60}")
    src = normalise_source(source if isinstance(source, str) and source else source_of(url))
    ident = str(id) if id not in (None, "") else None
    if ident is not None and len(ident) > MAX_ID_CHARS:
        raise BadRecord(f"id of {len(ident)} characters (at most {MAX_ID_CHARS})")
    return Snapshot(
        url=url, fetched_at=when, content=content, content_type=ctype, source=src, id=ident
    )


def decode_snapshot(data: bytes | str) -> Snapshot:
    """One JSON envelope (a line of a .jsonl file, or a Kafka record value) into a Snapshot."""
    return snapshot_from_dict(decode_object(data))


def decode_object(data: bytes | str) -> dict[str, Any]:
    """A JSON record that must be an object (an envelope or a crawler's record)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRecord(f"not UTF-8: undecodable byte at offset {exc.start}") from exc
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BadRecord(f"invalid JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise BadRecord(f"envelope must be a JSON object, got {type(obj).__name__}")
    return obj


def snapshot_from_dict(obj: dict[str, Any]) -> Snapshot:
    """A decoded envelope into a Snapshot (BadRecord: the first field that is wrong)."""
    if "fetched_at" not in obj:
        raise BadRecord("missing fetched_at")
    return make_snapshot(
        url=obj.get("url"),
        fetched_at=obj.get("fetched_at"),
        content=obj.get("content"),
        content_type=obj.get("content_type"),
        source=obj.get("source"),
        id=obj.get("id"),
    )


def snapshot_to_dict(snap: Snapshot) -> dict[str, Any]:
    out: dict[str, Any] = {
        "url": snap.url,
        "fetched_at": format_time(snap.fetched_at),
        "content_type": snap.content_type,
        "source": snap.source,
        "content": snap.content,
    }
    if snap.id is not None:
        out["id"] = snap.id
    return out


def encode_snapshot(snap: Snapshot) -> bytes:
    return orjson.dumps(snapshot_to_dict(snap))


def event_to_dict(event: Event) -> dict[str, Any]:
    out: dict[str, Any] = {
        "event_id": event.event_id,
        "kind": event.kind.value,
        "source": event.source,
        "text": event.text,
        "attribution": event.attribution,
        "first_seen": format_time(event.first_seen),
        "url": event.url,
        "snapshot": event.snapshot,
    }
    if event.lang is not None:
        out["lang"] = event.lang
    if event.kind is Verdict.REVISED:
        out["revision_of"] = event.revision_of
        out["previous_text"] = event.previous_text
    return out


def encode_event(event: Event) -> bytes:
    return orjson.dumps(event_to_dict(event))


def decode_event(data: bytes | str) -> Event:
    obj = orjson.loads(data)
    return Event(
        event_id=obj["event_id"],
        kind=Verdict(obj["kind"]),
        source=obj["source"],
        text=obj["text"],
        attribution=obj.get("attribution"),
        first_seen=parse_time(obj["first_seen"]),
        url=obj.get("url", ""),
        snapshot=obj.get("snapshot", ""),
        revision_of=obj.get("revision_of"),
        previous_text=obj.get("previous_text"),
        lang=obj.get("lang"),  # unknown (None) for events written before the field existed
    )


def encode_sighting(d: Decision) -> bytes:
    return orjson.dumps(
        {
            "snapshot": d.snapshot,
            "source": d.source,
            "position": d.position,
            "text": d.text,
            "event_id": d.event_id,
            "decision": d.verdict.value,
            "score": round(d.score, 4),
            "reason": d.reason,
        }
    )
