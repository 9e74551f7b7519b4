"""Word-level evidence that two differing words (or runs of words) say the same thing.

Used by the pair decision on what is left after exact words and typos are aligned: inflected
forms (the language's stemmer), derivations (finland~finnish), abbreviations, contractions and
Roman numerals, compounds, hyphens and glued words (character similarity of the leftovers,
rapidfuzz; a word written as two), and the curated synonym table. Each piece of evidence is
named, so the sighting's reason says why ("inflection: hits~hitting", "synonym: strikes~hits").
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from itertools import pairwise

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
MIN_HEAD, MAX_MODIFIER = 4, 4  # a compound and its last word: wildfire~fire, Großbrand~Brand


def _ordered(left: Counter[str], tokens: tuple[str, ...]) -> list[str]:
    seen = [t for t in dict.fromkeys(tokens) if left.get(t, 0) > 0]
    return [t for t in seen for _ in range(left[t])]


def _acronym(short: list[str], long_: list[str]) -> bool:
    """One word made of the other side's initials (gp~grand prix, rb~red bull)."""
    return (len(short) == 1 and 2 <= len(short[0]) == len(long_) <= 4
            and short[0] == "".join(w[0] for w in long_))


# Endings that make a people, a language or an adjective of a name: finland~finnish,
# china~chinese, scots~scottish, chaos~chaotic, britain~british, turkey~turkish.
_DERIVING = ("land", "ish", "ese", "ian", "ain", "an", "tic", "ic", "ia", "ey", "en", "a", "i", "s")
MIN_DERIVED = 5  # letters of each word; the root left after the ending has 3 at least


@lru_cache(maxsize=16384)  # a few thousand words meet each other in tens of thousands of pairs
def _roots(word: str) -> frozenset[str]:
    return frozenset(word[: -len(end)] for end in _DERIVING
                     if word.endswith(end) and len(word) - len(end) >= 3)


def _derived(a: str, b: str) -> bool:
    """Both words are one root with a deriving ending each (its last letter may be doubled:
    fin-land~finn-ish, scot-s~scott-ish); a bare root never counts (chin is no china)."""
    if min(len(a), len(b)) < MIN_DERIVED:
        return False
    ra, rb = _roots(a), _roots(b)
    return bool(ra & rb) or any(x + x[-1] in rb for x in ra) or any(y + y[-1] in ra for y in rb)


def _contracted(short: str, long_: str) -> bool:
    """A contraction: the short word is the long one's first and last letters with some of
    those between, in order (st~saint, utd~united, govt~government, barca~barcelona)."""
    if not (2 <= len(short) <= 5 and len(long_) >= len(short) + 3) or (
            len(short) == 2 and len(long_) > 6):
        return False
    if short[0] != long_[0] or short[-1] != long_[-1] or not short.isalpha():
        return False
    rest = iter(long_)
    return all(c in rest for c in short)


# Roman numerals written as figures: wwii~ww2, ii~2 (alone from 2 up: "I", "v" and "x" are
# words); the single letters only behind a shared start (wwi~ww1).
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7",
          "viii": "8", "ix": "9", "x": "10"}
_NUMERAL_ENDS = ("i", "v", "x")


def _roman(a: str, b: str) -> bool:
    if not (a.endswith(_NUMERAL_ENDS) or b.endswith(_NUMERAL_ENDS)):
        return False  # (every numeral above ends in one of these: no word without is one)
    i, n = 0, min(len(a), len(b))
    while i < n and a[i] == b[i]:
        i += 1
    ra, rb = a[i:], b[i:]
    if not i and ((len(ra) < 2 and ra in _ROMAN) or (len(rb) < 2 and rb in _ROMAN)):
        return False
    return _ROMAN.get(ra) == rb or _ROMAN.get(rb) == ra


@lru_cache(maxsize=16384)  # the same pairs of leftovers come back with every repeat wording
def _word_pair(a: str, b: str, lang: str, extra: Groups) -> str | None:
    """Why two single words are the same word, or None."""
    if _roman(a, b):
        return f"numeral: {a}~{b}"
    if a.isdigit() or b.isdigit():
        return None
    sa, sb = stem(a, lang), stem(b, lang)
    short, long_ = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    grown = len(long_) - len(short)
    if sa == sb or (long_.startswith(short) and (
            (len(short) >= 4 and grown <= 2) or (len(short) >= 5 and grown <= 3))):
        return f"inflection: {a}~{b}"  # also a country and its people (ukraine~ukrainian)
    if _derived(a, b):
        return f"derivation: {a}~{b}"
    if synonyms(a, b, lang, extra):
        return f"synonym: {a}~{b}"
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if long_ == short + "s":  # an abbreviation's plural (mp~mps), a plural's possessive (us'~us)
        return f"inflection: {a}~{b}"
    if (len(short) >= 3 and len(long_) >= 2 * len(short) and long_.startswith(short)) or (
            _contracted(short, long_)):
        return f"abbreviation: {a}~{b}"  # man~manchester, sub~submarine, st~saint, utd~united
    if len(short) >= MIN_GLUED and len(long_) - len(short) <= GLUE and (
        long_.endswith(short) or long_.startswith(short)
    ):
        return f"glued: {a}~{b}"
    if len(short) >= MIN_HEAD and len(long_) - len(short) <= MAX_MODIFIER and long_.endswith(short):
        return f"compound: {a}~{b}"  # the compound's head: wildfire~fire, megastar~star
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
    pairs, reasons = _split_compounds(only_new, only_known, new_run, known_run, lang)
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


def _split_compounds(only_new: Counter[str], only_known: Counter[str], new_run: list[str],
                     known_run: list[str], lang: str) -> tuple[int, list[str]]:
    """Pair off a word written as two on the other side, or of their stems (worldtour~world
    tour, workweek~working week); returns the known side's words accounted for, and why."""
    pairs, reasons = 0, []
    for one, other, run, known_side in ((only_new, only_known, known_run, False),
                                        (only_known, only_new, new_run, True)):
        for word in [w for w in one if len(w) >= MIN_SPELLING_CHARS]:
            for x, y in pairwise(run):
                if one[word] <= 0 or other[x] <= 0 or other[y] <= 0 or x == y or not (
                        word.startswith(x) or word.endswith(y)):  # (each join below does one)
                    continue
                if word in (x + y, stem(x, lang) + y, x + stem(y, lang)):
                    one[word] -= 1
                    other[x] -= 1
                    other[y] -= 1
                    pairs += 1 if known_side else 2
                    reasons.append(f"compound: {word}~{x} {y}")
    return pairs, reasons


def cut_short(new: Flash, known: Flash, stops: frozenset[str]) -> bool:
    """The new line is the known one with its end (or its start) cut off."""
    a = [t for t in new.tokens if t not in stops]
    b = [t for t in known.tokens if t not in stops]
    return bool(a) and (b[: len(a)] == a or b[-len(a) :] == a)


def reworded(new: Flash, known: Flash, new_words: set[str], known_words: set[str],
              new_figs: set[str], known_figs: set[str], shared: int) -> bool:
    """One common word swapped for another in an otherwise unchanged, long enough line, or for
    a figure ("pay damages" -> "pay $4.1m", "kill one" -> "kill teen"); not a name or place
    (capitalised inside the line), not a negation, not the first word, not Arabic."""
    if shared < MIN_REWORDED or new.lang == "ar" or known.lang == "ar":
        return False
    if new_figs or known_figs:  # a word for figures: one word, the figures on the other side
        if len(new_words | known_words) != 1 or (new_words and new_figs) or (
                known_words and known_figs):
            return False
    elif len(new_words) != 1 or len(known_words) != 1:
        return False
    if (new_words | known_words) & NEGATIONS:
        return False
    a, b = next(iter(new_words | new_figs)), next(iter(known_words | known_figs))
    if a in new.tokens[:1] or b in known.tokens[:1]:  # a headline's first word: often its subject
        return False
    name_a = bool(new_words) and _capitalised(a, new)
    name_b = bool(known_words) and _capitalised(b, known)
    if name_a and name_b:
        return False
    # a common word for an abbreviation (robot -> AI, head -> CEO), not one name for another
    return (not name_a or _acronym_in(a, new)) and (not name_b or _acronym_in(b, known))


def _acronym_in(word: str, flash: Flash) -> bool:
    """The word is written in capitals (an abbreviation: AI, CEO, MPs) in a line with lower case."""
    text = flash.body
    if text.upper() == text:
        return False
    for m in _WORDS.finditer(text):
        raw = m.group()
        letters = raw[:-1] if raw.endswith("s") else raw
        if len(letters) >= 2 and letters.isupper() and fold(raw) == word:
            return True
    return False


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
