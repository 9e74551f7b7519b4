"""JSON in and out: snapshot envelopes, events, sightings. The only module that imports orjson."""

from __future__ import annotations

from datetime import UTC, datetime
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


def parse_time(value: object) -> datetime:
    """RFC 3339 (a trailing Z allowed) or epoch seconds; naive times are taken as UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise BadRecord(f"fetched_at {value!r} is out of range") from exc
    if not isinstance(value, str) or not value:
        raise BadRecord(f"fetched_at must be an RFC 3339 string, got {value!r:.60}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise BadRecord(f"unparseable fetched_at {value!r:.60}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def sniff_content_type(content: str) -> str:
    head = content[:2048].lstrip().lower()
    if head.startswith(("<!doctype html", "<html")) or "<body" in head or "</div>" in head:
        return "text/html"
    return "text/plain"


def source_of(url: str) -> str:
    host = urlsplit(url).hostname
    return host or "local"


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
    if content is None:
        raise BadRecord("missing content")
    if not isinstance(content, str):
        raise BadRecord(f"content must be a string, got {type(content).__name__}")
    when = fetched_at if isinstance(fetched_at, datetime) else parse_time(fetched_at)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    ctype = content_type if isinstance(content_type, str) and content_type else None
    ctype = (ctype or sniff_content_type(content)).split(";")[0].strip().lower()
    if ctype not in ("text/plain", "text/html"):
        raise BadRecord(f"unsupported content_type {ctype!r:.60}")
    src = source if isinstance(source, str) and source else source_of(url)
    ident = str(id) if id not in (None, "") else None
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
