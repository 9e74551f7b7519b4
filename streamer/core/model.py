"""Values that flow through the core: snapshots in, flashes and decisions in between, events out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class Verdict(StrEnum):
    """What the engine decided about one ticker line."""

    NEW = "new"
    DUPLICATE = "duplicate"
    REVISED = "revised"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One capture of a page: what the crawler fetched, where and when."""

    url: str
    fetched_at: datetime  # timezone-aware
    content: str
    content_type: str  # "text/plain" or "text/html"
    source: str  # site name used to partition dedup state (default: URL host)
    id: str | None = None

    @property
    def ref(self) -> str:
        """The name sightings use for this snapshot: its id, else url@fetched_at."""
        return self.id or f"{self.url}@{self.fetched_at.isoformat()}"


@dataclass(frozen=True, slots=True)
class Lexicon:
    """A site's own words for matching, from its profile: its language (else detected per
    line), labels it puts around headlines and synonym groups, besides the shipped lists."""

    language: str = ""
    labels: tuple[str, ...] = ()  # regexes, like data/labels.json's
    synonyms: tuple[tuple[str, ...], ...] = ()


DEFAULT_LEXICON = Lexicon()


@dataclass(frozen=True, slots=True)
class Flash:
    """One cleaned ticker line.

    `text` is what users see; `body` and `attribution` split it; `key` is the matching form
    of the body (never shown) and `tokens` its words.
    """

    text: str
    body: str
    attribution: str | None
    key: str
    tokens: tuple[str, ...]
    attribution_key: str = ""
    attribution_names: frozenset[str] = frozenset()  # capitalised words of the attribution
    lang: str = "en"  # the line's language (words.detect): which small words and stems apply
    labels: tuple[str, ...] = ()  # kickers and markers removed from the text ("Opinion", "Z+")
    synonyms: tuple[tuple[str, ...], ...] = ()  # the site's own synonym groups (its Lexicon)


@dataclass(frozen=True, slots=True)
class PairDecision:
    """How a new flash relates to one already known: duplicate, revision or a different flash."""

    verdict: Verdict  # NEW here means "different flash"
    score: float  # similarity of the bodies in [0, 1]
    reason: str


@dataclass(frozen=True, slots=True)
class Event:
    """One real-world flash (kind new) or a factual revision of one (kind revised)."""

    event_id: str
    kind: Verdict
    source: str
    text: str
    attribution: str | None
    first_seen: datetime
    url: str
    snapshot: str
    revision_of: str | None = None
    previous_text: str | None = None
    # the line's language: its site profile's, else guessed (words.detect); None: not known (an
    # event written before the field existed)
    lang: str | None = None


class Decision(NamedTuple):
    """The engine's answer for one extracted ticker line (one sighting).

    A NamedTuple rather than a frozen dataclass: one is made for every ticker line, and this
    is the hot path (4x cheaper to build)."""

    snapshot: str
    source: str
    position: int  # 0-based index within the ticker block, 0 = top (newest)
    text: str
    event_id: str  # the event this line belongs to (new, revised or the one it duplicates)
    verdict: Verdict
    score: float
    event: Event | None = None  # set when the line produced an event
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SnapshotResult:
    """Everything the engine made of one snapshot, in output order."""

    decisions: list[Decision] = field(default_factory=list)
    had_ticker: bool = True

    @property
    def events(self) -> list[Event]:
        return [d.event for d in self.decisions if d.event is not None]
