"""What both ends of the engine pipe share: the framing, a record's Outcome, and running one record.

Wire format, both ways: a 4-byte big-endian length, then a pickle. A request is `(op, args)`;
replies come in request order, `("ok", value)` or `("error", text)`. Pickle is safe here: both
ends are this package, over a pipe nobody else holds.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import pickle
import struct
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from streamer.codec import BadRecord
from streamer.core.model import Event, Snapshot
from streamer.kafka.envelope import Headers, snapshot_from_record

log = logging.getLogger("streamer.engine")

_LENGTH = struct.Struct(">I")
READ_CHUNK = 1 << 20


def frame(obj: object) -> bytes:
    body = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(body)) + body


def unframe(buf: bytearray) -> tuple[list[Any], int]:
    """The complete frames at the head of `buf`, and how many bytes they took."""
    out: list[Any] = []
    pos, size = 0, len(buf)
    view = memoryview(buf)
    try:
        while size - pos >= 4:
            (n,) = _LENGTH.unpack_from(buf, pos)
            if size - pos - 4 < n:
                break
            out.append(pickle.loads(view[pos + 4 : pos + 4 + n]))
            pos += 4 + n
    finally:
        view.release()
    return out, pos


class Tally(NamedTuple):
    """What the engine counted for one record, for the worker's metrics: engine seconds
    (decoding included), ticker lines by decision, whether the page had no ticker, flashes
    evicted, and the live flashes of the record's source afterwards."""

    seconds: float = 0.0
    new: int = 0
    duplicate: int = 0
    revised: int = 0
    no_ticker: int = 0
    evicted: int = 0
    live: int = 0


class Outcome(NamedTuple):
    """What one input record comes to: its source's events and state changes, or the reason it
    goes to the dead-letter topic instead. (A tuple: it crosses the pipe for every record, and
    a plain tuple pickles several times faster than a dataclass.)"""

    source: str
    events: list[Event]
    changes: list[tuple[bytes, bytes | None]]
    dead_letter: str | None = None
    tally: Tally = Tally()

    @classmethod
    def rejected(cls, reason: str, source: str = "") -> Outcome:
        return cls(source, [], [], reason)


def outcome_of(process: Callable[[Snapshot, datetime], list[Event]], value: bytes | None,
               headers: Headers | None, timestamp: float | None, max_bytes: int,
               now: datetime, *, fmt: str = "auto") -> Outcome:
    """Decode one input record (of input format `fmt`) and run `process` on it (no state
    changes): a bad record or a failing `process` gives the dead-letter reason instead, and the
    stream goes on. The outcome's tally has the time it took."""
    start = time.perf_counter()
    try:
        snapshot = snapshot_from_record(value, headers, timestamp, max_bytes=max_bytes, fmt=fmt)
    except BadRecord as exc:
        outcome = Outcome.rejected(str(exc))
    except Exception as exc:  # whatever a hostile record trips over is that record's fault
        log.exception("decoding a record failed")
        outcome = Outcome.rejected(f"undecodable record: {exc!r}")
    else:
        try:
            outcome = Outcome(snapshot.source, process(snapshot, now), [])
        except Exception as exc:  # an engine bug must not stop the stream: park the record
            log.exception("processing a snapshot of %s failed", snapshot.source,
                          extra={"source": snapshot.source})
            outcome = Outcome.rejected(f"internal error: {exc!r}", snapshot.source)
    return outcome._replace(tally=Tally(seconds=time.perf_counter() - start))


def trim_heap() -> None:
    """Hand memory freed after a restore (decoded records, batches) back to the OS: glibc keeps
    it otherwise, and RSS stays at the restore's peak. A no-op where there is no glibc."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
