"""The dedup engine: one snapshot in, one decision per ticker line out. Pure and deterministic.

Every adapter (file runner, Kafka worker, tests, benchmarks) calls `Deduplicator.process`.
The engine never reads the clock: event time comes from the snapshots, and an adapter may pass
`now` so a future-dated snapshot cannot move the clock.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from streamer.core.cluster import Cluster
from streamer.core.extract import Profiles, ticker_lines
from streamer.core.index import SourceIndex, cleaned
from streamer.core.model import (
    Decision,
    Event,
    Flash,
    PairDecision,
    Snapshot,
    SnapshotResult,
    Verdict,
)
from streamer.core.sources import Sources
from streamer.settings import DedupConfig

EVICT_EVERY_SECONDS = 60.0
# Lines past a flash's cap of remembered raw lines (a site that varies diacritics or spacing on
# every fetch) would otherwise be decided afresh each time they come back: the most recent such
# decisions are kept here, a cache (never saved), checked against the live index on use.
MAX_RECENT_OVERFLOW = 4096
# A known wording that left the page this shortly before a new one came, and is not on the
# same page, may have been reworded in place (see match.decide's `replaced`).
REWORD_WINDOW_SECONDS = 72 * 3600.0
DUPLICATE = Verdict.DUPLICATE


def preload() -> None:
    """Import now what the engine otherwise loads on first need (numpy for MinHash and the
    bands, the matching rules, ftfy), so that a long-running host pays for it while it starts,
    not on its first snapshot. `streamer dedup` does not call it: a run pays only for what it
    uses."""
    import ftfy  # noqa: F401
    import numpy  # noqa: F401

    import streamer.core.match  # noqa: F401  (rapidfuzz, the stemmers)


def event_id_for(source: str, flash: Flash, first_seen: datetime, revision_of: str | None) -> str:
    """Deterministic: the same input always gives the same id, across runs and workers."""
    parts = (source, flash.attribution_key, flash.key, first_seen.isoformat(), revision_of or "")
    return hashlib.blake2b(("\x00".join(parts) + "\x00").encode(), digest_size=10).hexdigest()


@dataclass(slots=True)
class Stats:
    snapshots: int = 0
    no_ticker: int = 0
    lines: int = 0
    new: int = 0
    revised: int = 0
    duplicate: int = 0
    exact: int = 0
    evicted: int = 0
    not_flash: int = 0  # ticker lines with nothing to match (invisible characters, punctuation)


class Deduplicator:
    """Known flashes per source, and the rules that decide what a ticker line is."""

    def __init__(self, config: DedupConfig | None = None, profiles: Profiles | None = None,
                 *, keep_changes: bool = True) -> None:
        self.config = config or DedupConfig()
        self.profiles = profiles or Profiles.load(self.config.profiles_path)
        # keep_changes=False: no adapter saves state (`drain_changes` is never called)
        self.sources = Sources(self.config, keep_changes)
        self.stats = Stats()
        # The snapshot being processed: its lines not yet found among the known ones, and the
        # flashes of those found (see `_shown`).
        self._unknown: list[str] = []
        self._shown_cids: set[int] = set()
        self._overflow: OrderedDict[tuple[str, str], tuple[int, str, float, str]] = OrderedDict()

    def index(self, source: str) -> SourceIndex:
        """The source's index, kept from now on (a restore fills it)."""
        idx = self.sources[source] = self.sources.open(source)
        idx.lexicon = self.profiles.lexicon(source)
        return idx

    # -- time --------------------------------------------------------------------------------
    def _advance(self, idx: SourceIndex, fetched_at: datetime, now: datetime | None) -> float:
        """Move the source's event-time clock forward to the snapshot's time: freely (a backfill
        catching up, a crawler back from an outage), but a future-dated snapshot only up to the
        adapter's `now` plus the allowed skew; an older snapshot never moves it back.

        Each source keeps its own clock, so one site's state never depends on how its snapshots
        interleave with other sites' (the Kafka worker sees another interleaving than a file).
        """
        t = fetched_at.timestamp()
        if now is not None:
            t = min(t, now.timestamp() + self.config.max_future_skew_seconds)
        if idx.clock is None or t > idx.clock:
            idx.clock = t
        if idx.clock - idx.last_evict >= EVICT_EVERY_SECONDS:
            idx.last_evict = idx.clock
            cutoff = idx.clock - self.config.ttl_seconds
            self.stats.evicted += idx.evict(cutoff, self.config.max_flashes_per_source)
        return min(t, idx.clock)

    # -- the entry point ---------------------------------------------------------------------
    def process(self, snapshot: Snapshot, now: datetime | None = None) -> SnapshotResult:
        """Decide every ticker line of one snapshot; events come out oldest (bottom) first."""
        self.stats.snapshots += 1
        lines = ticker_lines(snapshot, self.profiles)
        if not lines:
            self.stats.no_ticker += 1
            return SnapshotResult([], had_ticker=False)
        idx = self.sources.open(snapshot.source)
        idx.lexicon = self.profiles.lexicon(snapshot.source)
        before = len(idx)
        seen = self._advance(idx, snapshot.fetched_at, now)
        self._unknown, self._shown_cids = lines, set()
        decisions: list[Decision] = []
        seen_again, append = idx.seen_again, decisions.append
        new = tuple.__new__  # a Decision without its NamedTuple constructor's Python frame
        ref, source = snapshot.ref, snapshot.source
        repeats = 0
        for position in range(len(lines) - 1, -1, -1):  # bottom (oldest) first
            raw = lines[position]
            hit = seen_again(raw, seen)
            if hit is not None:  # the common case, kept short: a line seen before, byte for byte
                cluster, text = hit
                repeats += 1
                append(new(Decision, (ref, source, position, text, cluster.event_id, DUPLICATE,
                                      1.0, None, "same line")))
            elif (d := self._line(idx, snapshot, position, raw, seen)) is not None:
                append(d)
        self.stats.lines += len(lines)
        self.stats.exact += repeats
        self.stats.duplicate += repeats
        if len(idx) > self.config.max_flashes_per_source:
            self.stats.evicted += idx.evict(float("-inf"), self.config.max_flashes_per_source)
        self.stats.evicted += self.sources.settle(source, idx, before)
        return SnapshotResult(decisions)

    def _line(
        self, idx: SourceIndex, snap: Snapshot, position: int, raw: str, seen: float
    ) -> Decision | None:
        """A line not seen before as it is: exact matching form, then LSH and the pair rules."""
        # (the rules, and rapidfuzz, load with the first new line: a run without one skips them)
        from streamer.core.match import decide, label_note

        overflow = self._overflow.get((snap.source, raw))
        if overflow is not None and (cluster := idx.clusters.get(overflow[0])) is not None:
            self._overflow.move_to_end((snap.source, raw))
            self.stats.exact += 1
            return self._duplicate(idx, snap, position, raw, cluster, *overflow[1:], seen)
        flash = cleaned(raw, idx.lexicon)
        if not flash.key:  # nothing but invisible characters and punctuation: not a flash
            self.stats.not_flash += 1
            return None
        full_key = f"{flash.attribution_key}\x00{flash.key}"
        cluster = idx.exact_key(full_key)
        if cluster is not None:
            self.stats.exact += 1
            idx.remember_raw(cluster, raw, flash.text)
            note = label_note(flash, cleaned(cluster.latest_raw, idx.lexicon))
            return self._duplicate(idx, snap, position, raw, cluster, flash.text, 1.0,
                                   note or "same text", seen)

        best: tuple[Cluster, PairDecision] | None = None
        shown: set[int] | None = None
        for known_cluster, known in idx.candidates(flash):
            recent = seen - known_cluster.last_seen <= REWORD_WINDOW_SECONDS
            if recent and shown is None:
                shown = self._shown(idx)
            pd = decide(flash, known, replaced=recent and known_cluster.cid not in (shown or ()))
            if best is None or _rank(pd) > _rank(best[1]):
                best = (known_cluster, pd)
                if pd.verdict is DUPLICATE and pd.score >= 1.0:
                    break  # (a score is at most 1: no later candidate can rank above it)
        verdict = best[1].verdict if best else Verdict.NEW
        if best is not None and verdict is Verdict.DUPLICATE:
            idx.remember_variant(best[0], raw, flash, full_key)
            return self._duplicate(idx, snap, position, raw, best[0], flash.text,
                                   best[1].score, best[1].reason, seen)
        if best is not None and verdict is Verdict.REVISED:
            return self._revised(idx, snap, position, best[0], raw, flash, full_key, seen, best[1])
        return self._new(idx, snap, position, raw, flash, full_key, seen, best)

    def _shown(self, idx: SourceIndex) -> set[int]:
        """Flashes the current snapshot shows (as lines already known). While a snapshot is
        decided its lines only ever become known (nothing is forgotten before it ends), so a
        line found once is not looked up again."""
        unknown: list[str] = []
        for raw in self._unknown:
            hit = idx.exact_raw(raw)
            if hit is None:
                unknown.append(raw)
            else:
                self._shown_cids.add(hit[0].cid)
        self._unknown = unknown
        return self._shown_cids

    def _duplicate(self, idx: SourceIndex, snap: Snapshot, position: int, raw: str,
                   cluster: Cluster, text: str, score: float, reason: str, seen: float) -> Decision:
        self.stats.duplicate += 1
        idx.touch(cluster, seen)
        if idx.exact_raw(raw) is None:  # past the flash's cap: remember it here for a while
            self._overflow[(snap.source, raw)] = (cluster.cid, text, score, reason)
            if len(self._overflow) > MAX_RECENT_OVERFLOW:
                self._overflow.popitem(last=False)
        return Decision(snap.ref, snap.source, position, text, cluster.event_id,
                        Verdict.DUPLICATE, score, None, reason)

    def _new(self, idx: SourceIndex, snap: Snapshot, position: int, raw: str, flash: Flash,
             full_key: str, seen: float, best: tuple[Cluster, PairDecision] | None) -> Decision:
        self.stats.new += 1
        event = self._event(snap, flash, Verdict.NEW, None, None)
        cluster = idx.new_cluster(event.event_id, flash, raw, snap.fetched_at, seen)
        idx.remember_variant(cluster, raw, flash, full_key)
        score, reason = (best[1].score, best[1].reason) if best else (0.0, "no similar flash")
        return Decision(snap.ref, snap.source, position, flash.text, event.event_id, Verdict.NEW,
                        score, event, reason)

    def _revised(self, idx: SourceIndex, snap: Snapshot, position: int, cluster: Cluster, raw: str,
                 flash: Flash, full_key: str, seen: float, pd: PairDecision) -> Decision:
        self.stats.revised += 1
        event = self._event(snap, flash, Verdict.REVISED, cluster.event_id, cluster.text)
        cluster.event_id, cluster.text, cluster.latest_raw = event.event_id, flash.text, raw
        idx.changed(cluster)
        idx.remember_variant(cluster, raw, flash, full_key)
        idx.touch(cluster, seen)
        return Decision(snap.ref, snap.source, position, flash.text, event.event_id,
                        Verdict.REVISED, pd.score, event, pd.reason)

    @staticmethod
    def _event(snap: Snapshot, flash: Flash, kind: Verdict, revision_of: str | None,
               previous_text: str | None) -> Event:
        return Event(
            event_id=event_id_for(snap.source, flash, snap.fetched_at, revision_of), kind=kind,
            source=snap.source, text=flash.text, attribution=flash.attribution,
            first_seen=snap.fetched_at, url=snap.url, snapshot=snap.ref, revision_of=revision_of,
            previous_text=previous_text, lang=flash.lang)

    def live_flashes(self) -> int:
        return self.sources.live

    def summary(self) -> dict[str, Any]:
        return {
            "live_flashes": self.live_flashes(),
            **{k: getattr(self.stats, k) for k in self.stats.__slots__},
        }


_RANK = {Verdict.DUPLICATE: 2, Verdict.REVISED: 1, Verdict.NEW: 0}


def _rank(pd: PairDecision) -> tuple[int, float]:
    return _RANK[pd.verdict], pd.score
