"""Ground-truth records: what each flash is, and what each ticker line shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FlashTruth:
    """One real-world flash and its versions (0 = as first posted, then each revision).

    category is "plain" or "hard_negative" (then `of` is the flash it must not merge with and
    `kind` says what differs: place, actor, object or same_speaker); version_kinds name how each
    version came about: original, figures or extended.
    """

    id: str
    source: str
    category: str
    versions: tuple[str, ...]
    version_kinds: tuple[str, ...]
    of: str | None = None
    kind: str = ""
    template: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "flash", "flash": self.id, "source": self.source,
                "category": self.category, "of": self.of, "negative_kind": self.kind,
                "template": self.template,
                "versions": [{"version": i, "text": t, "how": k} for i, (t, k)
                             in enumerate(zip(self.versions, self.version_kinds, strict=True))]}


@dataclass(frozen=True, slots=True)
class LineLabel:
    """The truth for one ticker line of one snapshot."""

    flash: str
    version: int
    variants: tuple[str, ...]  # editorial variants shown, empty when the line is canonical
    text: str  # the line as put on the page (before any page-wide mojibake)

    def tagged(self, variant: str) -> LineLabel:
        return LineLabel(self.flash, self.version, (*self.variants, variant), self.text)

    def to_dict(self) -> dict[str, Any]:
        return {"flash": self.flash, "version": self.version, "variants": list(self.variants),
                "text": self.text}
