"""A receiver's 410 Gone, remembered in the subscription's own consumer group: the offsets
committed when it answered carry the metadata `gone <url fingerprint> <UTC time>`, so after a
restart the subscription stays disabled for that URL (a changed url, or `reenabled_at` later
than the mark, lets it deliver again). No storage beyond the commits it makes anyway."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from streamer.codec import BadRecord, format_time, parse_time
from streamer.http.subscriptions import Subscription

_PREFIX = "gone"


@dataclass(frozen=True, slots=True)
class Gone:
    """When the subscription's current url answered 410 Gone."""

    at: datetime


def fingerprint(url: str) -> str:
    """Names the url in the mark without writing it (it may hold a token) into Kafka."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def mark(url: str, now: datetime) -> str:
    """The offset-commit metadata saying `url` answered 410 Gone at `now`."""
    return f"{_PREFIX} {fingerprint(url)} {format_time(now.replace(microsecond=0))}"


def recorded(sub: Subscription, metadata: Iterable[str]) -> Gone | None:
    """The newest mark among a group's committed metadata that still disables `sub`: for its
    current url, and after its `reenabled_at` (marks are whole seconds: the time serve's log
    suggests, the present, re-enables a 410 of that second). Other metadata is not a mark."""
    found: Gone | None = None
    for text in metadata:
        parts = text.split(" ")
        if len(parts) != 3 or parts[0] != _PREFIX or parts[1] != fingerprint(sub.url):
            continue
        try:
            at = parse_time(parts[2])
        except BadRecord:
            continue
        if sub.reenabled_at is not None and at <= sub.reenabled_at:
            continue
        if found is None or at > found.at:
            found = Gone(at)
    return found
