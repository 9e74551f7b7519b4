"""One SSE client's walk through the stream: where it starts (live, `?last=N`, a cursor from
`Last-Event-ID`), catching up from Kafka when its cursor is older than the window, then
following; each event sent with the client's own position as its id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from streamer.codec import dumps
from streamer.http import cursor
from streamer.http.filters import EventFilter, searchable
from streamer.http.reader import read_range
from streamer.http.window import Entry, Window, decode_event, sse_frame
from streamer.settings import Settings

# send(frames) writes SSE messages to the client
Send = Callable[[bytes], Awaitable[None]]
BATCH = 256  # messages per write at most


class Dropped(Exception):
    """The client fell more than its buffer behind the stream; it may resume with its cursor."""


@dataclass(slots=True)
class Client:
    """`position` is None while the client is exactly at the window's position `at` (the
    common, cheap case: ids are the window's own); otherwise its own per-partition offsets."""

    filter: EventFilter
    send: Send
    seq: int = 0
    position: list[int] | None = None
    abort: Callable[[], None] = lambda: None
    at: tuple[int, ...] = ()  # while `position` is None: the window position it is at
    waiting: bool = False
    dropped: bool = False

    def deliverable(self, entry: Entry) -> bytes | None:
        """The SSE message for `entry`, or None to skip it; advances the client's position."""
        pos = self.position
        if pos is None:
            self.at = entry.after
        else:
            if entry.offset < pos[entry.partition]:
                return None
            pos[entry.partition] = entry.offset + 1
            if tuple(pos) == entry.after:
                self.position, self.at = None, entry.after
        if self.filter.active and not self.filter.matches(entry.event, entry.folded):
            return None
        if self.position is None:
            return entry.frame
        return sse_frame(cursor.encode(pos or ()), entry.event.get("kind"), entry.data)


async def catch_up(client: Client, window: Window, settings: Settings, topic: str) -> None:
    """Send what the client's cursor needs from before the window, read from Kafka. Loops
    because the window moves on meanwhile."""
    assert client.position is not None
    pos = client.position
    while True:
        stale = {p: pos[p] for p in range(len(pos)) if pos[p] < window.covered[p]}
        if not stale:
            return
        stop = {p: window.covered[p] for p in stale}
        async for partition, offset, value in read_range(settings, topic, stale, stop):
            pos[partition] = offset + 1
            event = decode_event(value)
            if event is None:
                continue
            if client.filter.matches(event, searchable(event)):
                await client.send(sse_frame(cursor.encode(pos), event.get("kind"),
                                            dumps(event).decode()))
        for p, offset in stop.items():
            pos[p] = max(pos[p], offset)


async def follow(client: Client, window: Window, buffer: int, on_sent: Callable[[int], None],
                 refill: Callable[[Client], Awaitable[object]]) -> None:
    """Send entries from `client.seq` on, until the connection ends.

    A client more than `buffer` entries behind while writing is dropped: the window checks after
    each batch and calls `client.abort` (so a client stuck in a write never holds anything up);
    Dropped. A client the window moved past between two batches goes on from Kafka (`refill`).
    """

    def check(next_seq: int) -> None:
        if not client.waiting and next_seq - client.seq > buffer and not client.dropped:
            client.dropped = True
            client.abort()

    window.watchers.add(check)
    try:
        while True:
            if client.dropped:
                raise Dropped
            if client.seq < window.base:
                if client.position is None:
                    client.position = list(client.at)
                await refill(client)
                client.seq = window.base  # no await since refill's last look at the window
                continue
            if client.position is None and not client.filter.active:
                await _send_joined(client, window, on_sent)
            frames: list[bytes] = []
            for entry in window.since(client.seq):
                client.seq = entry.seq + 1
                message = client.deliverable(entry)
                if message is not None:
                    frames.append(message)
                    if len(frames) == BATCH:
                        await _send(client, frames, on_sent)
            if frames:
                await _send(client, frames, on_sent)
            client.waiting = True
            try:
                await window.wait(client.seq)
            finally:
                client.waiting = False
    finally:
        window.watchers.discard(check)


async def _send_joined(client: Client, window: Window, on_sent: Callable[[int], None]) -> None:
    """The common case: a client at the window's position without a filter is sent every
    entry, with the window's own ids, so the write is the same for all such clients."""
    if client.seq == window.next_seq:
        return
    data, count, after = window.joined(client.seq)
    client.seq, client.at = window.next_seq, after
    await client.send(data)
    on_sent(count)


async def _send(client: Client, frames: list[bytes], on_sent: Callable[[int], None]) -> None:
    """One write for what a batch brought (a thousand clients: a thousand writes a batch)."""
    await client.send(b"".join(frames))
    on_sent(len(frames))
    frames.clear()


def start_live(client: Client, window: Window, last: int | None) -> None:
    """Start at the window's end, or at its `last` newest wanted entries."""
    if last:
        client.seq = window.newest(last, lambda e: client.filter.matches(e.event, e.folded))
    else:
        client.seq = window.next_seq
    client.at = window.position_before(client.seq)
