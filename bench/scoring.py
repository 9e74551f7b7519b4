"""Score the engine's sightings against the labels of a synthetic stream.

A *unit* is one ground-truth flash version (flash id, version) seen on at least one page. A unit
with version > 0 is a *revision* when an earlier version of its flash was seen before it in crawl
order; every other unit is a *new flash*. Each event is credited to the unit of the line that
produced it.

- leaked: events beyond the first per unit (a duplicate the reader sees twice), summed over units.
- missed: new-flash units that got no `new` event of their own (merged into another flash).
- revision recall: revision units with a `revised` event whose `revision_of` event belongs to the
  same flash, over all revision units.
- revision false alarms: `revised` events that are not such a hit (on a new flash, on a line
  already reported, or linked to another flash).
- wrong links: sightings whose event_id is an event of another flash (the per-line view of a miss).
- spurious: events from lines with no label (the extractor took a menu or article line).
A unit none of whose lines reached the engine counts as missed too ("not extracted").
Percentages of leaked and missed are of all units ("flashes").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bench.truth import FlashTruth, LineLabel

Unit = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Seen:
    """One line as the engine decided it (from a Decision or a sightings JSON line)."""

    snapshot: str
    position: int
    text: str
    event_id: str
    verdict: str  # new / duplicate / revised
    score: float = 0.0
    reason: str = ""
    event_kind: str | None = None  # set when this line produced an event
    revision_of: str | None = None


@dataclass(frozen=True, slots=True)
class Example:
    """A failure to show: what the line said, what it was matched against, and why."""

    what: str
    category: str
    text: str
    other: str
    verdict: str
    score: float
    reason: str


@dataclass
class Report:
    """The figures `bench.evaluate` prints."""

    units: int = 0
    new_units: int = 0
    revision_units: int = 0
    events: int = 0
    leaked: int = 0
    missed: int = 0
    revisions_found: int = 0
    revision_false_alarms: int = 0
    revisions_as_new: int = 0
    wrong_links: int = 0
    spurious: int = 0
    unlabelled_lines: int = 0
    lines_without_decision: int = 0
    sightings: int = 0
    by_variant: dict[str, Counter[str]] = field(default_factory=dict)
    by_category: dict[str, Counter[str]] = field(default_factory=dict)
    examples: list[Example] = field(default_factory=list)

    def pct(self, n: int, of: int | None = None) -> float:
        base = self.units if of is None else of
        return 100.0 * n / base if base else 0.0

    @property
    def revision_recall(self) -> float:
        return self.revisions_found / self.revision_units if self.revision_units else 1.0

    def meets(self, leaked: float = 1.0, missed: float = 0.5, recall: float = 0.9) -> bool:
        """The issue's targets: leaked <= 1%, missed <= 0.5%, revisions flagged >= 90%."""
        return (self.pct(self.leaked) <= leaked and self.pct(self.missed) <= missed
                and self.revision_recall >= recall)


def _category(truth: FlashTruth | None, unit: Unit, revision: bool) -> str:
    if truth is None:
        return "unknown"
    if revision:
        return f"revision:{truth.version_kinds[unit[1]]}"
    if truth.category == "hard_negative":
        return f"hard_negative:{truth.kind}"
    return "plain"


def score(seen: list[Seen], lines: dict[tuple[str, int], LineLabel],
          flashes: dict[str, FlashTruth]) -> Report:
    """Compare sightings (in processing order) with the labels."""
    rep = Report(sightings=len(seen))
    event_unit: dict[str, Unit | None] = {}
    event_text: dict[str, str] = {}
    unit_events: dict[Unit, list[Seen]] = defaultdict(list)
    first_seen: dict[Unit, int] = {}  # rank of the unit's first line in crawl order
    first_key: dict[Unit, tuple[str, int]] = {}
    for i, (key, lab) in enumerate(lines.items()):
        if (lab.flash, lab.version) not in first_seen:
            first_seen[lab.flash, lab.version] = i
            first_key[lab.flash, lab.version] = key
    by_key: dict[tuple[str, int], Seen] = {}
    for s in seen:
        by_key[s.snapshot, s.position] = s
        lab = lines.get((s.snapshot, s.position))
        unit = (lab.flash, lab.version) if lab else None
        if unit is None:
            rep.unlabelled_lines += 1
        if s.event_kind is not None:
            rep.events += 1
            event_unit[s.event_id] = unit
            event_text[s.event_id] = s.text
            if unit is None:
                rep.spurious += 1
            else:
                unit_events[unit].append(s)
    rep.lines_without_decision = sum(1 for key in lines if key not in by_key)

    def is_revision(unit: Unit) -> bool:
        start = first_seen[unit]
        return any(first_seen.get((unit[0], v), start) < start for v in range(unit[1]))

    revision_units = {u for u in first_seen if u[1] > 0 and is_revision(u)}
    rep.units = len(first_seen)
    rep.revision_units = len(revision_units)
    rep.new_units = rep.units - rep.revision_units
    cats: dict[str, Counter[str]] = defaultdict(Counter)
    hits: set[str] = set()
    for unit in first_seen:
        truth = flashes.get(unit[0])
        rev = unit in revision_units
        cat = cats[_category(truth, unit, rev)]
        cat["units"] += 1
        evs = unit_events.get(unit, [])
        extra = max(0, len(evs) - 1)
        rep.leaked += extra
        cat["leaked"] += extra
        for ev in evs[1:]:
            first = evs[0]
            rep.examples.append(Example("leaked", _category(truth, unit, rev), ev.text,
                                        first.text, ev.verdict, ev.score, ev.reason))
        if rev:
            found = [e for e in evs if e.event_kind == "revised" and e.revision_of is not None
                     and (event_unit.get(e.revision_of) or ("", 0))[0] == unit[0]]
            if found:
                rep.revisions_found += 1
                cat["found"] += 1
                hits.add(found[0].event_id)
            else:
                rep.revisions_as_new += any(e.event_kind == "new" for e in evs)
                rep.examples.append(_miss_example("revision_missed", truth, unit, rev,
                                                  by_key.get(first_key[unit]), event_text, evs))
        elif not any(e.event_kind == "new" for e in evs):
            rep.missed += 1
            cat["missed"] += 1
            rep.examples.append(_miss_example("missed", truth, unit, rev,
                                              by_key.get(first_key[unit]), event_text, evs))
    for evs in unit_events.values():
        for e in evs:
            if e.event_kind == "revised" and e.event_id not in hits:
                rep.revision_false_alarms += 1
    variants: dict[str, Counter[str]] = defaultdict(Counter)
    for s in seen:
        lab = lines.get((s.snapshot, s.position))
        if lab is None:
            continue
        linked = event_unit.get(s.event_id)
        wrong = linked is not None and linked[0] != lab.flash
        rep.wrong_links += wrong
        leak = s.event_kind is not None and unit_events[(lab.flash, lab.version)][0] is not s
        for name in lab.variants or ("canonical",):
            variants[name]["lines"] += 1
            variants[name]["leaked"] += leak
            variants[name]["wrong_link"] += wrong
    rep.by_variant = dict(variants)
    rep.by_category = dict(cats)
    return rep


def _miss_example(what: str, truth: FlashTruth | None, unit: Unit, rev: bool, s: Seen | None,
                  event_text: dict[str, str], evs: list[Seen]) -> Example:
    if s is None:
        text = truth.versions[unit[1]] if truth else "?"
        return Example(what, _category(truth, unit, rev), text, "", "not extracted", 0.0, "")
    linked = evs[0].revision_of if evs and evs[0].revision_of else s.event_id
    other = event_text.get(linked, "?")
    if rev and truth is not None:
        other = truth.versions[unit[1] - 1]
    got = evs[0].event_kind if evs else s.verdict
    return Example(what, _category(truth, unit, rev), s.text, other, got or s.verdict,
                   s.score, s.reason)
