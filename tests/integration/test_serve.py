"""`streamer serve` against the real broker: the SSE stream in order, resumed on another
replica without gap or repeat (also from before its window), heartbeats, the feeds."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import feedparser

from tests.integration.conftest import NewTopics
from tests.integration.serving import make_event, produce, read_sse, serving, sse_messages


async def test_sse_order_resume_on_another_replica_and_heartbeats(
        kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path) -> None:
    (topic,) = await new_topics(partitions=3)
    sources = ["a.example", "b.example", "c.example"]
    early = [make_event(n, src) for n in range(4) for src in sources]
    await produce(kafka_bootstrap, topic, early)
    # replica b holds only 10 events: a cursor from early on is older than its window
    async with serving(kafka_bootstrap, topic, tmp_path, "a") as a, \
            serving(kafka_bootstrap, topic, tmp_path, "b",
                    {"STREAMER_SERVE_HISTORY": "10", "STREAMER_SERVE_HEARTBEAT_SECONDS": "0.5"}
                    ) as b, aiohttp.ClientSession() as http:
        first = await read_sse(http, a.url + "/events?last=100", 5)
        late = [make_event(n, src) for n in range(4, 10) for src in sources]
        await produce(kafka_bootstrap, topic, late)
        await read_all(http, b.url, len(early) + len(late))
        rest = await read_sse(http, b.url + "/events", len(early) + len(late) - 5,
                              headers={"Last-Event-ID": first[-1].id or ""})
        got = [m.data["event_id"] for m in first + rest if m.data]
        assert sorted(got) == sorted(e["event_id"] for e in early + late)  # no gap, no repeat
        for src in sources:  # one source's events in publishing order
            mine = [i for i in got if i.startswith(src)]
            assert mine == sorted(mine)
        assert {m.event for m in first + rest} == {"new"}
        # ?since= a time before them all: the whole topic, once, from Kafka and the window
        since = await read_sse(http, b.url + "/events?since=2000-01-01T00:00:00Z&q=FLASH",
                               len(got))
        assert sorted(m.data["event_id"] for m in since if m.data) == sorted(got)

        # live: a client of replica b sees what is published now, and heartbeats meanwhile
        pings: list[float] = []
        async with http.get(b.url + "/events?source=c.example") as resp:
            stream = sse_messages(resp, pings)
            await asyncio.sleep(1.2)
            await produce(kafka_bootstrap, topic, [make_event(99, "a.example"),
                                                   make_event(99, "c.example")])
            msg = await asyncio.wait_for(anext(stream), 10)
        assert msg.data is not None
        assert msg.data["event_id"] == "c.example-0099"
        assert len(pings) >= 2


async def read_all(http: aiohttp.ClientSession, url: str, records: int) -> None:
    """Until the replica at `url` has read `records` records of the topic."""
    async with asyncio.timeout(10):
        while True:
            async with http.get(f"{url}/metrics") as resp:
                text = await resp.text()
            if f"streamer_serve_records_read_total {records:.1f}" in text:
                return
            await asyncio.sleep(0.1)


async def test_feeds_validate_page_and_link_revisions(
        kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path) -> None:
    (topic,) = await new_topics(partitions=2)
    events = [make_event(n, first_seen=f"2026-12-01T10:{n:02d}:00Z") for n in range(7)]
    events.append(make_event(7, kind="revised", revision_of=events[2]["event_id"],
                             previous_text=events[2]["text"], text="Police: flash number 2, "
                             "revised <script>alert(1)</script>",
                             first_seen="2026-12-01T10:07:00Z"))
    await produce(kafka_bootstrap, topic, events)
    async with serving(kafka_bootstrap, topic, tmp_path) as server, \
            aiohttp.ClientSession() as http:
        async with http.get(server.url + "/feed.json?limit=3") as resp:
            assert resp.content_type == "application/feed+json"
            doc = await resp.json(content_type=None)
        assert doc["version"] == "https://jsonfeed.org/version/1.1"
        newest = doc["items"][0]
        assert newest["id"] == events[7]["event_id"]
        assert newest["title"].startswith("Revised: ")
        assert newest["date_published"] == "2026-12-01T10:07:00Z"
        assert newest["external_url"] == f"{server.url}/events/{events[2]['event_id']}"
        async with http.get(newest["external_url"]) as resp:
            assert (await resp.json())["text"] == events[2]["text"]
        seen = [item["id"] for item in doc["items"]]
        url = doc.get("next_url")
        while url:
            async with http.get(url) as resp:
                page = await resp.json(content_type=None)
            seen += [item["id"] for item in page["items"]]
            url = page.get("next_url")
        assert seen == [e["event_id"] for e in reversed(events)]

        async with http.get(server.url + "/feed.atom?q=REVISED") as resp:
            assert resp.content_type == "application/atom+xml"
            atom = feedparser.parse(await resp.read())
        assert not atom.bozo, atom.bozo_exception
        (entry,) = atom.entries
        assert entry.title == "Revised: Police: flash number 2, revised <script>alert(1)</script>"
        assert [link.href for link in entry.links if link.rel == "related"] == [
            f"{server.url}/events/{events[2]['event_id']}"]

        async with http.get(server.url + "/feed.json?kind=duplicate") as resp:
            assert resp.status == 400
        async with http.get(server.url + "/events", headers={"Last-Event-ID": "x"}) as resp:
            assert resp.status == 400


async def test_a_client_that_stops_reading_is_dropped_and_the_others_get_everything(
        kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path) -> None:
    (topic,) = await new_topics(partitions=2)
    env = {"STREAMER_SERVE_CLIENT_BUFFER": "100"}
    async with serving(kafka_bootstrap, topic, tmp_path, env=env) as server, \
            aiohttp.ClientSession() as http:
        stuck = socket.socket()  # asks for the stream, then never reads
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.connect(("127.0.0.1", server.port))
        stuck.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            async with http.get(server.url + "/events") as resp:
                await asyncio.sleep(0.5)
                got: list[str] = []
                reading = asyncio.create_task(collect(resp, got))
                # rounds of 1,000 events of 2 KB: the stuck client's socket and write buffers
                # fill, and it is dropped once it is a buffer behind after that, whenever that
                # happens (one round or several, as the reader's batches fall)
                events: list[dict[str, str]] = []
                dropped = False
                async with asyncio.timeout(90):
                    while not dropped:
                        assert len(events) < 10_000, "the stuck client was never dropped"
                        batch = [make_event(n, text=f"flash {n} {'x' * 2000}")
                                 for n in range(len(events), len(events) + 1000)]
                        await produce(kafka_bootstrap, topic, batch)
                        events += batch
                        while len(got) < len(events):
                            if reading.done():
                                reading.result()  # its error, or that the stream ended
                                raise AssertionError("the stream ended early")
                            await asyncio.sleep(0.05)
                        async with http.get(server.url + "/metrics") as m:
                            metrics = await m.text()
                        dropped = "streamer_serve_clients_dropped_total 1.0" in metrics
                reading.cancel()
            assert got == [e["event_id"] for e in events]  # all of them, in order, once
        finally:
            stuck.close()


async def collect(resp: aiohttp.ClientResponse, got: list[str]) -> None:
    async for msg in sse_messages(resp):
        assert msg.data is not None
        got.append(msg.data["event_id"])
