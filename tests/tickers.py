"""Three tickers built three ways (markups made for these tests), and the site profiles that read
them by CSS selectors: a `<ul>` list with time stamps, a `<div>`-per-item marquee of nested spans
with LIVE badges and times, and JSON in a `<script>`."""

from __future__ import annotations

import json
from datetime import timedelta

from streamer.codec import make_snapshot
from streamer.core.model import Snapshot
from tests.pages import T0

PROFILES = {
    "sites": {
        "list.example": {"container": "section.latest ul.ticker", "items": "li",
                         "drop": ["time"]},
        "marquee.example": {"container": "#marquee .track", "items": "div.item",
                            "drop": [".badge", ".stamp"], "skip": ["^Advertisement$"]},
        "json.example": {"container": "script#ticker-data", "json_items": "ticker.items.*.text",
                         "marker": "EN DIRECT"},
    }
}

_HEAD = ("<!doctype html><html><head><title>Site</title></head><body>"
         "<nav><ul><li>Home</li><li>World</li><li>Sport</li></ul></nav>")
_TAIL = "<article><h1>Analysis</h1><p>A long read about something else.</p></article></body></html>"


def list_page(flashes: list[str]) -> str:
    items = "".join(f'<li><a href="/n/{n}">{f}</a> <time datetime="2025-03-03T08:{n:02d}">'
                    f"{n} min ago</time></li>" for n, f in enumerate(flashes))
    return (f'{_HEAD}<section class="latest"><h2>Latest</h2><ul class="ticker">{items}</ul>'
            f"</section>{_TAIL}")


def marquee_page(flashes: list[str]) -> str:
    def item(n: int, flash: str) -> str:
        speaker, _, body = flash.partition(": ")
        words = (f'<span class="who">{speaker}:</span> <span class="what">{body}</span>'
                 if body else f'<span class="what">{flash}</span>')
        return (f'<div class="item"><span class="badge">LIVE</span>'
                f'<span class="stamp">08:{n:02d}</span><span class="text">{words}</span></div>')

    items = "".join(item(n, f) for n, f in enumerate(flashes))
    ad = '<div class="item"><span class="text">Advertisement</span></div>'
    return (f'{_HEAD}<div id="marquee"><div class="label">BREAKING</div>'
            f'<div class="track">{items}{ad}</div></div>{_TAIL}')


def json_page(flashes: list[str]) -> str:
    data = {"ticker": {"updated": "2025-03-03T08:00:00Z",
                       "items": [{"id": n, "text": f, "ts": 1741000000 + n}
                                 for n, f in enumerate(flashes)]}}
    return (f'{_HEAD}<div id="ticker-root"></div><script id="ticker-data" '
            f'type="application/json">{json.dumps(data)}</script>{_TAIL}')


PAGES = {"list.example": list_page, "marquee.example": marquee_page, "json.example": json_page}


def ticker_snap(source: str, flashes: list[str], minutes: float = 0) -> Snapshot:
    return make_snapshot(url=f"https://{source}/", fetched_at=T0 + timedelta(minutes=minutes),
                         content=PAGES[source](flashes), content_type="text/html", source=source)
