"""A line's content words (its words less the small ones), counted once per line.

The pair decision compares a new line with up to 16 known wordings and a known wording with many
new lines, so each line's counts are cached (lru_cache of 512 lines: lines are at most 1000
characters, so at most about 20 MB, a few hundred KB for real headlines), and what one line has
that the other lacks is a plain dict difference rather than `Counter` arithmetic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from functools import lru_cache


@lru_cache(maxsize=512)
def content(tokens: tuple[str, ...], stops: frozenset[str]) -> Mapping[str, int]:
    """How often each content word (not a small word) occurs in the line, in order."""
    counts: dict[str, int] = {}
    for t in tokens:
        if t not in stops:
            counts[t] = counts.get(t, 0) + 1
    return counts


def minus(a: Mapping[str, int], b: Mapping[str, int]) -> Counter[str]:
    """`Counter(a) - Counter(b)` (the positive differences, in a's order), without building
    the Counters."""
    left: Counter[str] = Counter()
    for t, n in a.items():
        if (d := n - b.get(t, 0)) > 0:
            left[t] = d
    return left


@lru_cache(maxsize=512)
def line_words(tokens: tuple[str, ...], attribution_key: str, stops: frozenset[str]
               ) -> frozenset[str]:
    """The distinct content words of the whole line, speaker and body."""
    return frozenset(tokens).union(attribution_key.split()) - stops
