"""The newest events of the topic, in the order this replica read them, shared by every client.

Records are decoded once here; each SSE client only keeps a sequence number into the window,
so a thousand clients cost a thousand integers, not a thousand queues. The reader wakes them
all with one future per batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from streamer.codec import JSONError, dumps, loads
from streamer.http import cursor
from streamer.http.filters import searchable

log = logging.getLogger("streamer.serve")


@dataclass(frozen=True, slots=True)
class Entry:
    """One event of the topic as every endpoint needs it."""

    seq: int  # this replica's arrival number
    partition: int
    offset: int
    timestamp_ms: int  # the record's timestamp (first_seen, never later than it was written)
    event: dict[str, Any]
    data: str  # the event JSON as sent to clients
    folded: str  # filters.searchable(event)
    after: tuple[int, ...]  # every partition's position once this record is read
    id: str  # cursor.encode(after)
    frame: bytes  # the SSE message with that id: what most clients are sent, encoded once

    @property
    def event_id(self) -> str:
        return str(self.event.get("event_id", ""))


class Window:
    """At most `capacity` entries; `covered[p]`: every record of partition p from that offset
    up to `positions[p]` is in the window (older ones must be read from Kafka)."""

    def __init__(self, capacity: int, start: list[int],
                 on_skip: Callable[[], None] = lambda: None) -> None:
        self.capacity = capacity
        self.positions = list(start)
        self.covered = list(start)
        self.base = 0  # seq of entries[0]
        self.entries: list[Entry] = []
        self.by_id: dict[str, Entry] = {}
        self.watchers: set[Callable[[int], None]] = set()  # called with next_seq per batch
        self.on_skip = on_skip  # a record that was not event JSON (also logged)
        self._waiting: list[asyncio.Future[None]] = []
        self._joined: dict[tuple[int, int], tuple[bytes, int, tuple[int, ...]]] = {}

    @property
    def next_seq(self) -> int:
        return self.base + len(self.entries)

    def append(self, partition: int, offset: int, timestamp_ms: int, value: bytes | None) -> None:
        """One record read from the topic (call `publish` after a batch)."""
        self.positions[partition] = offset + 1
        event = decode_event(value)
        if event is None:
            self.on_skip()
            log.warning("serve: %d@%d skipped: not an event JSON object", partition, offset)
            return
        after = tuple(self.positions)
        ident, data = cursor.encode(after), dumps(event).decode()
        entry = Entry(seq=self.next_seq, partition=partition, offset=offset,
                      timestamp_ms=timestamp_ms, event=event, data=data,
                      folded=searchable(event), after=after, id=ident,
                      frame=sse_frame(ident, event.get("kind"), data))
        self.entries.append(entry)
        self.by_id[entry.event_id] = entry
        if len(self.entries) >= 2 * self.capacity:
            self._trim()

    def _trim(self) -> None:
        drop = len(self.entries) - self.capacity
        for old in self.entries[:drop]:
            self.covered[old.partition] = old.offset + 1
            if self.by_id.get(old.event_id) is old:
                del self.by_id[old.event_id]
        self.entries = self.entries[drop:]
        self.base += drop

    def publish(self) -> None:
        """Wake every waiting client, and let watchers (the slow-client check) look."""
        waiting, self._waiting = self._waiting, []
        self._joined.clear()
        for future in waiting:
            if not future.done():  # a cancelled client's future is done
                future.set_result(None)
        for watch in list(self.watchers):
            watch(self.next_seq)

    async def wait(self, seq: int) -> None:
        """Return once an entry numbered `seq` or later exists (a future of its own per
        client: cancelling one client's wait touches no other)."""
        while self.next_seq <= seq:
            future = asyncio.get_running_loop().create_future()
            self._waiting.append(future)
            await future

    def joined(self, seq: int) -> tuple[bytes, int, tuple[int, ...]]:
        """The messages of every entry from `seq` to the end as one write, how many, and the
        position after them: what each client at `seq` without a filter is sent, joined once
        for all of them (per batch: cleared by `publish`)."""
        key = (seq, self.next_seq)
        found = self._joined.get(key)
        if found is None:
            frames = [e.frame for e in self.since(seq)]
            found = self._joined[key] = (b"".join(frames), len(frames), self.entries[-1].after)
        return found

    def since(self, seq: int) -> Iterator[Entry]:
        """Entries from `seq` on (ValueError if they were trimmed already)."""
        if seq < self.base:
            raise ValueError(f"entry {seq} is no longer held")
        return iter(self.entries[seq - self.base:])

    def position_before(self, seq: int) -> tuple[int, ...]:
        """Every partition's position just before entry `seq` was read."""
        if seq > self.base and seq - 1 - self.base < len(self.entries):
            return self.entries[seq - 1 - self.base].after
        if seq == self.next_seq:
            return tuple(self.positions)
        return tuple(self.covered)

    def newest(self, count: int, wanted: Callable[[Entry], bool]) -> int:
        """The seq from which the `count` newest wanted entries (and all later ones) follow."""
        found = 0
        for entry in reversed(self.entries):
            if wanted(entry):
                found += 1
                if found == count:
                    return entry.seq
        return self.base


def sse_frame(ident: str, kind: object, data: str) -> bytes:
    """One SSE message. `data` is one line of JSON and `ident` base64; `event:` is the kind,
    `message` (the default type) for any kind but new and revised, so no line break gets in."""
    name = kind if kind in ("new", "revised") else "message"
    return f"id: {ident}\r\nevent: {name}\r\ndata: {data}\r\n\r\n".encode()


def decode_event(value: bytes | None) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        event = loads(value)
    except JSONError:
        return None
    return event if isinstance(event, dict) and "event_id" in event else None
