"""What `streamer tail` shows: one readable line per event, event filters, and `--since` times.

Pure functions over event dicts (the shape of `codec.event_to_dict`); no Kafka, no clock reads.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from streamer.codec import BadRecord, check_time, parse_time

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_RELATIVE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)


class _Unsafe(dict[int, str | None]):
    """A `str.translate` table for what a terminal must never be handed from an event: C0/C1
    controls and DEL (ANSI escapes), line and paragraph separators (U+2028/2029) become spaces;
    format characters (bidi marks and overrides that reorder the line, zero-width characters,
    tag characters U+E0000-E007F) and lone surrogates are dropped. Each character's category is
    looked up once."""

    def __missing__(self, code: int) -> str | None:
        if len(self) >= 1 << 16:  # bounded, whatever events hold
            self.clear()
        category = unicodedata.category(chr(code))
        value = (" " if category in ("Cc", "Zl", "Zp") else
                 None if category in ("Cf", "Cs") else chr(code))
        self[code] = value
        return value


_UNSAFE = _Unsafe()
_SPACES = re.compile(" {2,}")


def parse_since(text: str, now: datetime) -> datetime:
    """`--since`: a duration back from `now` (`90s`, `10m`, `2h`, `1h30m`, `3d`, `1w`) or a time.

    Times are RFC 3339 (`2026-11-21T09:00:00Z`, `...+01:00`), read by the codec's parser like
    every time in streamer; typed by a person, they may also be shorter (`2026-11-21 09:00`,
    `2026-11-21`). Without an offset they are UTC, like the times `tail` prints. Raises
    ValueError with a message fit for a usage error.
    """
    value = text.strip()
    if not value:
        raise ValueError("empty time")
    compact = value.replace(" ", "")
    if re.fullmatch(rf"(?:{_RELATIVE.pattern})+", compact, re.IGNORECASE):
        seconds = sum(float(n) * _UNITS[u.lower()] for n, u in _RELATIVE.findall(compact))
        return now - timedelta(seconds=seconds)
    try:
        return parse_time(value)
    except BadRecord:
        pass
    try:  # (a person's shorthand: the lenient ISO 8601 reader, then the same range)
        return check_time(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except (BadRecord, ValueError):
        raise ValueError(
            f"cannot read {text!r} as a time: use RFC 3339 (2026-11-21T09:00:00Z) "
            "or a duration back from now (10m, 2h, 1h30m, 3d)"
        ) from None


@dataclass(frozen=True, slots=True)
class EventFilter:
    """`--source` (any of, case-insensitive), `--grep` (regex on the text, case-insensitive)
    and `--since` (first_seen at or after; an event without a first_seen passes)."""

    sources: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None
    since: datetime | None = None

    @classmethod
    def build(cls, sources: Iterable[str] | None, grep: str | None,
              since: datetime | None = None) -> EventFilter:
        """Raises re.error for a bad pattern."""
        wanted = frozenset(
            s.strip().lower() for item in sources or () for s in item.split(",") if s.strip()
        )
        return cls(wanted, re.compile(grep, re.IGNORECASE) if grep else None, since)

    @property
    def active(self) -> bool:
        return bool(self.sources or self.pattern or self.since)

    def matches(self, event: Mapping[str, Any]) -> bool:
        if self.sources and str(event.get("source", "")).lower() not in self.sources:
            return False
        if self.since is not None:
            seen = event_time(event)
            if seen is not None and seen < self.since:
                return False
        if self.pattern is not None:
            text = " ".join(
                str(event.get(k) or "") for k in ("attribution", "text", "previous_text")
            )
            return self.pattern.search(text) is not None
        return True


def short_id(event_id: object) -> str:
    """The first 8 characters: enough to tell events apart on screen and to grep for."""
    return "".join(clean(event_id).split())[:8] or "?"


def clean(text: object) -> str:
    """One line of plain text, safe for a terminal (see `_Unsafe`)."""
    return _SPACES.sub(" ", str(text or "").translate(_UNSAFE)).strip()


@dataclass(frozen=True, slots=True)
class Style:
    """ANSI styles; `Style.plain()` when stdout is not a terminal."""

    time: str = "\x1b[2m"
    source: str = "\x1b[36m"
    attribution: str = "\x1b[1m"
    revised: str = "\x1b[33;1m"
    dim: str = "\x1b[2m"
    reset: str = "\x1b[0m"

    @classmethod
    def plain(cls) -> Style:
        return cls("", "", "", "", "", "")

    def paint(self, code: str, text: str) -> str:
        return f"{code}{text}{self.reset}" if code else text


PLAIN = Style.plain()
COLOR = Style()


def event_time(event: Mapping[str, Any], fallback_ms: int | None = None) -> datetime | None:
    """The event's first_seen, else the record timestamp, else None."""
    try:
        return parse_time(event.get("first_seen"))
    except BadRecord:  # (also a time outside the accepted range)
        if fallback_ms is not None and fallback_ms >= 0:
            try:
                return check_time(datetime.fromtimestamp(fallback_ms / 1000, tz=UTC))
            except (BadRecord, OverflowError, OSError, ValueError):
                return None
        return None


def format_event(event: Mapping[str, Any], style: Style = PLAIN,
                 fallback_ms: int | None = None) -> str:
    """One readable line, e.g.

    2026-11-21 08:14:03Z  almayadeen.net  Dutch Police: Rotterdam gunman arrested  #1a2b3c4d
    2026-11-21 08:20:41Z  almayadeen.net  [REVISED of #1a2b3c4d] Dutch Police: Rotterdam gunman
        killed  (was: "Dutch Police: Rotterdam gunman arrested")  #77f0e2aa   (on one line)

    The time is first_seen in UTC (as `--since` reads it back); the trailing `#id` is the
    event's id, which a later revision names, so `grep '#1a2b3c4d'` finds a flash and all its
    revisions. The attribution is prefixed only when the text does not already name it (a
    trailing `, the Kremlin says` is not repeated in front).
    """
    when = event_time(event, fallback_ms)
    stamp = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if when else "????-??-?? ??:??:??"
    source = clean(event.get("source")) or "?"
    text = clean(event.get("text"))
    attribution = clean(event.get("attribution"))
    if attribution and text.startswith(attribution):
        body = style.paint(style.attribution, attribution) + text[len(attribution):]
    elif attribution and attribution.casefold() not in text.casefold():
        body = style.paint(style.attribution, attribution) + ": " + text
    else:
        body = text
    parts = [style.paint(style.time, stamp), style.paint(style.source, source)]
    if event.get("kind") == "revised":
        marker = f"[REVISED of #{short_id(event.get('revision_of'))}]"
        line = style.paint(style.revised, marker) + " " + body
        previous = clean(event.get("previous_text"))
        if previous:
            line += "  " + style.paint(style.dim, f'(was: "{previous}")')
        parts.append(line)
    else:
        parts.append(body)
    parts.append(style.paint(style.dim, f"#{short_id(event.get('event_id'))}"))
    return "  ".join(parts)
