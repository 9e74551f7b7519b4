"""Find the BREAKING ticker in a page and return its raw lines, top (newest) first.

Per-site rules live in a `Profile`; profiles are read from JSON (bundled default in
`streamer/profiles/default.json`, or a user file). HTML is first turned into text lines, one per
block element, with a blank line where a container closes, so one rule serves both.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

from streamer.model import Snapshot


@dataclass(frozen=True, slots=True)
class Profile:
    """How one site shows its ticker."""

    name: str = "default"
    marker: str = r"(?i)^\s*(?:breaking(?:\s+news)?|urgent|news\s+flash)\s*:?\s*$"
    max_lines: int = 30
    min_chars: int = 8
    skip: tuple[str, ...] = ()  # regexes of lines inside the block that are not flashes

    def compiled(self) -> tuple[re.Pattern[str], tuple[re.Pattern[str], ...]]:
        return re.compile(self.marker), tuple(re.compile(p) for p in self.skip)


class Profiles:
    """Profiles by source (host); a source without its own gets the default."""

    def __init__(self, default: Profile, by_source: dict[str, Profile]) -> None:
        self.default = default
        self.by_source = by_source
        self._compiled: dict[str, tuple[re.Pattern[str], tuple[re.Pattern[str], ...]]] = {}

    @classmethod
    def load(cls, path: Path | None = None) -> Profiles:
        if path is None:
            text = resources.files("streamer").joinpath("profiles/default.json").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        raw = json.loads(text)
        default = _profile("default", raw.get("default", {}))
        sites = {
            src: _profile(src, {**raw.get("default", {}), **conf})
            for src, conf in raw.get("sites", {}).items()
        }
        return cls(default, sites)

    def for_source(self, source: str) -> Profile:
        profile = self.by_source.get(source)
        if profile is None and source.startswith("www."):
            profile = self.by_source.get(source[4:])
        return profile or self.default

    def rules(self, source: str) -> tuple[Profile, re.Pattern[str], tuple[re.Pattern[str], ...]]:
        profile = self.for_source(source)
        if profile.name not in self._compiled:
            self._compiled[profile.name] = profile.compiled()
        return (profile, *self._compiled[profile.name])


def _profile(name: str, conf: dict[str, object]) -> Profile:
    known = {k: v for k, v in conf.items() if k in Profile.__dataclass_fields__}
    if "skip" in known:
        known["skip"] = tuple(known["skip"])  # type: ignore[arg-type]
    return Profile(name=name, **known)  # type: ignore[arg-type]


def ticker_lines(snapshot: Snapshot, profiles: Profiles) -> list[str] | None:
    """The ticker's lines, top first; None when the page has no ticker."""
    profile, marker, skips = profiles.rules(snapshot.source)
    content = snapshot.content
    if snapshot.content_type == "text/html":
        return _html_ticker(content, profile, marker, skips)
    lines = content.splitlines()
    for i, line in enumerate(lines):
        if len(line) < 40 and marker.match(line):
            block, _ = _block(lines, i + 1, profile, skips)
            if block:
                return block
    return None


# A text node short enough to be the marker; parsing starts there instead of at the page top.
_TEXT_NODE = re.compile(r">([^<>]{1,40})<")
HTML_WINDOWS = (8 * 1024, 64 * 1024, 512 * 1024)  # markup after the marker, grown as needed


def _html_ticker(
    html: str, profile: Profile, marker: re.Pattern[str], skips: tuple[re.Pattern[str], ...]
) -> list[str] | None:
    for node in _TEXT_NODE.finditer(html):
        if not marker.match(unescape(node.group(1)).strip()):
            continue
        start = node.start() + 1
        for window in HTML_WINDOWS:
            lines = html_to_lines(html[start : start + window])
            block, complete = _block(lines, 1, profile, skips)
            if complete or start + window >= len(html):
                break
        if block:
            return block
    return None


def _block(
    lines: list[str], start: int, profile: Profile, skips: tuple[re.Pattern[str], ...]
) -> tuple[list[str], bool]:
    """The flashes after the marker, and whether the block visibly ended (blank line or cap)."""
    out: list[str] = []
    for line in lines[start:]:
        if not line.strip():
            return out, True
        stripped = line.strip(" \t\r\n")  # keep a trailing NBSP: it may be half of mojibake
        if any(p.search(stripped) for p in skips):
            continue
        if len(stripped) >= profile.min_chars:
            out.append(stripped)
        if len(out) >= profile.max_lines:
            return out, True
    return out, False


_BLOCK = frozenset(
    [
        "p",
        "div",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "td",
        "th",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "figcaption",
        "caption",
        "ul",
        "ol",
        "dl",
        "nav",
        "header",
        "footer",
        "article",
        "aside",
        "main",
        "section",
        "table",
        "form",
        "hr",
        "br",
        "title",
    ]
)
_CONTAINER = frozenset(
    [
        "ul",
        "ol",
        "dl",
        "nav",
        "header",
        "footer",
        "article",
        "aside",
        "main",
        "section",
        "table",
        "div",
    ]
)
_SKIP = frozenset(["script", "style", "noscript", "template", "svg", "head"])


_ASCII_WS = re.compile(r"[ \t\r\n\f\v]+")
_END = "\n\x00\n"  # marks a closed container: becomes the blank line that ends a block


class _TextLines(HTMLParser):
    """HTML to text lines: a newline at every block edge, a blank line when a container ends."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _CONTAINER:
            self.parts.append(_END)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data.replace("\n", " "))


def html_to_lines(html: str) -> list[str]:
    parser = _TextLines()
    parser.feed(html)
    parser.close()
    out: list[str] = []
    for raw in "".join(parser.parts).split("\n"):
        line = _ASCII_WS.sub(" ", raw).strip(" ")  # NBSPs stay for the cleaner (mojibake)
        if line == "\x00":
            if out and out[-1]:
                out.append("")
        elif line:
            out.append(line)
    return out
