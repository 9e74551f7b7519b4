"""Cleaning one ticker line: display text, attribution split, and the matching form.

The display text keeps wording, case and punctuation; only encoding damage, invisible characters
and whitespace are repaired. The matching form (`Flash.key`) is never shown: case-folded, quotes,
dashes and punctuation dropped, ticker decorations removed, Arabic variants folded, number words
turned into digits.
"""

from __future__ import annotations

import re
import unicodedata

from streamer.core.caches import byte_lru, text_bytes
from streamer.core.labels import looks_like_speaker, strip_labels
from streamer.core.model import DEFAULT_LEXICON, Flash, Lexicon
from streamer.core.words import detect

# Control, format (bidi marks, zero-width) and private-use characters never belong in a flash.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Co", "Cs"}
# Kept although invisible: whitespace, and the zero-width (non-)joiner of Persian, Urdu and
# Indic spelling (they are folded out of the matching form).
_KEEP = frozenset(" \t\n\u200c\u200d")
_WS = re.compile(r"\s+")
_MOJIBAKE_HINT = re.compile("[\u00c2-\u00f4]")


def _sloppy_cp1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


# UTF-8 read as cp1252: a lead byte shown as Â..ô, then continuation bytes shown as cp1252.
_TO_BYTE = {_sloppy_cp1252(b): b for b in range(0x80, 0x100)}
_CONT = "".join(re.escape(_sloppy_cp1252(b)) for b in range(0x80, 0xC0))
_MOJIBAKE_RUN = re.compile(f"[\u00c2-\u00f4][{_CONT}]{{1,3}}")


# "Â" left where a mangled NBSP was turned into a plain space on the way.
_LONE_NBSP_MOJIBAKE = re.compile(r"(?<=\S)\u00c2(?= )")


def _unmangle(match: re.Match[str]) -> str:
    try:
        return bytes(_TO_BYTE[c] for c in match.group()).decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return match.group()


def _ar(word: str) -> str:
    """An Arabic word as a pattern that tolerates diacritics and tatweel between its letters."""
    return "[\u064b-\u065f\u0670\u0640]*".join(word)


# Ticker decorations: leading labels, trailing labels, bracketed media tags.
_LEAD_DECOR = re.compile(
    r"^\s*(?:breaking(?:\s+news)?|urgent|just\s+in|flash|exclusive|developing|update[d]?|alert"
    rf"|{_ar('عاجل')}|{_ar('خبر')}\s+{_ar('عاجل')}|{_ar('مباشر')})"
    r"[\u064b-\u065f\u0640]*\s*(?:[:|\-–—]+|(?=\s))\s*",
    re.IGNORECASE,
)
_TRAIL_DECOR = re.compile(
    r"\s*(?:[|\-–—]+\s*)(?:developing(?:\s+story)?|live(?:\s+updates?)?|breaking|updated?|"
    rf"more\s+to\s+follow|watch|{_ar('مباشر')}|{_ar('متجدد')}|{_ar('تحديث')})"
    r"[\u064b-\u065f\u0640]*\s*[.!…]*\s*$",
    re.IGNORECASE,
)
# The clock time a site puts before a flash (`10:12 ...`, `3:30pm | ...`): when, not what.
_LEAD_CLOCK = re.compile(r"^\s*+\d{1,2}:\d{2}(?:\s*+[ap]\.?m\.?)?(?:\s*+[|•·–—-])?\s++(?=\S)",
                         re.IGNORECASE)
_MEDIA_TAG = re.compile(
    r"[(\[]\s*(?:video|videos|photos?|pictures|watch|live|updated?|map|graphic"
    rf"|{_ar('فيديو')}|{_ar('صور')}|{_ar('شاهد')}|{_ar('مباشر')})[\u064b-\u065f\u0640]*\s*[)\]]\s*",
    re.IGNORECASE,
)
_SPACE_BEFORE_PUNCT = re.compile(r"(?<!\s)\s++([.,;:!?])(?=\s|$)")  # (starts a run only once)

# Attribution: "Speaker: body", "body: Source", "body, X says".
_SEP = re.compile(r"\s*:\s+")
_SAYS = re.compile(
    r"^(?P<body>.+?),\s+(?P<who>[^,]{2,80}?)\s+(?:says|said|reports|claims|warns?|confirms|"
    r"insists|admits)[.…]*$",
    re.IGNORECASE
)
MAX_SPEAKER_WORDS = 16
MAX_TRAILING_SOURCE_WORDS = 10

_QUOTES = str.maketrans(dict.fromkeys("‘’‚‛′`´ʼʻ", "'") | dict.fromkeys("“”„‟″«»", '"'))
_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ة": "ه",
        "ک": "ك",
        "ی": "ي",
    }
)
_ARABIC_ARTICLE = re.compile(r"(?<!\S)(?:و?ال|لل)(?=\w{3,})")
# Every script's decimal digits (Arabic-Indic, Persian, Devanagari, Bengali, Thai...) as ASCII.
_DIGITS = {code: str(unicodedata.decimal(chr(code))) for lo, hi in ((0x0660, 0x1C5A),
           (0xA620, 0xABFA)) for code in range(lo, hi)
           if unicodedata.category(chr(code)) == "Nd"}
# Superscript and subscript digits are an exponent (`10³` is not `103`, which NFKC would make
# of it); a minus sign before a number is kept (`-5` is not `5`).
_SUPERSCRIPTS = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉]+")
_TO_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉", "01234567890123456789")
_MINUS = re.compile(r"(?<![\w.,])[-\u2212](?=\d)")
_POWER = re.compile(r"\^(?=\d)")  # `10³` and `10^3` are `10pow3`: one figure, not 10 and 3
_NUMBER_WORDS = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "seventy": "70",
    "eighty": "80",
    "ninety": "90",
    "hundred": "100",
    "dozens": "24",
    "dozen": "12",
}
# Thousands separators and decimal points inside numbers survive punctuation removal as digits.
_NUM_SEP = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")
_NON_WORD = re.compile(r"[^\w\s]+|_")
# English negative contractions spelt out, so "won't" and "will not" are the same words.
_CONTRACTION = re.compile(r"\b(\w+)n't\b")
_IRREGULAR = {"wo": "will", "ca": "can", "sha": "shall", "ai": "is"}


def _expand(m: re.Match[str]) -> str:
    return f"{_IRREGULAR.get(m.group(1), m.group(1))} not"


_POSSESSIVE = re.compile(r"'s\b|s'(?=\s|$)")


class _Invisible(dict[int, int | None]):
    """A `str.translate` table that drops invisible characters (see _INVISIBLE_CATEGORIES):
    each character's category is looked up once, then the table answers in C."""

    def __missing__(self, code: int) -> int | None:
        if len(self) >= 1 << 16:  # bounded, whatever a hostile page holds
            self.clear()
        ch = chr(code)
        keep = ch in _KEEP or unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
        self[code] = value = code if keep else None
        return value


_DROP_INVISIBLE = _Invisible()
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def repair(raw: str) -> str:
    """Display text: mojibake fixed, NFC, invisible characters dropped, whitespace collapsed."""
    text = raw
    if not text.isascii():
        if _MOJIBAKE_HINT.search(text):
            # ftfy knows the common cases; some (Turkish ğ as "ÄŸ") it leaves, the fallback doesn't.
            # (Imported here, on the first line that looks mangled: most runs never need it.)
            import ftfy

            text = ftfy.fix_text(text, uncurl_quotes=False, normalization="NFC")
            text = _MOJIBAKE_RUN.sub(_unmangle, text)
            text = _LONE_NBSP_MOJIBAKE.sub("", text)
        text = unicodedata.normalize("NFC", text).translate(_DROP_INVISIBLE)
    elif _ASCII_CONTROL.search(text):
        text = _ASCII_CONTROL.sub("", text)
    return _WS.sub(" ", text).strip()


# Linear on any line: the trailing labels are looked for in the line's last characters only (a
# search for a pattern anchored at the end tries every start, and each try would read a run of a
# thousand dashes to its end), trailing dots go with one rstrip, and a line is stripped in a few
# passes at most (real lines stack two or three labels, not hundreds).
_TAIL_CHARS = 80
MAX_DECORATION_PASSES = 8


def _strip_tail(pattern: re.Pattern[str], text: str) -> str:
    cut = max(0, len(text) - _TAIL_CHARS)
    return text[:cut] + pattern.sub("", text[cut:], count=1)


def _strip_trailing_dots(text: str) -> str:
    """`x ...` / `x…` lose their dots; a single full stop (`U.S.`) stays."""
    kept = text.rstrip(" \t.…")
    tail = text[len(kept) :]
    return kept if "…" in tail or ".." in tail else text


def strip_decorations(text: str) -> str:
    """Remove ticker labels such as `BREAKING:`, `URGENT |`, `(video)`, `- developing`."""
    for _ in range(MAX_DECORATION_PASSES):
        prev = text
        text = _MEDIA_TAG.sub(" ", text).strip()
        text = _LEAD_DECOR.sub("", _LEAD_CLOCK.sub("", text, count=1), count=1)
        text = _strip_tail(_TRAIL_DECOR, text).strip()
        text = _strip_trailing_dots(text)
        if text == prev:
            break
    return _SPACE_BEFORE_PUNCT.sub(r"\1", text)


def split_attribution(text: str) -> tuple[str, str | None]:
    """Split `Speaker: body`, `body: Source` or `body, X says` into (body, attribution)."""
    parts = _SEP.split(text)
    if len(parts) >= 2:
        head, tail = parts[0], parts[-1]
        lead_words, tail_words = len(head.split()), len(tail.split())
        if len(parts) == 2 and looks_like_speaker(tail) and (
            (tail_words <= 3 and lead_words >= 2 * tail_words)
            or (tail_words <= MAX_TRAILING_SOURCE_WORDS and lead_words > 12)
        ):
            return text[: len(text) - len(tail)].rstrip(" :"), tail.rstrip(" .")
        rest_after_head = text[len(head) :].lstrip(" :")
        if lead_words <= MAX_SPEAKER_WORDS and rest_after_head and looks_like_speaker(head):
            return rest_after_head, head
    says = _SAYS.match(text)
    if says and len(says["who"].split()) <= 6:
        return says["body"], says["who"]
    return text, None


@byte_lru(8 * 1024 * 1024, text_bytes)
def fold(text: str) -> str:
    """The matching form of a piece of text: see the module docstring."""
    if not text.isascii():
        text = _SUPERSCRIPTS.sub(lambda m: "^" + m.group().translate(_TO_DIGITS), text)
    text = unicodedata.normalize("NFKC", text).casefold().translate(_QUOTES).translate(_DIGITS)
    text = _POWER.sub("pow", _MINUS.sub("minus", text))
    if not text.isascii():
        text = _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC_LETTERS)
        text = _ARABIC_ARTICLE.sub("", text)
    if "'" in text:
        text = _CONTRACTION.sub(_expand, text)
    text = _POSSESSIVE.sub("", text).replace("\u200c", "").replace("\u200d", "")
    text = _NUM_SEP.sub("", text)
    text = _NON_WORD.sub(" ", text)
    words = [_NUMBER_WORDS.get(w, w) for w in text.split()]
    return " ".join(words)


def clean_line(raw: str, lexicon: Lexicon = DEFAULT_LEXICON) -> Flash:
    """Everything the matcher needs about one ticker line (`lexicon`: the site's own words)."""
    text = repair(raw)
    undecorated, labels = strip_labels(strip_decorations(text), lexicon.labels)
    if labels:
        undecorated = strip_decorations(undecorated)
    body, attribution = split_attribution(undecorated)
    key = fold(body)
    tokens = tuple(key.split())
    return Flash(
        text=text,
        body=body,
        attribution=attribution,
        key=key,
        tokens=tokens,
        attribution_key=fold(attribution) if attribution else "",
        attribution_names=names(attribution) if attribution else frozenset(),
        lang=lexicon.language or detect(text, tokens),
        labels=labels,
        synonyms=lexicon.synonyms,
    )


_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*")


def names(text: str) -> frozenset[str]:
    """Folded words written with a capital letter: the people and places an attribution names."""
    return frozenset(w for m in _CAPITALISED.finditer(text) for w in fold(m.group()).split())
