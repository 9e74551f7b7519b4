"""The engine process (`python -m streamer.kafka.enginehost`), started by the worker.

It owns the `Deduplicator` for every partition its worker holds: it decodes each input record,
runs the engine, and returns the events and the state records they changed; on restore it loads
state records. Requests are answered in order, in batches: everything that arrived while it was
busy is read at once and answered with one write. It exits when its stdin closes, and ignores
SIGINT/SIGTERM: stopping is its worker's decision.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from typing import Any

from streamer import logs
from streamer.codec import dumps, loads
from streamer.core.engine import Deduplicator, preload
from streamer.core.model import Event, Snapshot
from streamer.core.records import BadState
from streamer.core.state import (
    StateRecord,
    apply_record,
    drain_changes,
    finish_restore,
)
from streamer.kafka.envelope import Headers
from streamer.kafka.statekeys import parse_key, state_key
from streamer.kafka.wire import READ_CHUNK, Outcome, Tally, frame, outcome_of, trim_heap, unframe
from streamer.settings import DedupConfig

log = logging.getLogger("streamer.engine")


class Host:
    """The requests the worker may send; each returns the reply's value."""

    def __init__(self, *, freeze_restored: bool = False) -> None:
        self.engine = Deduplicator()
        # In a process of its own (not the worker's, whose objects would be frozen too, and
        # their reference cycles never collected), restored flashes leave the cyclic collector.
        self.freeze_restored = freeze_restored

    def handle(self, request: tuple[str, tuple[Any, ...]]) -> tuple[str, Any]:
        op, args = request
        try:
            return "ok", getattr(self, f"op_{op}")(*args)
        except Exception as exc:
            log.exception("engine request %r failed", op)
            return "error", f"engine request {op!r} failed: {exc!r}"

    def op_init(self, config: DedupConfig) -> None:
        self.engine = Deduplicator(config)

    def op_process(self, value: bytes | None, headers: Headers | None, timestamp: float | None,
                   max_bytes: int, now: float, fmt: str = "auto") -> tuple[Any, ...]:
        """The record's Outcome, as a plain tuple (see Outcome), with what the engine counted;
        `fmt` is its input format."""
        s = self.engine.stats
        before = (s.new, s.duplicate, s.revised, s.no_ticker, s.evicted)
        outcome = outcome_of(self._events, value, headers, timestamp, max_bytes,
                             datetime.fromtimestamp(now, UTC), fmt=fmt)
        index = self.engine.sources.get(outcome.source)
        new, duplicate, revised, no_ticker, evicted = (
            b - a for a, b in zip(before, (s.new, s.duplicate, s.revised, s.no_ticker,
                                           s.evicted), strict=True))
        tally = Tally(outcome.tally.seconds, new, duplicate, revised, no_ticker, evicted,
                      len(index) if index is not None else 0)
        if outcome.dead_letter is not None:
            return tuple(outcome._replace(tally=tally))
        try:
            changes = [(state_key(r.source, r.cid), dumps(r.value) if r.value is not None
                        else None) for r in drain_changes(self.engine)]
        except Exception as exc:  # one record's failure, not the engine's: the stream goes on
            log.exception("saving the state of %s failed", outcome.source)
            return tuple(Outcome.rejected(f"internal error: {exc!r}", outcome.source
                                          )._replace(tally=tally))
        return (outcome.source, outcome.events, changes, None, tally)

    def _events(self, snapshot: Snapshot, now: datetime) -> list[Event]:
        return self.engine.process(snapshot, now=now).events

    def op_apply(self, records: list[tuple[bytes, bytes | None, int]]) -> int:
        """State records read back from the state topic (not the partition's own record), with
        their offsets; an invalid one is skipped and logged (the restore goes on). Returns how
        many were skipped."""
        skipped = 0
        shared: dict[object, Any] = {}  # (equal times as one object)
        for key, value, offset in records:
            try:
                parsed = parse_key(key)
                if parsed is not None:
                    source, cid = parsed
                    apply_record(self.engine,
                                 StateRecord(source, cid, loads(value) if value else None),
                                 shared)
            except Exception as exc:  # BadState, bad JSON, a key that is not ours
                skipped += 1
                log.warning("skipped state record %r at offset %d: %s", key[:200], offset,
                            exc if isinstance(exc, BadState) else repr(exc))
        # Restored flashes live long and hold no reference cycles: the cyclic collector need not
        # walk them again. (Its full collections over a growing index took 4 of the 14 s that
        # restoring 1M flashes took; later ones, while processing, skip them too.)
        if self.freeze_restored:
            gc.freeze()
        return skipped

    def op_finish(self, sources: list[str]) -> dict[str, int]:
        """A restore is complete: the flashes now known for each of `sources`."""
        finish_restore(self.engine, sources)
        if sources:  # (nothing was restored, nothing freed)
            trim_heap()
        return {s: len(self.engine.sources[s]) for s in sources if s in self.engine.sources}

    def op_forget(self, sources: list[str]) -> None:
        for source in sources:
            self.engine.sources.forget(source)


def serve(inp: int, out: int) -> int:
    host = Host(freeze_restored=True)
    buf = bytearray()
    while chunk := os.read(inp, READ_CHUNK):
        buf += chunk
        requests, used = unframe(buf)
        del buf[:used]
        if requests:
            reply = memoryview(b"".join(frame(host.handle(r)) for r in requests))
            while reply:
                reply = reply[os.write(out, reply):]
    return 0


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logs.setup(sys.argv[1] if len(sys.argv) > 1 else "text")
    out = os.dup(1)
    os.dup2(2, 1)  # a stray print must not corrupt the replies
    preload()  # while the worker waits for Kafka, not on the first snapshot
    return serve(0, out)


if __name__ == "__main__":
    raise SystemExit(main())
