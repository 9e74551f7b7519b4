"""Find the BREAKING ticker in a page and return its raw lines, top (newest) first.

Per-site rules live in a `Profile`; profiles are read from JSON (bundled default in
`streamer/core/profiles/default.json`, or a user file). HTML is first turned into text lines, one
per block element, with a blank line where a container closes (`streamer.core.markup`), so one
rule serves both. A profile may instead name the ticker by CSS selectors
(`streamer.core.selectors`), for HTML pages; text pages still go by the marker.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from streamer.core.caches import byte_lru, text_bytes
from streamer.core.markup import ticker_window, window_lines
from streamer.core.model import DEFAULT_LEXICON, Lexicon, Snapshot


@dataclass(frozen=True, slots=True)
class Profile:
    """How one site shows its ticker: a marker line, then one flash per line."""

    name: str = "default"
    # the marker line's words, a regex: the usual ticker labels of English, German, French,
    # Spanish/Portuguese, Italian, Turkish, Russian, Arabic, Persian, Hebrew, Chinese, Japanese;
    # the lookahead names their first letters, a fast reject at every tag and line of a page
    marker: str = (r"(?=[BUJNEDAÚSСМخعفמ突快速])(?:BREAKING(?:\s++NEWS)?|URGENT|JUST\s++IN"
                   r"|NEWSFLASH|EILMELDUNG|DERNI[ÈE]RE\s++MINUTE|ALERTE\s++INFO|[ÚU]LTIMA\s++HORA"
                   r"|URGENTE|ULTIM['’]?+\s*+ORA|SON\s++DAK[İIi]KA|СРОЧНО|МОЛНИЯ|(?:خبر\s++)?عاجل"
                   r"|فور[يی]|מבזק|突发|快讯|速報)")
    ignore_case: bool = True
    max_lines: int = 30
    min_chars: int = 8
    skip: tuple[str, ...] = ()  # regexes of lines inside the block that are not flashes
    # CSS selectors (HTML pages): the ticker, its items, what to drop inside an item; or a path
    # to the texts in a container holding JSON (`items.*.headline`). No marker needed then.
    container: str | None = None
    items: str | None = None
    drop: tuple[str, ...] = ()
    json_items: str | None = None
    # Matching (see README "Matching"): the site's language (else detected per line), its own
    # labels (regexes, like data/labels.json) and synonym groups, besides the shipped lists.
    language: str = ""
    labels: tuple[str, ...] = ()
    synonyms: tuple[tuple[str, ...], ...] = ()

    def compiled(self) -> Rules:
        # Possessive quantifiers (`*+`): the spaces around the marker are read once, never
        # re-split between two patterns, so a marker and a megabyte of spaces stays linear.
        flags = re.IGNORECASE if self.ignore_case else 0
        # (a Markdown dump may make the marker a heading or stress it: "## Breaking", "**URGENT**")
        line = (rf"[ \t]*+(?:\#{{1,6}}[ \t]++)?[*_]{{0,2}}(?:{self.marker})[ \t]*+:?[*_]{{0,2}}"
                rf"[ \t]*+(?::[ \t]*+)?")
        return Rules(
            self,
            re.compile(rf"^{line}\r?$", flags | re.MULTILINE),
            re.compile(rf">\s*+(?:{self.marker})\s*+(?::\s*+)?<", flags),
            re.compile(line, flags),
            tuple(re.compile(p) for p in self.skip),
        )


@dataclass(frozen=True, slots=True)
class Rules:
    """A profile compiled: where the marker is in text, where in HTML, a line that is only the
    marker (never a flash), what to skip."""

    profile: Profile
    in_text: re.Pattern[str]
    in_html: re.Pattern[str]
    marker_line: re.Pattern[str]
    skips: tuple[re.Pattern[str], ...]


class Profiles:
    """Profiles by source (host); a source without its own gets the default."""

    def __init__(self, default: Profile, by_source: dict[str, Profile]) -> None:
        self.default = default
        self.by_source = by_source
        self._compiled: dict[str, Rules] = {}  # by profile name: as many as profiles, not sources
        self._lexicons: dict[str, Lexicon] = {}  # by profile name, too

    @classmethod
    def load(cls, path: Path | None = None) -> Profiles:
        if path is None:
            bundled = resources.files("streamer.core").joinpath("profiles/default.json")
            text = bundled.read_text("utf-8")
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

    def lexicon(self, source: str) -> Lexicon:
        """The site's own words for matching (language, labels, synonyms)."""
        profile = self.for_source(source)
        lexicon = self._lexicons.get(profile.name)
        if lexicon is None:
            lexicon = self._lexicons[profile.name] = _lexicon(profile)
        return lexicon

    def rules(self, source: str) -> Rules:
        profile = self.for_source(source)
        rules = self._compiled.get(profile.name)
        if rules is None:
            rules = self._compiled[profile.name] = profile.compiled()
        return rules


def _lexicon(profile: Profile) -> Lexicon:
    lexicon = Lexicon(profile.language, profile.labels, profile.synonyms)
    return DEFAULT_LEXICON if lexicon == DEFAULT_LEXICON else lexicon


def _profile(name: str, conf: dict[str, object]) -> Profile:
    unknown = set(conf) - set(Profile.__dataclass_fields__)
    if unknown:
        raise ValueError(f"profile {name!r}: unknown setting(s) {', '.join(sorted(unknown))}")
    known = dict(conf)
    for listed in ("skip", "drop", "labels"):
        if listed in known:
            known[listed] = tuple(known[listed])  # type: ignore[arg-type]
    if "synonyms" in known:
        known["synonyms"] = tuple(tuple(g) for g in known["synonyms"])  # type: ignore[attr-defined]
    profile = Profile(name=name, **known)  # type: ignore[arg-type]
    profile.compiled()  # a bad regex fails here, at load time, with the profile's name
    if profile.container or profile.items or profile.drop or profile.json_items:
        from streamer.core.selectors import check_selectors  # (selectolax: for these alone)

        check_selectors(name, profile.container, profile.items, profile.drop, profile.json_items)
    return profile


def ticker_lines(snapshot: Snapshot, profiles: Profiles) -> list[str] | None:
    """The ticker's lines, top first; None when the page has no ticker."""
    rules = profiles.rules(snapshot.source)
    content = snapshot.content
    if snapshot.content_type == "text/html":
        if rules.profile.container is not None:
            return _selected_ticker(content, rules)
        return _html_ticker(content, rules)
    for n, marker in enumerate(rules.in_text.finditer(content)):
        if n >= MAX_MARKERS:
            break
        # only the block is split into lines, not the whole page
        start = content.find("\n", marker.end()) + 1
        if start == 0:
            return None
        examined = 2 * rules.profile.max_lines  # skipped and short lines count too
        window = content[start : start + examined * MAX_LINE_CHARS].split("\n", examined)
        block, _ = _block(window, 0, rules)
        if block:
            return block
    return None


HTML_WINDOWS = (4 * 1024, 32 * 1024, 512 * 1024)  # markup after the marker, grown as needed
MAX_LINE_CHARS = 4000  # a longer "line" is not a flash: bounds the text read per marker
MAX_FLASH_CHARS = 1000  # a longer line is cut (marked …): events stay far below Kafka's 1 MB
MAX_MARKERS = 64  # marker lines tried per page before giving up (hostile pages)
MAX_HTML_PARSED = 2 * 1024 * 1024  # markup parsed per page at most, over all its markers
WINDOW_CACHE_BYTES = 32 * 1024 * 1024  # parsed windows kept (the key markup counts too)


def _html_ticker(html: str, rules: Rules) -> list[str] | None:
    budget = MAX_HTML_PARSED
    for n, marker in enumerate(rules.in_html.finditer(html)):
        if n >= MAX_MARKERS or budget <= 0:
            break
        start = marker.end() - 1  # (the "<" after the marker's text: the ticker follows it)
        for window in HTML_WINDOWS:
            markup = ticker_window(html[start : start + min(window, budget)])
            budget -= len(markup)
            lines = _window_lines(markup)
            block, complete = _block(lines, 0, rules)
            # grow the window only for a ticker that has begun and not visibly ended
            if complete or not block or start + window >= len(html):
                break
        if block:
            return block
    return None


def _selected_ticker(html: str, rules: Rules) -> list[str] | None:
    """The items the profile's selectors pick, through the same line rules as a marker block
    (skips, minimum length, cap); an empty item is passed over, it does not end the ticker."""
    p = rules.profile
    assert p.container is not None
    from streamer.core.selectors import selected_lines

    texts = selected_lines(html, p.container, p.items, p.drop, p.json_items)
    block, _ = _block([t for t in texts or () if t], 0, rules)
    return block or None


# A list bullet a text dump (or a Markdown one) puts before each item: layout, not the flash's.
# (A dash or star only with a space after it: "-5C in the capital" keeps its minus.)
_BULLETS = "•·▪►▶■◆●◦‣⁃-–—*"
_BULLET = re.compile(r"^(?:[•·▪►▶■◆●◦‣⁃]|[-–—*](?=[ \t]))[ \t]*+(?=\S)")


def _block(lines: list[str], start: int, rules: Rules) -> tuple[list[str], bool]:
    """The flashes after the marker, and whether the block visibly ended (blank line or cap)."""
    out: list[str] = []
    skips, max_lines, min_chars = rules.skips, rules.profile.max_lines, rules.profile.min_chars
    for line in lines[start : start + 2 * max_lines]:
        stripped = line.strip(" \t\r\n")  # keep a trailing NBSP: it may be half of mojibake
        if not stripped or stripped.isspace():
            return out, True
        if rules.marker_line.fullmatch(stripped) or (
            skips and any(p.search(stripped) for p in skips)
        ):
            continue
        if stripped[0] in _BULLETS:
            stripped = _BULLET.sub("", stripped, count=1)
        if len(stripped) >= min_chars:
            out.append(stripped if len(stripped) <= MAX_FLASH_CHARS
                       else stripped[: MAX_FLASH_CHARS - 1] + "…")
            if len(out) >= max_lines:
                return out, True
    return out, False


@byte_lru(WINDOW_CACHE_BYTES, lambda markup, lines: text_bytes(markup, tuple(lines)))
def _window_lines(markup: str) -> list[str]:
    """Pages are fetched again and again unchanged: parse each distinct window once."""
    return window_lines(markup)
