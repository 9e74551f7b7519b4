"""A ticker found by CSS selectors (selectolax's Lexbor parser) rather than by a marker line:
for sites whose ticker is a list, a marquee of nested spans or JSON in a `<script>`.

A profile names the `container` (the ticker), the `items` inside it (one flash each), the
elements to `drop` inside an item (time stamps, LIVE badges), or, for a container holding JSON,
`json_items`: a dotted path to the flashes' texts, `*` for every element of a list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

_WS = re.compile(r"\s+")


def check_selectors(profile: str, container: str | None, items: str | None, drop: tuple[str, ...],
                    json_items: str | None) -> None:
    """Raise ValueError, naming the profile, for settings that do not go together or a selector
    Lexbor cannot parse: at profile load, not per page."""
    if container is None:
        if items or drop or json_items:
            raise ValueError(f"profile {profile!r}: items, drop and json_items need a container")
        return
    if (items is None) == (json_items is None):
        raise ValueError(f"profile {profile!r}: a container needs items or json_items (one)")
    for what, selector in [("container", container), ("items", items),
                           *(("drop", d) for d in drop)]:
        if selector is None:
            continue
        try:
            LexborHTMLParser("<p></p>").css(selector)
        except SelectolaxError as exc:
            raise ValueError(f"profile {profile!r}: {what} {selector!r} is not a CSS selector "
                             "Lexbor can parse") from exc


def has_container(html: str, container: str) -> bool:
    """Whether the page has the ticker's container at all (for telling why nothing was found)."""
    return LexborHTMLParser(html).css_first(container) is not None


def selected_lines(html: str, container: str, items: str | None, drop: tuple[str, ...],
                   json_items: str | None) -> list[str] | None:
    """The texts of the ticker's items, top first; None when no container is on the page."""
    tree = LexborHTMLParser(html)
    boxes = tree.css(container)
    if not boxes:
        return None
    out: list[str] = []
    for box in boxes:
        if json_items is not None:
            out += _json_texts(box.text(deep=True), json_items)
            continue
        for item in box.css(items) if items else [box]:
            for unwanted in item.css(", ".join(drop)) if drop else ():
                unwanted.decompose()
            out += _item_texts(item, whole=items is not None)
    return out


def _item_texts(node: LexborNode, *, whole: bool) -> list[str]:
    """An item is one line, however its spans nest; a container without `items` is read as
    one line per text block, separated by newlines the markup gives."""
    text = node.text(deep=True, separator=" " if whole else "\n")
    if whole:
        return [_WS.sub(" ", text).strip()]
    return [_WS.sub(" ", line).strip() for line in text.split("\n")]


def _json_texts(text: str, path: str) -> list[str]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    return [_WS.sub(" ", v).strip() for v in _walk(data, path.split(".")) if isinstance(v, str)]


def _walk(value: Any, steps: list[str]) -> Iterator[Any]:
    if not steps:
        yield value
        return
    step, rest = steps[0], steps[1:]
    if step == "*":
        children = value if isinstance(value, list) else (
            list(value.values()) if isinstance(value, dict) else [])
        for child in children:
            yield from _walk(child, rest)
    elif isinstance(value, dict) and step in value:
        yield from _walk(value[step], rest)
    elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
        yield from _walk(value[int(step)], rest)
