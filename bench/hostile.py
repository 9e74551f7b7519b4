"""Adversarial pages and lines: each is built to make a careless pattern quadratic.

Shared by the linear-time tests (tests/unit/test_linear_time.py) and the fuzz campaign
(bench/fuzz.py). `PAGES[name](n)` is a page of about `n` characters; `LINES[name](n)` a line.
"""

from __future__ import annotations

import time
from collections.abc import Callable

_OPEN = "<html><body><div><h2>BREAKING</h2><ul><li>Dutch Police: Rotterdam shooter arrested"


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
                                                   "Dutch Police: shooter arrested</li>", n)),
    "html: emoji window": ("text/html", lambda n: _fill(_OPEN + "</li><li>", "😀", n)),
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
