"""Adversarial pages and lines: each is built to make a careless pattern quadratic.

Shared by the linear-time tests (tests/unit/test_linear_time.py), the fuzz test
(tests/unit/test_fuzz.py) and the fuzz campaign (bench/fuzz.py). `PAGES[name](n)` is a page of
about `n` characters; `LINES[name](n)` a line; `hostile_record(rng)` a whole input record.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable

_OPEN = "<html><body><div><h2>BREAKING</h2><ul><li>Dutch Police: Rotterdam gunman arrested"


def _fill(head: str, unit: str, n: int, tail: str = "") -> str:
    return head + unit * max(1, (n - len(head) - len(tail)) // len(unit)) + tail


PAGES: dict[str, tuple[str, Callable[[int], str]]] = {
    # text pages: spaces after the marker, many marker lines, one endless line
    "text: marker then spaces": ("text/plain", lambda n: _fill("BREAKING", " ", n, "x\n")),
    "text: marker, colon, tabs": ("text/plain", lambda n: _fill("BREAKING:", "\t", n, ":x\n")),
    "text: marker lines only": ("text/plain", lambda n: _fill("", "BREAKING\n", n)),
    "text: one endless line": ("text/plain", lambda n: _fill("BREAKING\n", "x", n)),
    # HTML: spaces after the marker, tags that never close, comments, declarations
    "html: marker then spaces": ("text/html", lambda n: _fill("<h2>BREAKING", " ", n, "x")),
    "html: '<a' without '>'": ("text/html", lambda n: _fill(_OPEN, "<a", n)),
    "html: one tag without '>'": ("text/html", lambda n: _fill(_OPEN + "<a ", "b", n)),
    "html: '<!' without '>'": ("text/html", lambda n: _fill(_OPEN, "<!", n)),
    "html: '</ul' without '>'": ("text/html", lambda n: _fill(_OPEN, "</ul", n)),
    "html: open comments": ("text/html", lambda n: _fill(_OPEN, "<!--", n)),
    "html: tickers never closed": ("text/html",
                                   lambda n: _fill("<html><body>", "<h2>BREAKING</h2><ul><li>"
                                                   "Dutch Police: gunman arrested</li>", n)),
    "html: emoji window": ("text/html", lambda n: _fill(_OPEN + "</li><li>", "😀", n)),
    # ticker items one after another (markup.ticker_window): links, twins, twins never closed
    "html: links in a row": ("text/html", lambda n: _fill("<b>BREAKING</b>", "<a>x</a> | ", n)),
    "html: links, separators only": ("text/html",
                                     lambda n: _fill("<b>BREAKING</b><a>x</a>", " |", n, "<a>")),
    "html: twin items": ("text/html",
                         lambda n: _fill("<h2>BREAKING</h2>", '<div class="i">x</div>', n)),
    "html: twins never closed": ("text/html",
                                 lambda n: _fill("<h2>BREAKING</h2>", '<div class="i">x', n)),
    "html: '</span' without '>'": ("text/html", lambda n: _fill(
        '<h2>BREAKING</h2><span class="i">', "</span", n)),
}

LINES: dict[str, Callable[[int], str]] = {
    "CJK then dashes": lambda n: _fill("中", "-", n),
    "CJK then dots": lambda n: _fill("中", ".", n),
    "CJK then ellipses": lambda n: _fill("中", "…", n),
    "dash separators": lambda n: _fill("x", " - ", n),
    "stacked labels": lambda n: _fill("", "BREAKING: ", n, "x"),
    "stacked trailing labels": lambda n: _fill("x", " - live", n),
    "open brackets": lambda n: _fill("x", " (", n),
    "spaces then punctuation": lambda n: _fill("x", " ", n, "."),
    "commas before says": lambda n: _fill("x, ", "a ", n, "says"),
}


def best_time(fn: Callable[[], object], min_seconds: float = 0.02, rounds: int = 3) -> float:
    """Seconds one call of `fn` takes, the best of `rounds` (each repeating `fn` for at least
    `min_seconds`, so that a fast call is not all timer noise)."""
    best = float("inf")
    for _ in range(rounds):
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds:
                break
        best = min(best, elapsed / calls)
    return best


# -- generated hostile records (the fuzz test and bench/fuzz.py) --------------------------------

URLS = ["https://news.example/live", "http://[::1/live", "http://ex\u2100ample.com/live", "",
        "not a url", "https://WWW.News.Example./x", "file:///tmp/page.txt",
        "https://" + "a" * 300 + ".example/", "http://[::1]:80/", "https://u:p@host:99999/",
        "javascript:alert(1)", "https://xn--80ak6aa92e.com/", "https://news.example/" + "x" * 9000]
TIMES: list[object] = [
    "2025-03-01T08:00:00Z", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
    "2016-12-31T23:59:60Z", "2025-03-01", "20250301T080000Z", "2025-W09-6T08:00:00Z", "",
    "yesterday", 0, -1, 1e300, 1.5e9, True, None, [], {}, "2025-02-30T00:00:00Z",
    "2025-03-01T08:00:00.123456789+05:30", "2099-12-31T23:59:59Z", "2025-03-01T08:00:00+24:00",
    "1969-12-31T23:59:59Z", "2025-03-01 08:00:00", "\u0662\u0660\u0662\u0665-03-01T08:00:00Z"]
CONTENT_TYPES: list[object] = [None, "text/plain", "text/html", "TEXT/HTML; charset=utf-8",
                               "application/pdf", "", 5, "text/html;;;"]
SOURCES: list[object] = [None, "", "www.News.Example.", "news.example", "s" * 300, 7,
                         "\u202enews.example", "NEWS.EXAMPLE"]
FRAGMENTS = [
    "BREAKING", "Breaking news:", "URGENT", "breaking", "\n", "\n\n", " ", "\t" * 50, "\r\n",
    "<h2>", "</h2>", "<ul>", "<li>", "</li>", "</ul>", "<div>", "</div>", "<p>", "<br/>", "<a",
    "<!", "<!--", "-->", "<script>", "</script>", "<style>", "<", ">", "&amp;", "&#0;",
    "&#x110000;", "&lt;b&gt;", "Dutch Police: Rotterdam gunman arrested",
    "Ceasefire in Gaza takes effect", "Health Ministry: 37 killed", "\u0639\u0627\u062c\u0644 | "
    "\u0642\u0635\u0641", "\u0969\u096d killed", "-5 degrees", "10\u00b3 cases",
    "\x1b[31m", "\u202e", "\u2028", "\U000e0041", "\x00", "\ufeff", "\U0001f600" * 50,
    "-" * 1000, "\u2026" * 500, "\u4e2d", ".", "(video)", "| Live updates", "x" * 5000,
    "\u00c3\u00a9", "Al Mayadeen's correspondent in Gaza:", ", the ministry says",
]


def hostile_content(rng: random.Random, big: bool = False) -> str:
    parts = rng.choices(FRAGMENTS, k=rng.randint(0, 60))
    text = "".join(parts)
    if big:  # a page of up to a megabyte, one adversarial pattern repeated
        unit = rng.choice(FRAGMENTS) or "x"
        text += unit * (rng.randint(10_000, 1_000_000) // len(unit))
    return text


def hostile_record(rng: random.Random, big: bool = False
                   ) -> tuple[bytes | None, list[tuple[str, bytes]], float | None]:
    """One input record as the worker gets it: value, headers, timestamp (epoch seconds)."""
    roll = rng.random()
    if roll < 0.7:
        # mostly valid fields, so that most records reach the engine; hostile ones the rest
        when = f"2025-03-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"
        doc: dict[str, object] = {
            "url": f"https://site{rng.randint(0, 50)}.example/live" if rng.random() < 0.7
            else rng.choice(URLS),
            "fetched_at": when if rng.random() < 0.7 else rng.choice(TIMES),
            "content": hostile_content(rng, big),
            "content_type": rng.choice(CONTENT_TYPES[:3] * 3 + CONTENT_TYPES),
            "source": rng.choice(SOURCES), "id": rng.choice([None, "", "s1", 5] * 5 + ["i" * 2000])}
        if rng.random() < 0.1:
            del doc[rng.choice(sorted(doc))]
        value = json.dumps(doc if rng.random() < 0.95 else list(doc.values())).encode()
        if rng.random() < 0.05:
            value = value[: rng.randint(0, len(value))]
        if rng.random() < 0.03:
            value = value.replace(b"e", b"\xff", 1)
        return value, [], None
    if roll < 0.9:
        headers = [(rng.choice(["url", "URL", "fetched-at", "fetched_at", "content_type",
                                "source", "id", "x-other"]),
                    rng.choice([u.encode("utf-8", "surrogatepass") for u in URLS]
                               + [b"\xc0\xaf", b"2025-03-01T08:00:00Z", b"1.5e9", b"nan",
                                  b"text/html", b""]))
                   for _ in range(rng.randint(0, 5))]
        return hostile_content(rng, big).encode("utf-8", "surrogatepass"), headers, rng.choice(
            [None, -1.0, 0.0, 1.7e9, 1e300])
    return rng.randbytes(rng.randint(0, 2000)) if rng.random() < 0.9 else None, [], None
