"""Which events a subscriber wants: `source`, `kind`, `q` (every word, ignoring case and
diacritics) and `lang`, the same on every endpoint and in webhook subscriptions."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from multidict import MultiMapping

KINDS = frozenset({"new", "revised"})
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower case without diacritics (`Ça Révisé` -> `ca revise`; Arabic harakat dropped)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def searchable(event: Mapping[str, Any]) -> str:
    """The folded text `q` is matched against: the flash, its attribution and source."""
    parts = (event.get("text"), event.get("attribution"), event.get("source"))
    return fold(" ".join(p for p in parts if isinstance(p, str)))


def _values(raw: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip() for item in raw for v in item.split(",") if v.strip())


@dataclass(frozen=True, slots=True)
class EventFilter:
    sources: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    words: tuple[str, ...] = ()
    langs: frozenset[str] = frozenset()

    @classmethod
    def build(cls, source: Iterable[str] = (), kind: Iterable[str] = (), q: str = "",
              lang: Iterable[str] = ()) -> EventFilter:
        """ValueError for an unknown kind; repeated or comma-separated values mean any of them."""
        kinds = _values(kind)
        if kinds - KINDS:
            raise ValueError(f"kind must be new or revised, not {sorted(kinds - KINDS)[0]!r}")
        return cls(sources=_values(source), kinds=kinds,
                   words=tuple(_WORD.findall(fold(q))), langs=_values(lang))

    @classmethod
    def from_query(cls, query: MultiMapping[str]) -> EventFilter:
        """From URL query parameters (a multidict: `?source=a&source=b` or `?source=a,b`)."""
        return cls.build(query.getall("source", ()), query.getall("kind", ()),
                         " ".join(query.getall("q", ())), query.getall("lang", ()))

    @property
    def active(self) -> bool:
        return bool(self.sources or self.kinds or self.words or self.langs)

    def matches(self, event: Mapping[str, Any], folded: str | None = None) -> bool:
        """`folded` is `searchable(event)` when the caller has it already.

        An event without a `lang` field does not match a `lang` filter (its language is unknown).
        """
        if self.sources and event.get("source") not in self.sources:
            return False
        if self.kinds and event.get("kind") not in self.kinds:
            return False
        if self.langs and event.get("lang") not in self.langs:
            return False
        if self.words:
            text = searchable(event) if folded is None else folded
            return all(word in text for word in self.words)
        return True

    def query(self) -> list[tuple[str, str]]:
        """The filter as URL query parameters (for feed paging links)."""
        out = [("source", s) for s in sorted(self.sources)]
        out += [("kind", k) for k in sorted(self.kinds)]
        out += [("lang", lang) for lang in sorted(self.langs)]
        if self.words:
            out.append(("q", " ".join(self.words)))
        return out
