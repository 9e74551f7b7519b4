"""The ticker page in a real headless browser (Debian's chromium, installed by .ci/run):
events appear live, newest first; a revision links its original; markup is shown as text;
after serve restarts the page reconnects and goes on from its last event."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.integration.browser import chromium, open_page
from tests.integration.conftest import NewTopics
from tests.integration.serving import make_event, produce, serving

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "ticker.png"

pytestmark = pytest.mark.skipif(chromium() is None and not os.environ.get("CI"),
                                reason="chromium not installed (.ci/run installs it)")

ITEMS = "[...document.querySelectorAll('#events li.event')]"
TYPE = ("(() => { const f = document.getElementById('filter'); f.value = '%s';"
        " f.dispatchEvent(new Event('input')); })()")


async def test_the_page_shows_events_live_revisions_linked_markup_as_text(
        kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path) -> None:
    (topic,) = await new_topics(partitions=2)
    old = make_event(1, "news.example", text="Police: Two people were wounded in the shooting",
                     first_seen="2026-12-01T09:58:00Z")
    await produce(kafka_bootstrap, topic, [old])
    async with serving(kafka_bootstrap, topic, tmp_path) as server, \
            open_page(server.url + "/", tmp_path / "chromium") as page:
        await page.wait_for(f"{ITEMS}.length === 1 && !!document.querySelector('.status.live')")
        markup = make_event(2, "wire.example", attribution=None, first_seen="2026-12-01T09:59:00Z",
                            text='<img src=x onerror="document.title=\'pwned\'"><b>Bold</b> claim')
        revised = make_event(3, "news.example", kind="revised", revision_of=old["event_id"],
                             previous_text=old["text"], first_seen="2026-12-01T10:01:00Z",
                             text="Police: Three people were wounded in the shooting")
        await produce(kafka_bootstrap, topic, [markup, revised])
        texts = await page.wait_for(
            f"{ITEMS}.length === 3 && {ITEMS}.map(li => li.querySelector('.text').textContent)")
        assert texts == ["RevisedPolice: Three people were wounded in the shooting",
                         markup["text"], old["text"]]  # newest first, markup as plain text
        assert await page.evaluate("document.querySelector('#events img, #events b')") is None
        assert await page.evaluate("document.title") == "streamer: breaking events"
        link = await page.evaluate(
            "[document.querySelector('li.revised a.revision-of').getAttribute('href'),"
            " document.querySelector('li.revised a.revision-of').textContent]")
        assert link == [f"#e-{old['event_id']}", f"Revision of: {old['text']}"]
        meta = await page.evaluate("document.querySelector('li.revised .meta').textContent")
        assert "news.example" in meta
        assert "Police" in meta

        # the filter box: only matching events, from a fresh stream
        await page.evaluate(TYPE % "BOLD")
        await page.wait_for(f"{ITEMS}.length === 1 && {ITEMS}[0].id === 'e-{markup['event_id']}'")
        await page.evaluate(TYPE % "")
        await page.wait_for(f"{ITEMS}.length === 3")
        if os.environ.get("STREAMER_SCREENSHOT"):  # refresh docs/ticker.png
            await page.screenshot(SCREENSHOT)

        # serve restarts: the page says so, reconnects and goes on from its last event
        server.stop()
        await page.wait_for("!!document.querySelector('.status.down')")
        during = make_event(4, "news.example", first_seen="2026-12-01T10:02:00Z",
                            text="Police: the gunman was arrested")
        await produce(kafka_bootstrap, topic, [during])
        async with serving(kafka_bootstrap, topic, tmp_path, "again", port=server.port):
            await page.wait_for(f"{ITEMS}.length === 4 && !!document.querySelector('.status.live')",
                                timeout=30)
            ids = await page.evaluate(f"{ITEMS}.map(li => li.id)")
        assert ids == [f"e-{e['event_id']}" for e in (during, revised, markup, old)]
