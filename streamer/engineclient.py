"""The worker's handle on its engine process: requests go out on a pipe, replies come back in order.

The dedup engine is CPU-bound pure Python. Run inside the worker it would share one thread (and
the GIL) with faust's fetching, producing, heartbeats and commits; in a child process
(`streamer.enginehost`) it runs on another core while the event loop only moves bytes. The
child is private to one worker: started by it, fed only by it, and gone when its stdin closes,
so a worker killed with -9 takes its engine with it.

Wire format, both ways: a 4-byte big-endian length, then a pickle. A request is `(op, args)`;
replies come in request order, `("ok", value)` or `("error", text)`. Pickle is safe here: both
ends are this package, over a pipe nobody else holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import pickle
import struct
import sys
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from streamer.codec import BadRecord
from streamer.envelope import Headers, snapshot_from_record
from streamer.model import Event, Snapshot
from streamer.settings import DedupConfig

log = logging.getLogger("streamer.engine")

_LENGTH = struct.Struct(">I")
READ_CHUNK = 1 << 20
CLOSE_WAIT_SECONDS = 10.0


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


class Outcome(NamedTuple):
    """What one input record comes to: its source's events and state changes, or the reason it
    goes to the dead-letter topic instead. (A tuple: it crosses the pipe for every record, and
    a plain tuple pickles several times faster than a dataclass.)"""

    source: str
    events: list[Event]
    changes: list[tuple[bytes, bytes | None]]
    dead_letter: str | None = None

    @classmethod
    def rejected(cls, reason: str, source: str = "") -> Outcome:
        return cls(source, [], [], reason)


def outcome_of(process: Callable[[Snapshot, datetime], list[Event]], value: bytes | None,
               headers: Headers | None, timestamp: float | None, max_bytes: int,
               now: datetime) -> Outcome:
    """Decode one input record and run `process` on it (no state changes): a bad record or a
    failing `process` gives the dead-letter reason instead, and the stream goes on."""
    try:
        snapshot = snapshot_from_record(value, headers, timestamp, max_bytes=max_bytes)
    except BadRecord as exc:
        return Outcome.rejected(str(exc))
    try:
        return Outcome(snapshot.source, process(snapshot, now), [])
    except Exception as exc:  # an engine bug must not stop the stream: park the record
        log.exception("processing a snapshot of %s failed", snapshot.source)
        return Outcome.rejected(f"internal error: {exc!r}", snapshot.source)


class EngineError(Exception):
    """The engine process failed a request or is gone: the worker must stop, not skip."""


class EngineProcess:
    """`python -m streamer.enginehost`, as futures: `call(op, *args)` resolves to the reply."""

    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._waiting: deque[asyncio.Future[Any]] = deque()
        self._gone: EngineError | None = None
        self._starting: asyncio.Future[None] | None = None
        self._unsent: list[bytes] = []  # requests made in this turn of the event loop
        self._closing = False
        # told when the child ends without being closed, even with no request waiting
        self.on_gone: Callable[[EngineError], object] | None = None

    async def start(self) -> None:
        """Start the child once (callers wait for the first); raises EngineError if it can't."""
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start())
        await asyncio.shield(self._starting)

    async def _start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "streamer.enginehost",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        self._reader = asyncio.ensure_future(self._read(self._proc))
        await self.call("init", self.config)

    def call(self, op: str, *args: Any) -> asyncio.Future[Any]:
        """Send a request now; the future gets the reply's value, or EngineError."""
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        proc = self._proc
        if self._gone is not None or proc is None or proc.stdin is None:
            fut.set_exception(self._gone or EngineError("the engine process is not running"))
            return fut
        if not self._unsent:
            asyncio.get_running_loop().call_soon(self._flush)
        self._unsent.append(frame((op, args)))
        self._waiting.append(fut)
        return fut

    def _flush(self) -> None:
        """One write (and one wake-up of the child) for all of a loop turn's requests."""
        proc, unsent = self._proc, self._unsent
        self._unsent = []
        if proc is not None and proc.stdin is not None and not proc.stdin.is_closing():
            proc.stdin.write(b"".join(unsent))

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        buf = bytearray()
        try:
            while chunk := await proc.stdout.read(READ_CHUNK):
                buf += chunk
                replies, used = unframe(buf)
                del buf[:used]
                for status, value in replies:
                    fut = self._waiting.popleft()
                    if fut.done():
                        continue
                    if status == "ok":
                        fut.set_result(value)
                    else:
                        fut.set_exception(EngineError(value))
            code = await proc.wait()
            self._gone = EngineError(f"the engine process exited (code {code})")
        except Exception as exc:  # a broken pipe or a reply that does not decode
            self._gone = EngineError(f"lost the engine process: {exc!r}")
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        while self._waiting:
            fut = self._waiting.popleft()
            if not fut.done():
                fut.set_exception(self._gone)
        if not self._closing and self.on_gone is not None:
            self.on_gone(self._gone)

    async def close(self) -> None:
        """Close the child's input: it finishes what it was sent and exits."""
        proc = self._proc
        if proc is None or proc.stdin is None:
            return
        self._closing = True
        if self._gone is None:
            self._gone = EngineError("the engine process was closed")
        if self._unsent:
            self._flush()
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), CLOSE_WAIT_SECONDS)
        except TimeoutError:
            proc.kill()
            await proc.wait()
        if self._reader is not None:
            await self._reader


class LocalEngine:
    """The same requests answered in the worker's own process (`engine_in_process=true`): less
    memory (no second interpreter, numpy and index under one roof), but the engine then shares
    the event loop's core."""

    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self._host: Any = None
        self.on_gone: Callable[[EngineError], object] | None = None  # (never: no child)

    async def start(self) -> None:
        if self._host is None:
            from streamer.enginehost import Host  # the engine's imports, only when used

            self._host = Host()
            self._host.op_init(self.config)

    def call(self, op: str, *args: Any) -> asyncio.Future[Any]:
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self._host is None:
            fut.set_exception(EngineError("the engine is not started"))
            return fut
        status, value = self._host.handle((op, args))
        if status == "ok":
            fut.set_result(value)
        else:
            fut.set_exception(EngineError(value))
        return fut

    async def close(self) -> None:
        self._host = None


def trim_heap() -> None:
    """Hand memory freed after a restore (decoded records, batches) back to the OS: glibc keeps
    it otherwise, and RSS stays at the restore's peak. A no-op where there is no glibc."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


Engine = EngineProcess | LocalEngine


def tell(engine: Engine, op: str, *args: Any) -> None:
    """A request whose reply only matters if it fails (then it is logged)."""
    engine.call(op, *args).add_done_callback(_log_failure)


def _log_failure(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.error("engine request failed: %s", fut.exception())


def engine_for(config: DedupConfig, in_process: bool) -> Engine:
    return LocalEngine(config) if in_process else EngineProcess(config)
