"""JSON Feed 1.1 and Atom documents of the newest events, with paging: plain functions from
window entries to bytes."""

from __future__ import annotations

import base64
import binascii
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from streamer.codec import dumps, parse_time
from streamer.http.filters import EventFilter
from streamer.http.window import Entry

TITLE = "streamer: breaking events"
_ATOM = "http://www.w3.org/2005/Atom"
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Key = tuple[int, int, int]  # (timestamp ms, partition, offset): newest first is descending


def key_of(entry: Entry) -> Key:
    return (entry.timestamp_ms, entry.partition, entry.offset)


def encode_key(key: Key) -> str:
    return base64.urlsafe_b64encode(".".join(map(str, key)).encode()).rstrip(b"=").decode()


def decode_key(token: str) -> Key:
    """ValueError for a token `encode_key` did not make."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        ts, part, off = (int(v) for v in raw.split("."))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(f"not a page position: {token[:40]!r}") from None
    return ts, part, off


def page(entries: Iterable[Entry], flt: EventFilter, limit: int,
         before: Key | None) -> tuple[list[Entry], Key | None]:
    """The `limit` newest wanted entries older than `before`, and the key of the next page."""
    wanted = [e for e in entries if flt.matches(e.event, e.folded)
              and (before is None or key_of(e) < before)]
    wanted.sort(key=key_of, reverse=True)
    items = wanted[:limit]
    more = len(wanted) > limit
    return items, (key_of(items[-1]) if more and items else None)


def event_url(base: str, event_id: str) -> str:
    return f"{base}/events/{event_id}"


def title_of(event: dict[str, Any]) -> str:
    text = _xml_safe(str(event.get("text", "")))
    return f"Revised: {text}" if event.get("kind") == "revised" else text


def content_of(event: dict[str, Any]) -> str:
    text = _xml_safe(str(event.get("text", "")))
    if event.get("kind") == "revised" and event.get("previous_text"):
        return f"{text}\n\nRevision of: {_xml_safe(str(event['previous_text']))}"
    return text


def next_link(base: str, path: str, flt: EventFilter, limit: int, key: Key | None) -> str | None:
    if key is None:
        return None
    return f"{base}{path}?" + urlencode([*flt.query(), ("limit", limit),
                                         ("before", encode_key(key))])


def json_feed(items: Sequence[Entry], base: str, self_url: str, next_url: str | None) -> bytes:
    feed: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": TITLE,
        "home_page_url": f"{base}/",
        "feed_url": self_url,
        "description": "One event per real-world flash from news sites' BREAKING tickers; "
                       "a linked event when a flash is revised.",
        "items": [_json_item(e.event, base) for e in items],
    }
    if next_url:
        feed["next_url"] = next_url
    return dumps(feed)


def _json_item(event: dict[str, Any], base: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": event["event_id"],
        "title": title_of(event),
        "content_text": content_of(event),
        "date_published": event.get("first_seen"),
        "tags": [str(event.get("source", "")), str(event.get("kind", "new"))],
        "_streamer": {k: event.get(k) for k in
                      ("kind", "source", "attribution", "revision_of", "previous_text")
                      if event.get(k) is not None},
    }
    if event.get("url"):
        item["url"] = event["url"]
    if event.get("attribution"):
        item["authors"] = [{"name": event["attribution"]}]
    if event.get("lang"):
        item["language"] = event["lang"]
    if event.get("kind") == "revised" and event.get("revision_of"):
        item["external_url"] = event_url(base, event["revision_of"])
    return item


def atom_feed(items: Sequence[Entry], base: str, self_url: str, next_url: str | None) -> bytes:
    """Atom 1.0 (RFC 4287) with the standard library's ElementTree: feedgen 1.0 drops the `rel`
    of entry links, and a revision's link to its original is a `rel="related"` link."""
    feed = ET.Element("feed", xmlns=_ATOM)
    _text(feed, "id", f"{base}/feed.atom")
    _text(feed, "title", TITLE)
    newest = max((_when(e.event) for e in items), default=datetime(1970, 1, 1, tzinfo=UTC))
    _text(feed, "updated", newest.isoformat())
    _text(ET.SubElement(feed, "author"), "name", "streamer")
    ET.SubElement(feed, "link", href=self_url, rel="self", type="application/atom+xml")
    ET.SubElement(feed, "link", href=f"{base}/", rel="alternate", type="text/html")
    if next_url:
        ET.SubElement(feed, "link", href=next_url, rel="next", type="application/atom+xml")
    for entry in items:
        event = entry.event
        when = _when(event).isoformat()
        item = ET.SubElement(feed, "entry")
        _text(item, "id", f"urn:streamer:event:{event['event_id']}")
        _text(item, "title", title_of(event))
        _text(item, "published", when)
        _text(item, "updated", when)
        author = _xml_safe(str(event.get("attribution") or event.get("source")))
        _text(ET.SubElement(item, "author"), "name", author)
        ET.SubElement(item, "category", term=str(event.get("kind", "new")))
        _text(item, "content", content_of(event)).set("type", "text")
        if event.get("url"):
            ET.SubElement(item, "link", href=str(event["url"]), rel="alternate")
        if event.get("kind") == "revised" and event.get("revision_of"):
            ET.SubElement(item, "link", href=event_url(base, event["revision_of"]),
                          rel="related", title="Revision of: " + _xml_safe(
                              str(event.get("previous_text") or "an earlier flash")))
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    node = ET.SubElement(parent, tag)
    node.text = text
    return node


def _when(event: dict[str, Any]) -> datetime:
    try:
        return parse_time(event.get("first_seen"))
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)
