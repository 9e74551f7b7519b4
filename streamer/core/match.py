"""The pair decision: is a new flash a duplicate of a known one, a revision of it, or different?

Works on the folded bodies (the attribution is weighed separately and only vetoes a match when
both sides name different people or places). Words are aligned first, forgiving typos; what is
left over decides:
- nothing but small words differ: duplicate;
- only figures differ (digits, number words): revision;
- the new flash adds detail to the known one: revision (the reverse, a shortened flash: duplicate);
- a word is swapped for another (a place, actor or object): a different flash.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from streamer.core.content import content, line_words, minus
from streamer.core.evidence import cut_short, pair_off, reworded
from streamer.core.model import Flash, PairDecision, Verdict
from streamer.core.typos import MAX_TYPOS, align, close, is_figure, small_typos
from streamer.core.words import stop_words

# Revision needs this much of the known flash's content words to survive.
MIN_SHARED = 0.6


def _stops(new: Flash, known: Flash) -> frozenset[str]:
    if new.lang == known.lang:
        return stop_words(new.lang)
    return _mixed_stops(new.lang, known.lang)


@lru_cache(maxsize=64)
def _mixed_stops(a: str, b: str) -> frozenset[str]:
    return stop_words(a) | stop_words(b)


_PLACE = re.compile(r"\b(?:in|from|at|near|over)\s+(?:the\s+)?((?:\w+\s*){1,3})")


def _places(flash: Flash) -> set[str]:
    """Capitalised words after in/from/at in the attribution: where the speaker reports from."""
    return {
        w
        for m in _PLACE.finditer(flash.attribution_key)
        for w in m.group(1).split()
        if w in flash.attribution_names
    }


def _attribution_conflict(new: Flash, known: Flash) -> bool:
    """Both attributions report from places the other does not name ("in Gaza" / "in Lebanon").

    Anything else in the attribution is rewording and never vetoes a match: the body decides.
    """
    a, b = _places(new), _places(known)
    if not a or not b or a & b:
        return False
    return all(not close(x, y) for x in a for y in b)


def _moved_attribution(
    extra: Counter[str], owner: Flash, other: Flash, stops: frozenset[str]
) -> int:
    """Drop from `extra` the other flash's attribution when `owner` carries it at the start or
    end of its body instead ("..., army spokesperson says" without the comma)."""
    if not other.attribution_key:
        return 0
    attribution = set(other.attribution_key.split()) - set(owner.attribution_key.split())
    moved = {w for w in extra if w in attribution}
    if not moved:
        return 0
    content = [t for t in owner.tokens if t not in stops]
    k = len(moved)
    if set(content[:k]) != moved and set(content[-k:]) != moved:
        return 0
    for w in moved:
        del extra[w]
    return k


def _far_apart(new: Flash, known: Flash, stops: frozenset[str]) -> bool:
    """A cheap bound before the full comparison: even counting every speaker word and the
    allowed typos as shared, the lines share too little for any verdict but "different"."""
    a = line_words(new.tokens, new.attribution_key, stops)
    b = line_words(known.tokens, known.attribution_key, stops)
    return len(a & b) + MAX_TYPOS < MIN_SHARED * min(len(a), len(b))


# Words that stand for or qualify a figure: "kills over 40" -> "kills nearly 50", "162" -> "scores".
QUANTITIES = frozenset(
    "nearly almost about around approximately over past least more than fewer less under up "
    "some several many dozens scores hundreds thousands millions huge record top "
    "fast mehr als über rund knapp fast dutzende hunderte tausende "
    "près plus moins environ dizaines centaines milliers "
    "casi más menos unos decenas cientos miles".split()
)
MIN_KEPT = 0.75  # a shortened repeat dropping words here and there keeps this much of the known
SHORT_BODY = 4  # content words: a body this short does not identify a story on its own


def decide(new: Flash, known: Flash, replaced: bool = False) -> PairDecision:
    """How `new` relates to `known` (verdict NEW here means: a different flash).

    `replaced`: the known wording left the page just as this one came (it is not in the same
    snapshot and was seen shortly before): one word reworded in a long line is then an edit.
    """
    pd = _decide(new, known, replaced)
    note = label_note(new, known)
    if note and pd.verdict is not Verdict.NEW:
        return PairDecision(pd.verdict, pd.score, f"{note}; {pd.reason}")
    return pd


def label_note(new: Flash, known: Flash) -> str | None:
    """What happened to the site labels between the two wordings, for the reason."""
    if new.labels == known.labels:
        return None
    if not known.labels:
        return f"label added: {' '.join(new.labels)}"
    if not new.labels:
        return f"label removed: {' '.join(known.labels)}"
    return f"label changed: {' '.join(known.labels)} -> {' '.join(new.labels)}"


def _decide(new: Flash, known: Flash, replaced: bool) -> PairDecision:
    stops = _stops(new, known)
    if new.key == known.key:
        if _attribution_conflict(new, known):
            return PairDecision(Verdict.NEW, 1.0, "same words, other speaker")
        if _other_label(new, known, stops):
            return PairDecision(Verdict.NEW, 1.0, "other label, short body")
        return PairDecision(Verdict.DUPLICATE, 1.0, "same text")
    if _far_apart(new, known, stops):
        return PairDecision(Verdict.NEW, 0.0, "little in common")
    a, b = content(new.tokens, stops), content(known.tokens, stops)
    a_size, b_size = sum(a.values()), sum(b.values())
    only_new, only_known = minus(a, b), minus(b, a)
    shared = a_size - sum(only_new.values())  # the words both have, as often as both have them
    typos = align(only_new, only_known)
    shared += typos
    slips = (small_typos(only_new, new.tokens, known.tokens, stops)
             + small_typos(only_known, known.tokens, new.tokens, stops))
    paired, evidence = 0, list[str]()
    # Every verdict but "different" needs 60% of the shorter side shared: pairing off more
    # words can only help when it could get there (most candidates are unrelated lines).
    if shared + min(len(only_new), len(only_known)) >= MIN_SHARED * min(a_size, b_size):
        paired, evidence = pair_off(only_new, only_known, new.tokens, known.tokens,
                                    new.lang if new.lang == known.lang else "en", new.synonyms)
    shared += paired
    moved = (_moved_attribution(only_new, new, known, stops)
             + _moved_attribution(only_known, known, new, stops))
    size = max(a_size, b_size, 1)
    score = shared / size
    if shared == 0:
        return PairDecision(Verdict.NEW, 0.0, "nothing in common")

    new_figs = {t for t in only_new if is_figure(t)}
    known_figs = {t for t in only_known if is_figure(t)}
    new_words = only_new.keys() - new_figs
    known_words = only_known.keys() - known_figs
    known_size = max(b_size, 1)
    same = ", ".join(evidence)

    if (new_figs or known_figs) and (new_words or known_words) and (
            new_words | known_words) <= QUANTITIES and shared / known_size >= MIN_SHARED:
        verdict, why = (Verdict.REVISED, f"figures changed: {_few(known_figs | known_words)} -> "
                        f"{_few(new_figs | new_words)}")
    elif replaced and reworded(new, known, new_words, known_words, new_figs, known_figs, shared):
        verdict, why = (Verdict.REVISED, f"reworded: {_few(known_words | known_figs)} -> "
                        f"{_few(new_words | new_figs)}")
    elif new_words and known_words:
        verdict, why = Verdict.NEW, f"other words: {_few(new_words)} vs {_few(known_words)}"
    elif not new_words and not known_words:
        if new_figs or known_figs:
            if shared / known_size < MIN_SHARED:
                verdict, why = Verdict.NEW, "figures differ in a short flash"
            else:
                verdict, why = (
                    Verdict.REVISED,
                    f"figures changed: {_few(known_figs)} -> {_few(new_figs)}",
                )
        else:
            verdict, why = (
                Verdict.DUPLICATE,
                (
                    same
                    or ("attribution moved" if moved else "typo or small words" if typos or slips
                        else "small words")
                ),
            )
    elif new_words:  # the new flash says more than the known one
        if shared / known_size < MIN_SHARED or shared < 2:
            verdict, why = Verdict.NEW, "little in common"
        elif shared + _same_speaker(new, known, stops) < SHORT_BODY - 1:  # anything naming
            # a two-word story would extend it
            verdict, why = Verdict.NEW, "too short to be extended"
        elif known_figs:
            verdict, why = Verdict.NEW, "other figures and other words"
        else:
            verdict, why = Verdict.REVISED, f"extended: +{_few(new_words)}"
    else:  # the new flash says less: a shortened repeat, unless it lost its point
        if shared / max(a_size, 1) < MIN_SHARED or shared < 2 or new_figs:
            verdict, why = Verdict.NEW, "little in common"
        elif shared + _same_speaker(new, known, stops) < SHORT_BODY - 1:  # two words
            # left do not identify a story
            verdict, why = Verdict.NEW, "too short to be a shortened repeat"
        elif (len(known_words) > 1 and shared / known_size < MIN_KEPT
              and not cut_short(new, known, stops)):
            verdict, why = Verdict.NEW, f"kept too little: -{_few(known_words)}"
        else:
            verdict, why = Verdict.DUPLICATE, f"shortened: -{_few(known_words)}"
    if same and verdict is not Verdict.NEW and same not in why:
        why = f"{why}; {same}"

    if verdict is not Verdict.NEW and _attribution_conflict(new, known):
        return PairDecision(Verdict.NEW, score, "other speaker")
    if verdict is Verdict.DUPLICATE and known_words and _lead_swapped(new, known, known_words,
                                                                       stops):
        return PairDecision(Verdict.NEW, score, "other leading words")
    # (with no speaker on either side the whole lines are the bodies, already compared)
    if verdict is Verdict.NEW and (new.attribution_key or known.attribution_key) and _same_words(
            new, known, stops):
        return PairDecision(Verdict.DUPLICATE, 1.0, "same words, speaker placed elsewhere")
    return PairDecision(verdict, score, why)


def _other_label(new: Flash, known: Flash, stops: frozenset[str]) -> bool:
    """The same short body under leading words that share nothing: two stories of one kind
    ("Premier league: ..." / "Champions league: ..."), not one speaker reworded."""
    if not new.attribution_key or not known.attribution_key:
        return False
    if len([t for t in new.tokens if t not in stops]) >= SHORT_BODY:
        return False
    a = content(tuple(new.attribution_key.split()), stops)
    b = content(tuple(known.attribution_key.split()), stops)
    if not a.keys().isdisjoint(b):
        return False
    only_a, only_b = minus(a, b), minus(b, a)
    if align(only_a, only_b):
        return False
    paired, _ = pair_off(only_a, only_b, tuple(a), tuple(b), new.lang)
    return not paired


def _same_speaker(new: Flash, known: Flash, stops: frozenset[str]) -> int:
    """Content words both attributions carry ("Oscars 2022: ..." on both sides)."""
    if not new.attribution_key or not known.attribution_key:
        return 0
    return len(set(new.attribution_key.split()) & set(known.attribution_key.split()) - stops)


def _lead_swapped(new: Flash, known: Flash, dropped: set[str], stops: frozenset[str]) -> bool:
    """A shortened body under a new "X:" that the known line lacks, where the words it dropped
    from its start are not that X ("Oscars red carpet..." / "Grammys 2022: Red carpet..."):
    another story."""
    if not new.attribution_key or known.attribution_key:
        return False
    if set([t for t in known.tokens if t not in stops][: len(dropped)]) != dropped:
        return False
    a = content(tuple(new.attribution_key.split()) + new.tokens, stops)
    b = content(tuple(known.attribution_key.split()) + known.tokens, stops)
    only_a, only_b = minus(a, b), minus(b, a)
    align(only_a, only_b)
    pair_off(only_a, only_b, tuple(a), tuple(b), new.lang, new.synonyms)
    return bool(only_a) and bool(only_b)


def _same_words(new: Flash, known: Flash, stops: frozenset[str]) -> bool:
    """The whole lines (speaker and body together) carry the same content words: the split into
    speaker and body differed, the flash did not."""
    a = content(tuple(new.attribution_key.split()) + new.tokens, stops)
    b = content(tuple(known.attribution_key.split()) + known.tokens, stops)
    if sum(a.values()) != sum(b.values()):  # (a typo pairs one word with one)
        return False
    only_a, only_b = minus(a, b), minus(b, a)
    align(only_a, only_b)
    return not only_a and not only_b


def _few(words: set[str] | Counter[str], n: int = 4) -> str:
    items = sorted(words)
    return " ".join(items[:n]) + (" ..." if len(items) > n else "") if items else "-"
