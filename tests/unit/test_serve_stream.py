"""`streamer serve`'s stream logic without a broker: cursors, filters, the shared window and one
client's walk through it (resume without gap or repeat, slow clients dropped)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from streamer.http import cursor
from streamer.http.filters import EventFilter, fold
from streamer.http.stream import Client, follow, start_live
from streamer.http.window import Window, sse_frame


def event(n: int, **kw: Any) -> dict[str, Any]:
    return {"event_id": f"ev{n}", "kind": "new", "source": f"site{n % 2}.example",
            "text": f"Flash {n}", "attribution": None, "first_seen": "2026-12-01T10:00:00Z",
            "url": "https://site.example/live", "snapshot": "s", **kw}


def fill(window: Window, events: list[tuple[int, dict[str, Any]]]) -> None:
    for partition, ev in events:
        window.append(partition, window.positions[partition], 1000, json.dumps(ev).encode())
    window.publish()


class Sink:
    def __init__(self, stop_after: int) -> None:
        self.got: list[tuple[str, str, str]] = []
        self.stop_after = stop_after

    async def send(self, frames: bytes) -> None:
        for message in frames.decode().split("\r\n\r\n")[:-1]:
            fields = dict(line.split(": ", 1) for line in message.split("\r\n"))
            self.got.append((json.loads(fields["data"])["event_id"], fields["id"],
                             fields["event"]))
            if len(self.got) >= self.stop_after:
                raise ConnectionResetError

    @property
    def ids(self) -> list[str]:
        return [g[0] for g in self.got]


async def no_refill(client: Client) -> None:
    raise AssertionError("nothing to read from Kafka")


async def walk(window: Window, client: Client, buffer: int = 100) -> None:
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(follow(client, window, buffer, lambda n: None, no_refill), 2)


def test_a_cursor_round_trips_and_garbage_is_refused() -> None:
    assert cursor.decode(cursor.encode([5, 0, 12]), 3) == [5, 0, 12]
    assert cursor.decode(cursor.encode([5]), 3) == [5, 0, 0]
    for bad in ("!!!", cursor.encode([1, 2, 3, 4]), "LTE"):  # LTE: "-1"
        with pytest.raises(cursor.BadCursor):
            cursor.decode(bad, 3)


def test_filters_match_words_ignoring_case_and_diacritics() -> None:
    ev = event(1, text="Ça révisé: Explosion near the Gaza border", attribution="Al Jazeera")
    assert EventFilter.build(q="GAZA explosion").matches(ev)
    assert EventFilter.build(q="ca revise").matches(ev)
    assert EventFilter.build(q="jazeera").matches(ev)
    assert not EventFilter.build(q="gaza lebanon").matches(ev)
    assert EventFilter.build(source=["x.example,site1.example"]).matches(ev)
    assert not EventFilter.build(source=["site0.example"]).matches(ev)
    assert not EventFilter.build(kind=["revised"]).matches(ev)
    assert not EventFilter.build(lang=["en"]).matches(ev)  # language unknown
    assert EventFilter.build(lang=["en"]).matches({**ev, "lang": "en"})
    assert fold("عَاجِل") == "عاجل"
    with pytest.raises(ValueError, match="kind"):
        EventFilter.build(kind=["duplicate"])


async def test_resuming_from_any_id_gives_no_gap_and_no_repeat() -> None:
    window = Window(100, [0, 0])
    fill(window, [(i % 2, event(i)) for i in range(10)])
    first = Sink(stop_after=4)
    client = Client(EventFilter(), first.send)
    start_live(client, window, last=10)
    await walk(window, client)
    assert first.ids == ["ev0", "ev1", "ev2", "ev3"]

    second = Sink(stop_after=6)
    resumed = Client(EventFilter(), second.send, seq=window.base,
                     position=cursor.decode(first.got[-1][1], 2))
    await walk(window, resumed)
    assert second.ids == ["ev4", "ev5", "ev6", "ev7", "ev8", "ev9"]


async def test_a_cursor_from_a_replica_that_read_in_another_order_resumes_exactly() -> None:
    a, b = Window(100, [0, 0]), Window(100, [0, 0])
    events = [(i % 2, event(i)) for i in range(8)]
    fill(a, events)
    fill(b, [e for e in events if e[0] == 1] + [e for e in events if e[0] == 0])
    got = Sink(stop_after=3)
    client = Client(EventFilter(), got.send)
    start_live(client, a, last=8)
    await walk(a, client)  # ev0 ev1 ev2: partition 0 up to ev2, partition 1 up to ev1
    rest = Sink(stop_after=5)
    await walk(b, Client(EventFilter(), rest.send, position=cursor.decode(got.got[-1][1], 2)))
    assert sorted(got.ids + rest.ids) == [f"ev{i}" for i in range(8)]


async def test_a_filtered_client_resumes_after_the_events_it_skipped() -> None:
    window = Window(100, [0])
    fill(window, [(0, event(i)) for i in range(6)])
    got = Sink(stop_after=2)
    client = Client(EventFilter.build(source=["site1.example"]), got.send)
    start_live(client, window, last=10)
    await walk(window, client)
    assert got.ids == ["ev1", "ev3"]
    fill(window, [(0, event(i)) for i in range(6, 8)])
    rest = Sink(stop_after=2)
    await walk(window, Client(client.filter, rest.send,
                              position=cursor.decode(got.got[-1][1], 1)))
    assert rest.ids == ["ev5", "ev7"]


async def test_a_live_client_gets_what_is_published_after_it_connected() -> None:
    window = Window(100, [0])
    fill(window, [(0, event(0))])
    got = Sink(stop_after=2)
    client = Client(EventFilter(), got.send)
    start_live(client, window, last=None)
    task = asyncio.create_task(follow(client, window, 100, lambda n: None, no_refill))
    await asyncio.sleep(0.01)
    fill(window, [(0, event(1)), (0, event(2, kind="revised"))])
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(task, 2)
    assert got.got[0][0] == "ev1"
    assert got.got[1][2] == "revised"


async def test_a_stuck_client_is_dropped_and_others_go_on() -> None:
    window = Window(1000, [0])
    stuck = asyncio.Event()
    aborted: list[bool] = []

    async def never(frames: bytes) -> None:
        await stuck.wait()
        raise ConnectionResetError

    slow = Client(EventFilter(), never, abort=lambda: (aborted.append(True), stuck.set()))
    fast_sink = Sink(stop_after=50)
    fast = Client(EventFilter(), fast_sink.send)
    tasks = [asyncio.create_task(follow(c, window, 10, lambda n: None, no_refill))
             for c in (slow, fast)]
    await asyncio.sleep(0.01)
    for i in range(50):
        fill(window, [(0, event(i))])
        await asyncio.sleep(0)
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 2)
    assert aborted == [True]
    assert slow.dropped
    assert all(isinstance(r, ConnectionResetError) for r in results)
    assert len(fast_sink.ids) == 50


async def test_a_client_the_window_moved_past_goes_on_from_kafka() -> None:
    window = Window(10, [0])
    fill(window, [(0, event(0))])
    got = Sink(stop_after=30)
    client = Client(EventFilter(), got.send)
    start_live(client, window, last=None)
    refilled: list[list[int]] = []

    async def refill(c: Client) -> None:  # stands in for catch_up: Kafka's records 1..19
        assert c.position is not None
        refilled.append(list(c.position))
        for i in range(c.position[0], window.covered[0]):
            c.position[0] = i + 1
            await c.send(sse_frame(cursor.encode(c.position), "new", json.dumps(event(i))))

    fill(window, [(0, event(i)) for i in range(1, 31)])  # one batch: the window moves on
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(follow(client, window, 1000, lambda n: None, refill), 2)
    assert refilled == [[1]]
    assert got.ids == [f"ev{i}" for i in range(1, 31)]


def test_records_that_are_not_events_are_counted_and_skipped() -> None:
    skipped: list[int] = []
    window = Window(10, [0], on_skip=lambda: skipped.append(1))
    window.append(0, 0, 1, b"not json")
    window.append(0, 1, 1, None)
    window.append(0, 2, 1, json.dumps(event(1)).encode())
    assert len(skipped) == 2
    assert [e.event_id for e in window.entries] == ["ev1"]
    assert window.positions == [3]


def test_an_odd_kind_cannot_add_lines_to_the_stream() -> None:
    window = Window(10, [0])
    window.append(0, 0, 1, json.dumps(event(1, kind="new\r\ndata: injected",
                                            text="two\nlines")).encode())
    (entry,) = window.entries
    lines = entry.frame.decode().split("\r\n")
    assert lines[1] == "event: message"
    assert [line.split(":")[0] for line in lines] == ["id", "event", "data", "", ""]


def test_clients_at_one_place_share_one_write_that_misses_nothing_appended_later() -> None:
    window = Window(100, [0])
    fill(window, [(0, event(i)) for i in range(3)])
    first, count, _ = window.joined(1)
    assert count == 2
    assert window.joined(1)[0] is first  # joined once for every client at seq 1
    window.append(0, 3, 1, json.dumps(event(3)).encode())  # more of the batch, not published
    later, count, after = window.joined(1)
    assert count == 3
    assert later.startswith(first)
    assert after == (4,)
