"""The worker's handle on its engine process: requests go out on a pipe, replies come back in order.

The dedup engine is CPU-bound pure Python. Run inside the worker it would share one thread (and
the GIL) with faust's fetching, producing, heartbeats and commits; in a child process
(`streamer.kafka.enginehost`) it runs on another core while the event loop only moves bytes. The
child is private to one worker: started by it, fed only by it, and gone when its stdin closes,
so a worker killed with -9 takes its engine with it.

The wire format and a record's `Outcome` are in `streamer.kafka.wire`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections import deque
from collections.abc import Callable
from typing import Any

from streamer.kafka.wire import READ_CHUNK, frame, unframe
from streamer.settings import DedupConfig

log = logging.getLogger("streamer.engine")

CLOSE_WAIT_SECONDS = 10.0


class EngineError(Exception):
    """The engine process failed a request or is gone: the worker must stop, not skip."""


class EngineProcess:
    """`python -m streamer.kafka.enginehost`, as futures: `call(op, *args)` gives the reply."""

    def __init__(self, config: DedupConfig, log_format: str = "text") -> None:
        self.config = config
        self.log_format = log_format  # the child logs to the worker's stderr, in its format
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
            sys.executable, "-m", "streamer.kafka.enginehost", self.log_format,
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
            from streamer.kafka.enginehost import Host  # the engine's imports, only when used

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


Engine = EngineProcess | LocalEngine


def tell(engine: Engine, op: str, *args: Any) -> None:
    """A request whose reply only matters if it fails (then it is logged)."""
    engine.call(op, *args).add_done_callback(_log_failure)


def _log_failure(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.error("engine request failed: %s", fut.exception())


def engine_for(config: DedupConfig, in_process: bool, log_format: str = "text") -> Engine:
    return LocalEngine(config) if in_process else EngineProcess(config, log_format)
