"""One site's ticker over time, minute by minute: arrivals, edits, revisions, hard negatives."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bench import variants
from bench.corpus import FIGURE_SLOTS, FIGURES, NUMBER_WORDS, Speaker, Template
from bench.layout import Site
from bench.truth import FlashTruth

SHOWN = 10
P_NEGATIVE = 0.14  # a new flash is a deliberate hard negative of a recent one
P_SPEECH = 0.05  # a new flash starts a speech: several statements by one speaker
P_REVISE = 0.2
P_TYPO = 0.08
P_EDIT = 0.02  # per visible flash per minute
P_DECORATED_FIRST = 0.1
GENERIC_DETAILS = (" in the early hours of the morning", " for the second time this week")
SLOT_KIND = {"actor": "actor", "leader": "actor", "missile": "object", "pipeline": "object",
             "topic": "object", "hospital": "object"}  # every other entity slot is a place


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A simulated site: its host, look, vocabulary and page URLs (with per-URL quirks)."""

    key: str
    host: str
    site: Site
    templates: tuple[Template, ...]  # its own beat, used first
    speakers: dict[str, Speaker]
    paths: tuple[str, ...]
    quirks: tuple[str | None, ...]
    html: tuple[bool, ...]
    arabic: bool = False
    extra: tuple[Template, ...] = ()  # other sites' beats it also covers
    lang: str = "en"  # which editors' habits (labels, word forms) its edits use


@dataclass(frozen=True, slots=True)
class State:
    """One ticker line as the site currently shows it."""

    flash: str
    version: int
    text: str
    variants: tuple[str, ...]


@dataclass
class _Flash:
    id: str
    template: Template | None  # None: a speech statement
    fills: dict[str, str]
    speaker: Speaker | None
    style: str  # lead, colon, says or none
    form: int
    bodies: list[str]
    kinds: list[str]
    born: int
    category: str = "plain"
    of: str | None = None
    neg_kind: str = ""
    style_now: str = ""
    form_now: int = 0
    edits: tuple[tuple[str, int], ...] = ()
    typo_seed: int | None = None
    typo_until: int = 0
    revise_at: int | None = None
    revise_how: str = ""
    suffix: str = ""  # detail added by "extended" revisions

    def render(self) -> State:
        body = self.bodies[-1]
        tags: list[str] = []
        if self.typo_seed is not None:
            body = variants.typo(body, random.Random(self.typo_seed))
            tags.append("typo")
        text = _attach(body, self.speaker, self.style_now, self.form_now)
        if self.form_now != self.form:
            tags.append("attribution")
        if self.style_now != self.style:
            tags.append("attribution_moved")
        for name, seed in self.edits:
            changed = variants.apply(name, text, seed)
            if changed != text:
                text = changed
                tags.append(name)
        return State(self.id, len(self.bodies) - 1, text, tuple(tags))


def _attach(body: str, speaker: Speaker | None, style: str, form: int) -> str:
    if speaker is None or style == "none":
        return body
    if style == "lead" or not speaker.trail:
        return f"{speaker.lead[form % len(speaker.lead)]}: {body}"
    name = speaker.trail[form % len(speaker.trail)]
    return f"{body}: {name}" if style == "colon" else f"{body}, {name} says"


def _bump(slot: str, value: str, rng: random.Random) -> str:
    """A changed figure, as a revision would report it."""
    if slot in ("nw", "Nw"):
        i = NUMBER_WORDS.index(value.lower())
        word = NUMBER_WORDS[i + 1] if i + 1 < len(NUMBER_WORDS) else NUMBER_WORDS[i - 1]
        return word.capitalize() if slot == "Nw" else word
    if slot == "time":
        return str(int(value) + 100)
    if slot == "mag":
        return f"{float(value) + rng.choice((-0.3, 0.2, 0.4)):.1f}"
    return str(int(value) + rng.randint(1, 6))


@dataclass
class SourceSim:
    """Runs one site's ticker and keeps what it showed at every minute."""

    spec: SourceSpec
    seed: int
    mean_gap: float
    flashes: list[_Flash] = field(default_factory=list)
    history: list[tuple[State, ...]] = field(default_factory=list)
    _speech: list[tuple[int, Speaker, str]] = field(default_factory=list)
    _used: set[tuple[str, tuple[tuple[str, str], ...]]] = field(default_factory=set)
    _said: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{self.spec.key}:{self.seed}")
        self.table = (variants.AR_EDITS if self.spec.arabic
                      else variants.INTL_EDITS.get(self.spec.lang, variants.EN_EDITS))

    def run(self, minutes: int) -> None:
        for _ in range(SHOWN):
            self._arrive(0)
        for t in range(minutes + 1):
            if t and self._speech and self._speech[0][0] <= t:
                _, speaker, line = self._speech.pop(0)
                previous = next(fl.id for fl in reversed(self.flashes) if fl.speaker is speaker
                                and fl.template is None)
                self._add_statement(t, speaker, line, previous)
            elif t and self.rng.random() < 1.0 / self.mean_gap:
                self._arrive(t)
            for fl in self.flashes[-SHOWN:]:
                self._maintain(fl, t)
            self.history.append(tuple(fl.render() for fl in reversed(self.flashes[-SHOWN:])))

    def state_at(self, minute: float) -> tuple[State, ...]:
        return self.history[min(int(minute), len(self.history) - 1)]

    def truth(self) -> dict[str, FlashTruth]:
        return {fl.id: FlashTruth(fl.id, self.spec.host, fl.category,
                                  tuple(_attach(b, fl.speaker, fl.style, fl.form)
                                        for b in fl.bodies),
                                  tuple(fl.kinds), fl.of, fl.neg_kind,
                                  fl.template.key if fl.template else "speech")
                for fl in self.flashes}

    # -- arrivals ---------------------------------------------------------------------------
    def _arrive(self, t: int) -> None:
        r = self.rng.random()
        if t and r < P_NEGATIVE and self._negative(t):
            return
        if t and r < P_NEGATIVE + P_SPEECH and self._start_speech(t):
            return
        self._plain(t)

    def _plain(self, t: int) -> None:
        used_keys = {fl.template.key for fl in self.flashes if fl.template}
        every = self.spec.templates + self.spec.extra
        fresh = [tp for tp in self.spec.templates if tp.key not in used_keys] or [
            tp for tp in self.spec.extra if tp.key not in used_keys]
        pool = fresh if fresh and self.rng.random() < 0.85 else list(every)
        for _ in range(50):
            tpl = self.rng.choice(pool)
            fills = {s: self.rng.choice(v) for s, v in tpl.pools.items()}
            fills.update({s: self.rng.choice(FIGURES[s]) for s in sorted(FIGURE_SLOTS)
                          if "{" + s + "}" in tpl.text})
            if self._entity_key(tpl, fills) not in self._used:
                break
        else:
            return
        fl = self._new(t, tpl, fills)
        prior = [p for p in self.flashes[:-1] if p.template is tpl]
        if prior:  # a reused template is honestly a hard negative of its latest use
            base = prior[-1]
            slot = next((s for s in tpl.pools if base.fills[s] != fills[s]), "")
            fl.category, fl.of, fl.neg_kind = "hard_negative", base.id, SLOT_KIND.get(slot, "place")

    def _negative(self, t: int) -> bool:
        recent = [fl for fl in self.flashes[-SHOWN:] if fl.template and fl.template.pools]
        if not recent:
            return False
        base = self.rng.choice(recent)
        tpl = base.template
        assert tpl is not None
        for _ in range(20):
            slot = self.rng.choice(sorted(tpl.pools))
            fills = {**base.fills, slot: self.rng.choice(tpl.pools[slot])}
            if self._entity_key(tpl, fills) not in self._used:
                fl = self._new(t, tpl, fills, like=base)
                fl.category, fl.of, fl.neg_kind = "hard_negative", base.id, SLOT_KIND.get(slot,
                                                                                         "place")
                return True
        return False

    def _start_speech(self, t: int) -> bool:
        talkers = [s for s in self.spec.speakers.values()
                   if [x for x in s.statements if x not in self._said]]
        if not talkers:
            return False
        speaker = self.rng.choice(talkers)
        left = [x for x in speaker.statements if x not in self._said]
        self.rng.shuffle(left)
        count = min(len(left), self.rng.randint(3, 5))
        previous = next((fl.id for fl in reversed(self.flashes) if fl.speaker is speaker
                         and fl.template is None), None)
        self._add_statement(t, speaker, left[0], previous)
        due = t
        for line in left[1:count]:
            due += self.rng.randint(1, 3)
            self._speech.append((due, speaker, line))
            self._said.add(line)
        return True

    def _add_statement(self, t: int, speaker: Speaker, line: str, previous: str | None) -> None:
        self._said.add(line)
        fl = self._new(t, None, {"statement": line}, speaker=speaker)
        if previous is not None:
            fl.category, fl.of, fl.neg_kind = "hard_negative", previous, "same_speaker"

    def _new(self, t: int, tpl: Template | None, fills: dict[str, str],
             like: _Flash | None = None, speaker: Speaker | None = None) -> _Flash:
        rng = self.rng
        if like is not None:
            speaker, style, form = like.speaker, like.style, like.form
        else:
            if tpl is not None:
                key = rng.choice(tpl.speakers) if tpl.speakers else ""
                speaker = self.spec.speakers.get(key) if key else None
            style = "none" if speaker is None else "lead"
            if speaker is not None and speaker.trail and rng.random() < 0.3:
                style = rng.choice(("colon", "says"))
            form = 0 if speaker is None or rng.random() < 0.8 else rng.randrange(len(speaker.lead))
        body = tpl.text.format(**fills) if tpl else fills["statement"]
        fl = _Flash(f"{self.spec.key}:{len(self.flashes):04d}", tpl, fills, speaker, style, form,
                    [body], ["original"], t, style_now=style, form_now=form)
        if tpl is not None:
            self._used.add(self._entity_key(tpl, fills))
            if rng.random() < P_REVISE:
                self._schedule_revision(fl, t)
        if rng.random() < P_TYPO:
            fl.typo_seed, fl.typo_until = rng.randrange(1 << 30), t + rng.randint(4, 20)
        if rng.random() < P_DECORATED_FIRST:
            fl.edits = ((rng.choice(sorted(self.table)), rng.randrange(1 << 30)),)
        self.flashes.append(fl)
        return fl

    @staticmethod
    def _entity_key(tpl: Template,
                    fills: dict[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
        return tpl.key, tuple(sorted((s, v) for s, v in fills.items() if s in tpl.pools))

    # -- life on the ticker -----------------------------------------------------------------
    def _schedule_revision(self, fl: _Flash, t: int) -> None:
        figures = [s for s in fl.fills if s in FIGURE_SLOTS]
        fl.revise_how = "figures" if figures and self.rng.random() < 0.7 else "extended"
        fl.revise_at = t + self.rng.randint(6, 40)

    def _maintain(self, fl: _Flash, t: int) -> None:
        rng = self.rng
        if fl.typo_seed is not None and t >= fl.typo_until:
            fl.typo_seed = None
        if fl.revise_at is not None and t >= fl.revise_at:
            self._revise(fl, t)
        if rng.random() >= P_EDIT:
            return
        r = rng.random()
        sp = fl.speaker
        if r < 0.25:
            fl.edits, fl.form_now, fl.style_now = (), fl.form, fl.style
        elif r < 0.45 and sp is not None and len(sp.lead) > 1:
            fl.form_now = rng.choice([i for i in range(len(sp.lead)) if i != fl.form_now])
        elif r < 0.52 and sp is not None and sp.trail:
            fl.style_now = rng.choice([s for s in ("lead", "colon", "says") if s != fl.style_now])
        else:
            name = rng.choice(sorted(self.table))
            keep = fl.edits[-1:] if rng.random() < 0.3 else ()
            fl.edits = (*keep, (name, rng.randrange(1 << 30)))

    def _revise(self, fl: _Flash, t: int) -> None:
        assert fl.template is not None
        fl.revise_at = None
        if fl.revise_how == "figures":
            slot = self.rng.choice([s for s in fl.fills if s in FIGURE_SLOTS])
            fl.fills[slot] = _bump(slot, fl.fills[slot], self.rng)
        else:
            unused = [d for d in fl.template.details or GENERIC_DETAILS if d not in fl.bodies[-1]]
            if not unused:
                return
            fl.suffix += self.rng.choice(unused)
        body = fl.template.text.format(**fl.fills) + fl.suffix
        fl.bodies.append(body)
        fl.kinds.append(fl.revise_how)
        fl.edits, fl.typo_seed = (), None
        if len(fl.bodies) < 3 and self.rng.random() < 0.25:
            self._schedule_revision(fl, t)
