"""Editorial variants: rewrites of a ticker line that keep it the same flash.

Each transform takes the line and a seeded `random.Random` and returns the rewritten line (or the
line unchanged when it does not apply). Names are the labels the evaluation breaks results down by.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

Transform = Callable[[str, random.Random], str]

DECORATIONS = ("BREAKING: {}", "URGENT | {}", "{} (video)", "{} | Live updates", "{} - developing")
AR_DECORATIONS = ("عاجل | {}", "{} (فيديو)", "عاجل: {}")
HARAKAT = "\u064e\u064f\u0650\u0651\u0652\u064b\u064c\u064d"
TATWEEL = "\u0640"
NBSP = "\u00a0"
ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")


def whitespace(text: str, rng: random.Random) -> str:
    """Doubled spaces, a space before the colon, padding at the ends."""
    choice = rng.randrange(3)
    if choice == 0 and " " in text:
        i = rng.choice([m.start() for m in re.finditer(" ", text)])
        return text[:i] + "  " + text[i + 1:]
    if choice == 1 and ": " in text:
        return text.replace(": ", " : ", 1)
    return " " + text + "  "


def nbsp(text: str, rng: random.Random) -> str:
    """Some or all spaces become non-breaking spaces."""
    if rng.random() < 0.5:
        return text.replace(" ", NBSP)
    return "".join(NBSP if c == " " and rng.random() < 0.4 else c for c in text)


def punctuation(text: str, rng: random.Random) -> str:
    """A trailing full stop added or dropped, commas dropped, an ellipsis."""
    choice = rng.randrange(3)
    if choice == 0 and "," in text and not text.rstrip().endswith(" says"):
        return text.replace(",", "", 1)
    if choice == 1:
        return text + "..."
    return text[:-1] if text.endswith(".") else text + "."


def quotes(text: str, rng: random.Random) -> str:
    """Straight and curly quotes swapped."""
    if "'" in text or '"' in text:
        out = text.replace("'", "\u2019")
        return re.sub(r'"([^"]*)"', "\u201c\\1\u201d", out)
    return text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')


def case(text: str, rng: random.Random) -> str:
    """All capitals, title case, or the first letter lowered."""
    choice = rng.randrange(3)
    if choice == 0:
        return text.upper()
    if choice == 1:
        return " ".join(w[:1].upper() + w[1:] for w in text.split(" "))
    return text[:1].lower() + text[1:]


def decoration(text: str, rng: random.Random) -> str:
    """Ticker furniture: BREAKING:, URGENT |, (video), | Live updates, - developing."""
    pool = AR_DECORATIONS if ARABIC_LETTER.search(text) else DECORATIONS
    return rng.choice(pool).format(text)


def diacritics(text: str, rng: random.Random) -> str:
    """Arabic short vowels (harakat) sprinkled on letters."""
    return "".join(c + rng.choice(HARAKAT) if ARABIC_LETTER.match(c) and rng.random() < 0.3
                   else c for c in text)


def tatweel(text: str, rng: random.Random) -> str:
    """Arabic kashida stretching inside words."""
    out = []
    for i, c in enumerate(text):
        out.append(c)
        nxt = text[i + 1] if i + 1 < len(text) else " "
        if c in "بتثجحخسشصضطظعغفقكلمنهي" and ARABIC_LETTER.match(nxt) and rng.random() < 0.25:
            out.append(TATWEEL * rng.randint(1, 2))
    return "".join(out)


def letters(text: str, rng: random.Random) -> str:
    """Arabic spelling variants: hamza-less alef, final yeh/alef maksura, teh marbuta as heh."""
    out = re.sub("[أإآ]", "ا", text)
    out = re.sub("ى\\b", "ي", out) if "ى" in out else re.sub("ي\\b", "ى", out)
    return re.sub("ة\\b", "ه", out) if rng.random() < 0.5 else out


def typo(text: str, rng: random.Random) -> str:
    """One slip in a word of five or more letters: two letters swapped or one dropped."""
    words = list(re.finditer(r"[^\W\d_]{5,}", text))
    if not words:
        return text
    m = rng.choice(words)
    w = m.group()
    i = rng.randrange(1, len(w) - 2)
    slip = w[:i] + w[i + 1] + w[i] + w[i + 2:] if rng.random() < 0.5 else w[:i] + w[i + 1:]
    return text[:m.start()] + slip + text[m.end():]


def mojibake(text: str) -> str:
    """UTF-8 bytes read as Windows-1252 (bytes it leaves undefined kept as Latin-1)."""
    out = []
    for b in text.encode("utf-8"):
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out)


def labelled(lang: str) -> Transform:
    """A site label put in front of or behind the line (Live:, Analyse:, Z+, 1 hour ago...)."""
    from bench.corpus_intl import LABELS

    def add(text: str, rng: random.Random) -> str:
        return rng.choice(LABELS[lang]).format(text)

    return add


def alternate(lang: str) -> Transform:
    """One word written another way: inflected, compound or hyphenated, a listed synonym."""
    from bench.corpus_intl import ALTERNATES

    table = ALTERNATES[lang]

    def swap(text: str, rng: random.Random) -> str:
        found = [w for w in table if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text)]
        if not found:
            return text
        w = rng.choice(sorted(found))
        return re.sub(rf"(?<!\w){re.escape(w)}(?!\w)", table[w], text, count=1)

    return swap


EN_EDITS: dict[str, Transform] = {
    "whitespace": whitespace, "nbsp": nbsp, "punctuation": punctuation, "quotes": quotes,
    "case": case, "decoration": decoration, "label_en": labelled("en"),
    "alternate_en": alternate("en"),
}
INTL_EDITS: dict[str, dict[str, Transform]] = {
    lang: {"whitespace": whitespace, "nbsp": nbsp, "punctuation": punctuation, "quotes": quotes,
           "case": case, f"label_{lang}": labelled(lang), f"alternate_{lang}": alternate(lang)}
    for lang in ("de", "fr", "es")
}
AR_EDITS: dict[str, Transform] = {
    "whitespace": whitespace, "nbsp": nbsp, "punctuation": punctuation, "decoration": decoration,
    "diacritics": diacritics, "tatweel": tatweel, "letters": letters,
}


ALL: dict[str, Transform] = {**EN_EDITS, **AR_EDITS, "typo": typo,
                             **{k: v for t in INTL_EDITS.values() for k, v in t.items()}}


def apply(name: str, text: str, seed: int) -> str:
    """Apply the named transform with its own seed (so a re-render gives the same text)."""
    return ALL[name](text, random.Random(seed))
