"""HTML to text lines: one line per block element, a blank line where a container closes.

A ticker is a run of lines ended by a blank one (`extract`), so one rule serves HTML and text
pages. Linear on any input (tests/unit/test_linear_time.py): a single C-level scan of tags,
comments, declarations and text, no backtracking.
"""

from __future__ import annotations

import re
from html import unescape

_BLOCK = frozenset(
    "p div li h1 h2 h3 h4 h5 h6 tr td th dt dd blockquote pre figcaption caption ul ol dl nav "
    "header footer article aside main section table form hr br title".split()
)
_CONTAINER = frozenset("ul ol dl nav header footer article aside main section table div".split())
_SKIP = frozenset("script style noscript template svg head".split())

_INLINE_WS = re.compile(r"[ \t\r\f\v]+")
_END = "\n\x00\n"  # marks a closed container: becomes the blank line that ends a block
# One scan, in C, over tags, comments, doctypes and text; a stray "<" is text. Linear on any
# input: a tag ends at the first ">" and holds no "<" (a "<" starts the next token), so no "<"
# is ever read past again, and the possessive quantifiers never re-split a run of characters.
_TAG_BODY = r"<(/?)([a-zA-Z][\w:-]*+)[^<>]*+>"
_TOKEN = re.compile(rf"{_TAG_BODY}|<!--.*?(?:-->|$)|<[!?][^<>]*+>|([^<]+|<)", re.S)


# A closing container always ends a ticker block (see `_text_parts`), so the markup after the
# first one is never needed; cut there, the window is the ticker alone and repeats byte for byte
# across fetches (the parse cache hits) however the rest of the page changes. Not when a comment,
# declaration or skipped element might hide that tag from the parser: then the whole window.
_CLOSE = re.compile(r"</(?:" + "|".join(sorted(_CONTAINER)) + r")(?![\w:-])[^<>]*+>", re.I)
_HIDING = re.compile(r"<[!?]|<(?:" + "|".join(sorted(_SKIP)) + r")(?![\w:-])", re.I)


# Ticker items written as elements one after another, which the block rules alone would merge or
# cut short: links in a row (`<a>one</a> | <a>two</a>`, also inside a <marquee>) each start a
# line, the separators between them dropped; and a container (or a <span> with attributes)
# followed at once by a twin, the same element with the same class (`<div class="slide"
# data-index="3">`, or both without one), is an item: its end is a line's end, not the
# ticker's. One regex pass each, linear: each run is read once (possessive), an item's content
# stops at the first tag of its own name, and the twin's opening tag is only looked at.
_LINK_RUN = re.compile(r"</a\s*+>[\s|•·∙◦–—/\\-]*+(?=<a[\s>])", re.I)


def _then_twin(tags: frozenset[str]) -> re.Pattern[str]:
    return re.compile(
        r"<(?P<tag>" + "|".join(sorted(tags)) + r")(?![\w:-])(?P<attrs>[^<>]*+)>"
        r"(?P<body>(?:[^<]++|<(?!/?(?P=tag)(?![\w:-])))*+)</(?P=tag)\s*+>\s*+"
        r"(?=<(?P=tag)(?![\w:-])(?P<next>[^<>]*+)>)",
        re.I,
    )


_CONTAINER_THEN_TWIN, _SPAN_THEN_TWIN = _then_twin(_CONTAINER), _then_twin(frozenset({"span"}))
_CLASS = re.compile(r"""(?<![\w-])class\s*+=\s*+(?:"([^"]*+)"|'([^']*+)'|([^\s"'>]++))""", re.I)
_NAME = r"[a-zA-Z][\w:-]*+"
_OPENING, _CLOSING = re.compile(rf"\s*+<({_NAME})"), re.compile(rf"</({_NAME})")


def _class(attrs: str) -> str | None:
    m = _CLASS.search(attrs)
    return None if m is None else " ".join((m[1] or m[2] or m[3] or "").split())


def _twin(m: re.Match[str]) -> str:
    """The item with its end made a line break, if the element after it is its twin."""
    if (m["tag"].lower() == "span" and not m["attrs"].strip()) or (
            _class(m["attrs"]) != _class(m["next"])):
        return m.group()
    return f"<{m['tag']}{m['attrs']}>{m['body']}<br>"


def ticker_window(markup: str) -> str:
    """The markup after a marker, cut at the ticker's end: the first container that closes,
    unless a twin follows it (then twin items first become lines). The cut is what repeats
    byte for byte across fetches: `window_lines` of it is cached by the caller."""
    close = _CLOSE.search(markup)
    if close is None:
        return markup
    after = _OPENING.match(markup, close.end())
    name = _CLOSING.match(markup, close.start())
    if after is not None and name is not None and after[1].lower() == name[1].lower():
        markup = _CONTAINER_THEN_TWIN.sub(_twin, markup)
        close = _CLOSE.search(markup)
        if close is None:
            return markup
    if _HIDING.search(markup, 0, close.end()):
        return markup
    return markup[: close.end()]


def window_lines(window: str) -> list[str]:
    """A ticker window's lines: `html_to_lines` once links in a row and span twins are split."""
    if "</a" in window or "</A" in window:
        window = _LINK_RUN.sub("</a><br>", window)
    if "<span" in window or "<SPAN" in window:
        window = _SPAN_THEN_TWIN.sub(_twin, window)
    return html_to_lines(window)


def _text_parts(html: str) -> list[str]:
    """HTML to text with a newline at every block edge and `_END` where a container closes."""
    parts: list[str] = []
    skipping: str | None = None  # inside <script>, <style>...: wait for its end tag
    for m in _TOKEN.finditer(html):
        closing, tag, data = m.group(1), m.group(2), m.group(3)
        if skipping is not None:
            if tag is not None and closing and tag.lower() == skipping:
                skipping = None
            continue
        if data is not None:
            parts.append(unescape(data).replace("\n", " "))
        elif tag is not None:
            tag = tag.lower()
            if tag in _SKIP:
                if not closing and not m.group().endswith("/>"):
                    skipping = tag
            elif closing and tag in _CONTAINER:
                parts.append(_END)
            elif tag in _BLOCK:
                parts.append("\n")
    return parts


_TAG = re.compile(_TAG_BODY)
_EDGE = "\x01"  # stands for a block edge until entities are decoded (no entity decodes to it)


def _tag_edge(m: re.Match[str]) -> str:
    tag = m.group(2).lower()
    if m.group(1) and tag in _CONTAINER:
        return _END.replace("\n", _EDGE)
    return _EDGE if tag in _BLOCK else ""


def _plain_text(html: str) -> str:
    """`_text_parts` joined, for markup without comments, declarations or skipped elements
    (the usual ticker): tags replaced in one C-level pass, entities decoded once."""
    text = unescape(_TAG.sub(_tag_edge, html))
    return text.replace("\n", " ").replace(_EDGE, "\n")


def html_to_lines(html: str) -> list[str]:
    out: list[str] = []
    # one pass over the whole text, not one per line; NBSPs stay for the cleaner (mojibake)
    plain = _EDGE not in html and _HIDING.search(html) is None
    text = _INLINE_WS.sub(" ", _plain_text(html) if plain else "".join(_text_parts(html)))
    for raw in text.split("\n"):
        line = raw.strip(" ")
        if line == "\x00":
            if out and out[-1]:
                out.append("")
        elif line:
            out.append(line)
    return out
