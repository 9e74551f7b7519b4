"""Typos: words one slip apart, paired off before anything else is compared.

A slip is one edit (insert, delete, substitute, swap) in a word of 4+ letters; a slip in a small
word ("abou" for "about") is a typo too, not a new word.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from streamer.core.clean import _NUMBER_WORDS

_DIGIT = re.compile(r"\d")
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")


def is_figure(token: str) -> bool:
    return _DIGIT.search(token) is not None


@lru_cache(maxsize=16384)  # the same leftover words meet again with every repeat wording
def close(a: str, b: str) -> bool:
    """A typo: one edit (insert, delete, substitute, swap) apart, for words of 4+ letters (a
    letter dropped from a 4-letter Arabic word too: its article is folded away, `المجال` is
    `مجال`, and a slip leaves 3)."""
    shortest = min(len(a), len(b))
    if abs(len(a) - len(b)) > 1 or is_figure(a) or is_figure(b) or shortest < 3 or (
            shortest == 3 and (len(a) == len(b) or not _ARABIC_LETTER.match(a))):
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


MAX_TYPOS = 3  # more words changed than this on the shorter side is a rewrite, not typos


# A number word is folded to its figure (`seven` -> `7`); a slip in it ("sveen") is still a typo.
_SPELLED = {figure: word for word, figure in _NUMBER_WORDS.items()}


@lru_cache(maxsize=16384)  # (as close)
def _slip(a: str, b: str) -> bool:
    if close(a, b):
        return True
    spelled_a, spelled_b = _SPELLED.get(a), _SPELLED.get(b)
    return (spelled_b is not None and close(a, spelled_b)) or (
        spelled_a is not None and close(spelled_a, b))


def align(only_new: Counter[str], only_known: Counter[str]) -> int:
    """Pair typo'd words off both leftovers (in place); returns how many pairs were found."""
    if min(len(only_new), len(only_known)) > MAX_TYPOS:
        return 0
    pairs = 0
    for word in list(only_new):
        for other in list(only_known):
            if only_known[other] and _slip(word, other):
                only_new[word] -= 1
                only_known[other] -= 1
                pairs += 1
                break
    for c in (only_new, only_known):
        for k in [k for k, v in c.items() if v <= 0]:
            del c[k]
    return pairs


def small_typos(only: Counter[str], own: tuple[str, ...], other: tuple[str, ...],
                stops: frozenset[str]) -> int:
    """Drop from `only` (in place) the words that are a slip of a small word the other line has
    and this one lacks ("abou" / "about"); returns how many."""
    if not only or len(only) > MAX_TYPOS:
        return 0
    small = _small_words(other, stops).difference(own)
    if not small:
        return 0
    slips = [w for w in only if any(close(w, t) for t in small)]
    for w in slips:
        del only[w]
    return len(slips)


@lru_cache(maxsize=512)  # a line meets many others: its small words are picked out once
def _small_words(tokens: tuple[str, ...], stops: frozenset[str]) -> frozenset[str]:
    return frozenset(t for t in tokens if t in stops)
