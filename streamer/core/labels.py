"""Site labels around a headline, and whether a leading "X:" is a speaker.

Labels (kickers, content types, paywall markers, relative times) come from the packaged
`data/labels.json`, in English, German, French and Spanish; they are removed from the matching
form and named in the sighting's reason, so adding, removing or changing one never makes a new
flash. A leading "X:" is an attribution only when it looks like a speaker.
"""

from __future__ import annotations

import re
from functools import lru_cache

from streamer.core.words import data

TAIL_CHARS = 80  # a trailing label is looked for in the line's last characters only


def _label_patterns(where: str, extra: tuple[str, ...] = ()) -> str:
    labels = data("labels")[where]
    alts = sorted({p for lang in labels.values() for p in lang} | set(extra), key=len, reverse=True)
    return "|".join("(?:" + p.replace(" ", r"\s+") + ")" for p in alts)


# Site labels (data/labels.json, plus a profile's own): before the headline with a separator,
# or in capitals ("LIVE Ukraine..."), after it behind a separator; relative times as they come.
@lru_cache(maxsize=64)
def _label_res(extra: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    lead, trail = _label_patterns("lead", extra), _label_patterns("trail", extra)
    return (
        re.compile(rf"^\s*(?P<label>{lead})\s*(?:[:|•–—]+|\s-|-\s)\s*(?=\S)", re.IGNORECASE),
        re.compile(rf"^\s*(?P<label>{lead})\s+(?=\S)", re.IGNORECASE),
        re.compile(rf"(?:\s*[|•–—-]\s*|\s+)(?P<label>{trail})\s*[.!…]*\s*$", re.IGNORECASE),
    )


def strip_labels(text: str, extra: tuple[str, ...] = ()) -> tuple[str, tuple[str, ...]]:
    """Remove site labels (`Opinion:`, `WATCH`, `Z+`, `1 hour ago`...; `extra`: a site's own);
    returns what was removed."""
    lead_re, caps_re, trail_re = _label_res(extra)
    removed: list[str] = []
    while True:
        m = lead_re.match(text)
        if m is None:
            m = caps_re.match(text)
            if m is not None and not (m["label"].isupper() and len(m["label"]) > 1):
                m = None
        if m is None:  # only the line's end is searched: linear on any line
            m = trail_re.search(text, max(0, len(text) - TAIL_CHARS))
            if m is not None and m.start() == 0:
                m = None
        if m is None or len(text) - len(m.group()) < 3:
            return text, tuple(removed)
        removed.append(" ".join(m["label"].split()))
        text = (text[: m.start()] + text[m.end() :]).strip()


# What a leading "X:" must look like to be a speaker rather than part of the headline.
_SPEAKER_WORDS = frozenset(
    "minister ministry ministers police army military spokesperson spokesman spokeswoman "
    "correspondent correspondents reporter reporters source sources official officials "
    "president pm government agency media ceo chief envoy embassy council committee court "
    "prosecutor prosecutors forces defense defence commander leader mayor governor secretary "
    "authorities authority witness witnesses sheikh king queen prince pope aide aides "
    "channel tv radio newspaper news agency wire network broadcaster correspondence "
    "ministry's army's police's party spokespeople union federation "
    "ministerium polizei armee sprecher sprecherin korrespondent quelle regierung präsident "
    "kanzler behörde behörden ministre ministère armée porte parole correspondant "
    "gouvernement président autorités ministro ministerio policía ejército portavoz "
    "corresponsal fuente fuentes gobierno presidente autoridades".split()
)


def looks_like_speaker(head: str) -> bool:
    """A person, an organisation, a reporter: one or two words starting with a capital (a
    name), a speaker's title or body (minister, police, channel...), or Arabic (today's rule).
    Otherwise a leading "X:" is part of the headline ("Parasols and prayers: ...", "Fire in
    Lyon: ..."); capitals alone say nothing (German writes every noun with one)."""
    if not head.isascii() and _ARABIC_SCRIPT.search(head):
        return True
    words = head.split()
    if not words or words[0][:1].isdigit():  # "...: 36 Verletzte" is a figure, not a source
        return False
    if len(words) <= 2 and any(w[:1].isupper() for w in words):
        return True
    return any(w in _SPEAKER_WORDS or w.endswith(_COMPOUND_ENDS)
               for w in _WORD.findall(head.casefold()))


# German (and Dutch...) speakers are compounds: Regierungssprecher, Innenministerium.
_COMPOUND_ENDS = ("sprecher", "sprecherin", "ministerium", "minister", "polizei", "behörde",
                  "regierung", "korrespondent")


_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")
_WORD = re.compile(r"\w+")
