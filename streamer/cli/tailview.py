"""What `streamer tail` shows: one readable line per event, event filters, and `--since` times.

Pure functions over event dicts (the shape of `codec.event_to_dict`); no Kafka, no clock reads.
"""

from __future__ import annotations

import functools
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
            get = event.get  # (an f-string formats each value as str() does)
            text = f"{get('attribution') or ''} {get('text') or ''} {get('previous_text') or ''}"
            return self.pattern.search(text) is not None
        return True


def short_id(event_id: object) -> str:
    """The first 8 characters: enough to tell events apart on screen and to grep for."""
    if type(event_id) is str and event_id.isascii() and event_id.isalnum():
        return event_id[:8]  # (the usual hex id: nothing to clean)
    return "".join(clean(event_id).split())[:8] or "?"


def clean(text: object) -> str:
    """One line of plain text, safe for a terminal (see `_Unsafe`)."""
    value = text if type(text) is str else str(text or "")
    # A printable string holds nothing `_UNSAFE` changes and no whitespace but " " (every other
    # whitespace character is a control or a separator): most text skips the translate.
    if not value.isprintable():
        value = value.translate(_UNSAFE)
    if "  " in value:
        value = _SPACES.sub(" ", value)
    return value.strip()


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


PLAIN = Style.plain()
COLOR = Style()


def event_time(event: Mapping[str, Any], fallback_ms: int | None = None) -> datetime | None:
    """The event's first_seen, else the record timestamp, else None."""
    return _time_of(event.get("first_seen"), fallback_ms)


def _time_of(first_seen: object, fallback_ms: int | None) -> datetime | None:
    try:
        return parse_time(first_seen)
    except BadRecord:  # (also a time outside the accepted range)
        if fallback_ms is not None and fallback_ms >= 0:
            try:
                return check_time(datetime.fromtimestamp(fallback_ms / 1000, tz=UTC))
            except (BadRecord, OverflowError, OSError, ValueError):
                return None
        return None


# The usual first_seen, as the worker writes it: `...T08:14:03[.fraction]Z` (ASCII digits only;
# a leap second and anything else go through `parse_time`).
_USUAL_TIME = re.compile(r"(\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d):([0-5]\d)(?:\.\d+)?[Zz]", re.ASCII)
_MINUTES: dict[str, str | None] = {}  # "2026-11-21T08:14" -> "2026-11-21 08:14:", None if invalid


def utc_stamp(first_seen: object, fallback_ms: int | None = None) -> str:
    """`2026-11-21 08:14:03Z`: first_seen in UTC, else the record time, else question marks.

    A usual time is checked once per minute (the range check of a minute holds for its every
    second), not parsed into a datetime per event.
    """
    m = _USUAL_TIME.fullmatch(first_seen) if type(first_seen) is str else None
    if m is not None:
        minute = m[1]
        head = _MINUTES.get(minute, "")
        if head == "":
            if len(_MINUTES) >= 1 << 16:  # bounded, whatever events hold
                _MINUTES.clear()
            when = _time_of(minute + ":00Z", None)
            head = _MINUTES[minute] = when.strftime("%Y-%m-%d %H:%M:") if when else None
        if head is not None:
            return head + m[2] + "Z"
    when = _time_of(first_seen, fallback_ms)
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if when else "????-??-?? ??:??:??"


_NAMES: dict[str, str] = {}  # source and attribution: few distinct values, each cleaned once


def _clean_name(value: object) -> str:
    if type(value) is not str:
        return clean(value)
    name = _NAMES.get(value)
    if name is None:
        if len(_NAMES) >= 1 << 12:  # bounded, whatever events hold
            _NAMES.clear()
        name = _NAMES[value] = clean(value)
    return name


@functools.cache
def _marks(style: Style) -> tuple[str, ...]:
    """(open, close) for time, source, attribution, revised and dim: "" and "" when plain."""
    codes = (style.time, style.source, style.attribution, style.revised, style.dim)
    return tuple(mark for code in codes for mark in (code, style.reset if code else ""))


_PLAIN_MARKS = _marks(PLAIN)  # (hashing a Style per line costs more than the rest of a mark)


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
    get = event.get
    t0, t1, s0, s1, a0, a1, r0, r1, d0, d1 = _PLAIN_MARKS if style is PLAIN else _marks(style)
    stamp = utc_stamp(get("first_seen"), fallback_ms)
    source = _clean_name(get("source")) or "?"
    text = clean(get("text"))
    attribution = _clean_name(get("attribution"))
    if attribution and text.startswith(attribution):
        body = f"{a0}{attribution}{a1}{text[len(attribution):]}"
    elif attribution and attribution.casefold() not in text.casefold():
        body = f"{a0}{attribution}{a1}: {text}"
    else:
        body = text
    if get("kind") == "revised":
        body = f"{r0}[REVISED of #{short_id(get('revision_of'))}]{r1} {body}"
        previous = clean(get("previous_text"))
        if previous:
            body = f'{body}  {d0}(was: "{previous}"){d1}'
    return f"{t0}{stamp}{t1}  {s0}{source}{s1}  {body}  {d0}#{short_id(get('event_id'))}{d1}"
