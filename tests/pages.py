"""Synthetic pages in the layout of the target site: menu, a BREAKING block, an article."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streamer.codec import make_snapshot
from streamer.core.model import Snapshot

MENU = [
    "Example News English",
    "",
    "  • Ar",
    "  • Es",
    "",
    "  • News",
    "    • Politics",
    "    • Economy",
    "  • Videos",
    "In Pictures",
    "  • Europe",
    "  • MENA",
]
ARTICLE = [
    "",
    "Ministers meet to discuss the regional grid",
    "",
    "  • By Example News",
    "  • 3 Mar 2025 10:12",
    "The meeting took place in the capital on Monday.",
]
T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


def page_text(flashes: list[str], marker: str = "BREAKING") -> str:
    block = [marker, *flashes] if flashes else []
    return "\n".join([*MENU, *block, *ARTICLE]) + "\n"


def page_html(flashes: list[str], marker: str = "BREAKING") -> str:
    items = "".join(f"<li>{f}</li>" for f in flashes)
    return (
        "<!doctype html><html><head><title>Example</title><script>var x='BREAKING';</script>"
        "</head><body><nav><ul><li>News</li><li>Videos</li></ul></nav>"
        f'<div class="breaking"><h2>{marker}</h2><ul>{items}</ul></div>'
        "<article><h1>Ministers meet</h1><p>The meeting took place on Monday.</p></article>"
        "</body></html>"
    )


def snap(
    flashes: list[str],
    minutes: float = 0,
    source: str = "news.example",
    html: bool = False,
    ident: str | None = None,
) -> Snapshot:
    """A snapshot of `source` taken `minutes` after T0 showing `flashes` (top = newest)."""
    return make_snapshot(
        url=f"https://{source}/live",
        fetched_at=T0 + timedelta(minutes=minutes),
        content=page_html(flashes) if html else page_text(flashes),
        content_type="text/html" if html else "text/plain",
        source=source,
        id=ident,
    )
