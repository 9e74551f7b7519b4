"""Word-level evidence that two differing words (or runs of words) say the same thing.

Used by the pair decision on what is left after exact words and typos are aligned: inflected
forms (the language's stemmer), compounds, hyphens and glued words (character similarity of the
leftovers, rapidfuzz), and the curated synonym table. Each piece of evidence is named, so the
sighting's reason says why ("inflection: hits~hitting", "synonym: strikes~hits").
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from rapidfuzz.distance import Indel

from streamer.core.clean import fold
from streamer.core.model import Flash
from streamer.core.words import stem, synonyms

SPELLING = 0.9  # character similarity of the joined leftovers that counts as one spelling
MIN_SPELLING_CHARS = 6  # shorter leftovers are too easily alike (Iran / Iraq)
Groups = tuple[tuple[str, ...], ...]  # a site's own synonym groups
MIN_REWORDED = 3  # shared content words around a reworded word
NEGATIONS = frozenset("not no never nicht kein keine nie pas jamais ni nunca".split())
MAX_LEFT = 3  # more differing words than this on the shorter side is a rewrite
GLUE = 3  # letters a capture may glue onto a word ("viFighting")
MIN_GLUED = 5


def _ordered(left: Counter[str], tokens: tuple[str, ...]) -> list[str]:
    seen = [t for t in dict.fromkeys(tokens) if left.get(t, 0) > 0]
    return [t for t in seen for _ in range(left[t])]


def _acronym(short: list[str], long_: list[str]) -> bool:
    """One word made of the other side's initials (gp~grand prix, rb~red bull)."""
    return (len(short) == 1 and 2 <= len(short[0]) == len(long_) <= 4
            and short[0] == "".join(w[0] for w in long_))


@lru_cache(maxsize=16384)  # the same pairs of leftovers come back with every repeat wording
def _word_pair(a: str, b: str, lang: str, extra: Groups) -> str | None:
    """Why two single words are the same word, or None."""
    if a.isdigit() or b.isdigit():
        return None
    sa, sb = stem(a, lang), stem(b, lang)
    short, long_ = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    grown = len(long_) - len(short)
    if sa == sb or (long_.startswith(short) and (
            (len(short) >= 4 and grown <= 2) or (len(short) >= 5 and grown <= 3))):
        return f"inflection: {a}~{b}"  # also a country and its people (ukraine~ukrainian)
    if synonyms(a, b, lang, extra):
        return f"synonym: {a}~{b}"
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 3 and len(long_) >= 2 * len(short) and long_.startswith(short):
        return f"abbreviation: {a}~{b}"  # man~manchester, sub~submarine
    if len(short) >= MIN_GLUED and len(long_) - len(short) <= GLUE and (
        long_.endswith(short) or long_.startswith(short)
    ):
        return f"glued: {a}~{b}"
    return None


def pair_off(
    only_new: Counter[str],
    only_known: Counter[str],
    new_tokens: tuple[str, ...],
    known_tokens: tuple[str, ...],
    lang: str,
    extra: Groups = (),
) -> tuple[int, list[str]]:
    """Pair off leftovers that are the same words in another form (in place); returns how many
    words of the known side were accounted for, and the reasons."""
    if not only_new or not only_known or min(len(only_new), len(only_known)) > MAX_LEFT:
        return 0, []
    new_run, known_run = _ordered(only_new, new_tokens), _ordered(only_known, known_tokens)
    a, b = "".join(new_run), "".join(known_run)
    if a == b or (
        min(len(a), len(b)) >= MIN_SPELLING_CHARS
        and Indel.normalized_similarity(a, b) >= SPELLING
        and not any(w.isdigit() for w in new_run + known_run)
    ):
        kind = "compound" if a == b else "spelling"
        n = len(known_run)
        only_new.clear()
        only_known.clear()
        return n, [f"{kind}: {' '.join(new_run)}~{' '.join(known_run)}"]
    acronym = _acronym(new_run, known_run) or _acronym(known_run, new_run)
    if acronym:
        n = len(known_run)
        only_new.clear()
        only_known.clear()
        return n, [f"abbreviation: {' '.join(new_run)}~{' '.join(known_run)}"]
    if len(new_run) + len(known_run) > 2 and synonyms(" ".join(new_run), " ".join(known_run),
                                                       lang, extra):
        n = len(known_run)
        only_new.clear()
        only_known.clear()
        return n, [f"synonym: {' '.join(new_run)}~{' '.join(known_run)}"]
    pairs, reasons = 0, []
    for word in new_run:
        for other in list(only_known):
            if only_known[other] <= 0 or only_new[word] <= 0:
                continue
            why = _word_pair(word, other, lang, extra)
            if why is not None:
                only_new[word] -= 1
                only_known[other] -= 1
                pairs += 1
                reasons.append(why)
                break
    for c in (only_new, only_known):
        for k in [k for k, v in c.items() if v <= 0]:
            del c[k]
    return pairs, reasons


def cut_short(new: Flash, known: Flash, stops: frozenset[str]) -> bool:
    """The new line is the known one with its end (or its start) cut off."""
    a = [t for t in new.tokens if t not in stops]
    b = [t for t in known.tokens if t not in stops]
    return bool(a) and (b[: len(a)] == a or b[-len(a) :] == a)


def reworded(new: Flash, known: Flash, new_words: set[str], known_words: set[str],
              figures: set[str], shared: int) -> bool:
    """One common word swapped for another in an otherwise unchanged, long enough line; not a
    name or place (capitalised inside the line), not a figure, not a negation, not Arabic."""
    if len(new_words) != 1 or len(known_words) != 1 or figures or shared < MIN_REWORDED:
        return False
    if new.lang == "ar" or known.lang == "ar" or (new_words | known_words) & NEGATIONS:
        return False
    a, b = next(iter(new_words)), next(iter(known_words))
    if a in new.tokens[:1] or b in known.tokens[:1]:  # a headline's first word: often its subject
        return False
    return not (_capitalised(a, new) or _capitalised(b, known))


def _capitalised(word: str, flash: Flash) -> bool:
    """The word is written with a capital (or in a line without lower case) past the first word."""
    text = flash.body
    if text.upper() == text:
        return True
    return any(
        i and m.group()[:1].isupper() and word in fold(m.group()).split()
        for i, m in enumerate(_WORDS.finditer(text))
    )


_WORDS = re.compile(r"[\w'’-]+")
