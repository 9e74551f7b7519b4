"""Crawler JSON records as snapshots: streamer's envelope, scrapy-cluster's crawled-page items and
Nutch's Kafka indexer documents, chosen by name or sniffed from the fields a record has.

Field mappings (README, "Input formats"):
- scrapy-cluster: url = `response_url` (else `url`), fetched_at = `timestamp` (UTC), content =
  `body` (base64 when the pipeline's `use_base64` is on), content_type = the `Content-Type`
  response header; `status_code` other than 200 (or `success: false`) is Skipped.
- nutch: every field is a list of strings; url = `url` (else `id`), fetched_at = `tstamp`
  (Java's `Sat Mar 01 08:00:00 UTC 2025`, RFC 3339 or epoch milliseconds), content =
  `binaryContent` (the fetched page, base64 or not; `indexer.binary.content`) with type = the
  `type` value that is a media type, else `content` (Nutch's parsed text) as text/plain.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from streamer.codec import BadRecord, decode_object, make_snapshot, snapshot_from_dict
from streamer.core.model import Snapshot
from streamer.inputs.pages import Skipped, decode_body, page_type

#: Names of STREAMER_INPUT_FORMAT; `auto` sniffs each record.
FORMATS = ("auto", "envelope", "scrapy-cluster", "nutch", "raw")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def snapshot_from_json(data: bytes, fmt: str = "auto") -> Snapshot:
    """One JSON record of the format `fmt` (or the one its fields show) into a Snapshot;
    BadRecord says what is missing, Skipped why it is not a page (an HTTP 404, an image)."""
    obj = decode_object(data)
    shape = sniff(obj) if fmt == "auto" else fmt
    decoder = _DECODERS.get(shape)
    if decoder is None:
        raise BadRecord(f"input format {shape!r} is not JSON")
    return decoder(obj)


def sniff(obj: dict[str, Any]) -> str:
    """The format whose fields the record has; the envelope (and its reasons) when none fits."""
    if "content" in obj and "fetched_at" in obj:
        return "envelope"
    if "body" in obj and ({"crawlid", "appid", "response_url", "status_code"} & obj.keys()):
        return "scrapy-cluster"
    if isinstance(obj.get("url") or obj.get("id"), list) and (
            {"tstamp", "binaryContent", "digest", "segment"} & obj.keys()):
        return "nutch"
    return "envelope"


def _scrapy_cluster(obj: dict[str, Any]) -> Snapshot:
    if obj.get("success") is False:
        raise Skipped(f"failed crawl: {str(obj.get('exception'))[:200]}")
    status = obj.get("status_code")
    if status is not None and str(status) != "200":
        raise Skipped(f"HTTP status {status}")
    if "timestamp" not in obj:
        raise BadRecord("scrapy-cluster record without timestamp")
    body = obj.get("body")
    if not isinstance(body, str):
        raise BadRecord("scrapy-cluster record without body" if body is None
                        else f"scrapy-cluster body must be a string, got {type(body).__name__}")
    headers = obj.get("response_headers")
    ctype = _header(headers, "content-type") if isinstance(headers, dict) else None
    media = page_type(ctype)
    raw = _base64(body)
    if raw is not None:
        # The pipeline base64s the body it got as text, as UTF-8; a declared charset is for
        # bodies base64ed from the fetched bytes.
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            body = decode_body(raw, ctype)
    return make_snapshot(url=obj.get("response_url") or obj.get("url"),
                         fetched_at=obj["timestamp"], content=body, content_type=media)


def _nutch(obj: dict[str, Any]) -> Snapshot:
    url = _first(obj, "url") or _first(obj, "id")
    if url is None:
        raise BadRecord("nutch document without url")
    stamp = _first(obj, "tstamp")
    if stamp is None:
        raise BadRecord("nutch document without tstamp (index-basic adds it)")
    page = _first(obj, "binaryContent")
    media: str | None = "text/plain"
    if page is not None:
        ctype = next((t for t in _all(obj, "type") if "/" in t), None)
        media = page_type(ctype)
        raw = _base64(page)
        content = decode_body(raw, ctype) if raw is not None else page
    else:
        text = _first(obj, "content")
        if text is None:
            raise BadRecord("nutch document without binaryContent or content")
        content = text
    return make_snapshot(url=url, fetched_at=_nutch_time(stamp), content=content,
                         content_type=media)


def _nutch_time(text: str) -> object:
    """Java's Date.toString(), or RFC 3339, or epoch milliseconds."""
    if text.isdigit():
        return int(text) / 1000.0
    parts = text.split()
    if len(parts) == 6:  # EEE MMM dd HH:mm:ss zzz yyyy
        if parts[4] not in ("UTC", "GMT"):
            raise BadRecord(f"nutch tstamp {text!r:.60} is not in UTC (run Nutch with "
                            "-Duser.timezone=UTC)")
        try:
            return datetime.strptime(" ".join(parts[:4] + parts[5:]), "%a %b %d %H:%M:%S %Y"
                                     ).replace(tzinfo=UTC)
        except ValueError as exc:
            raise BadRecord(f"unparseable nutch tstamp {text!r:.60}") from exc
    return text


def _first(obj: dict[str, Any], name: str) -> str | None:
    values = _all(obj, name)
    return values[0] if values else None


def _all(obj: dict[str, Any], name: str) -> list[str]:
    value = obj.get(name)
    values = value if isinstance(value, list) else [] if value is None else [value]
    return [str(v) for v in values if v is not None]


def _header(headers: dict[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value[0]) if isinstance(value, list) and value else str(value)
    return None


def _base64(text: str) -> bytes | None:
    """The bytes of a base64 body; None for a body that is plain text (HTML and text always
    have a space or a `<`, which base64 has not)."""
    compact = text.replace("\r", "").replace("\n", "")  # some encoders wrap lines
    if not compact or len(compact) % 4 or not _BASE64.fullmatch(compact):
        return None
    try:
        return base64.b64decode(compact, validate=True)
    except binascii.Error:
        return None


_DECODERS: dict[str, Callable[[dict[str, Any]], Snapshot]] = {
    "envelope": snapshot_from_dict,
    "scrapy-cluster": _scrapy_cluster,
    "nutch": _nutch,
}
