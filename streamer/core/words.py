"""Language knowledge for matching: small words, inflection, synonyms, and which language a line is.

Stop words and synonyms are data files shipped in the package (`streamer/core/data/`, read once
through importlib.resources); inflection is the Snowball stemmers of PyStemmer (C, their rules
compiled in, nothing downloaded). Arabic keeps the folding of `clean.fold` and is not stemmed.
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import Stemmer

LANGUAGES = ("en", "de", "fr", "es", "ar")
DEFAULT_LANGUAGE = "en"
_SNOWBALL = {"en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian",
             "pt": "portuguese", "nl": "dutch", "ru": "russian", "tr": "turkish", "sv": "swedish"}
# Small words of other languages that are also English words: no evidence of the language.
_ENGLISH_TOO = frozenset("die war man will also am an so was bin hat art fast gift bad main son "
                         "sale pain comme fin plus con sin mi come".split())
_ARABIC = re.compile("[\u0600-\u06ff]")


@cache
def data(name: str) -> dict[str, Any]:
    """One of the packaged data files (stopwords, labels, synonyms), parsed."""
    text = resources.files("streamer.core").joinpath(f"data/{name}.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _fold(text: str) -> str:
    from streamer.core.clean import fold  # clean imports this module's labels at load time

    return fold(text)


@cache
def stop_words(lang: str) -> frozenset[str]:
    """Words whose change never makes a different flash; English ones count in every language
    (headlines in any language quote English names and words)."""
    lists = data("stopwords")
    words = set(_fold(lists.get(lang, "")).split())
    if lang != "ar":
        words |= set(_fold(lists["en"]).split())
    return frozenset(words)


@cache
def _stemmer(lang: str) -> Stemmer.Stemmer | None:
    name = _SNOWBALL.get(lang)
    return Stemmer.Stemmer(name) if name else None


@lru_cache(maxsize=16384)
def stem(word: str, lang: str) -> str:
    """The word's Snowball stem in its language (English as well, for quoted English)."""
    stemmer = _stemmer(lang)
    if stemmer is None:
        return word
    return str(stemmer.stemWord(word))


@cache
def _synonym_groups() -> dict[str, frozenset[int]]:
    """Folded word or phrase (and its stem in the group's language) -> the groups it is in.
    All languages at once: a line's language is a guess, the groups' words hardly collide."""
    out: dict[str, set[int]] = {}
    i = 0
    for lang, groups in data("synonyms").items():
        if lang.startswith("_"):
            continue
        for group in groups:
            for entry in group:
                folded = _fold(entry)
                out.setdefault(folded, set()).add(i)
                if " " not in folded:
                    out.setdefault(stem(folded, lang), set()).add(i)
            i += 1
    return {k: frozenset(v) for k, v in out.items()}


@lru_cache(maxsize=64)
def _site_groups(extra: tuple[tuple[str, ...], ...], lang: str) -> dict[str, frozenset[int]]:
    out: dict[str, set[int]] = {}
    for i, group in enumerate(extra):
        for entry in group:
            folded = _fold(entry)
            out.setdefault(folded, set()).add(-1 - i)
            out.setdefault(stem(folded, lang), set()).add(-1 - i)
    return {k: frozenset(v) for k, v in out.items()}


def synonyms(a: str, b: str, lang: str, extra: tuple[tuple[str, ...], ...] = ()) -> bool:
    """Both words (or phrases, or their stems) are in one synonym group (`extra`: a site's)."""
    if extra:
        site = _site_groups(extra, lang)
        sa = site.get(a) or site.get(stem(a, lang))
        sb = site.get(b) or site.get(stem(b, lang))
        if sa and sb and sa & sb:
            return True
    ga, gb = _groups_of(a, lang), _groups_of(b, lang)
    return bool(ga and gb and ga & gb)


@lru_cache(maxsize=16384)  # a few thousand words meet each other in tens of thousands of pairs
def _groups_of(word: str, lang: str) -> frozenset[int] | None:
    """The shipped synonym groups the word (or phrase), else its stem, is in."""
    groups = _synonym_groups()
    return groups.get(word) or groups.get(stem(word, lang))


@cache
def _stop_sets() -> tuple[tuple[str, frozenset[str]], ...]:
    lists = data("stopwords")
    english = set(_fold(lists["en"]).split()) | _ENGLISH_TOO
    return tuple((lang, frozenset(set(_fold(lists[lang]).split()) - english))
                 for lang in ("de", "fr", "es"))


def detect(text: str, tokens: tuple[str, ...]) -> str:
    """The line's language, cheaply: Arabic script, else the most small words of German, French
    or Spanish (two at least), else English."""
    if not text.isascii() and _ARABIC.search(text):
        return "ar"
    best, hits = DEFAULT_LANGUAGE, 1
    for lang, words in _stop_sets():
        n = sum(map(words.__contains__, tokens))
        if n > hits:
            best, hits = lang, n
    return best
