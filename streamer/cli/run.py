"""`streamer run`: the Kafka worker. Snapshots topic in, events topic out, bad records to the DLQ.

Runs until SIGTERM or SIGINT, then finishes the records in flight, commits and exits 0.
Exit 1 if the worker crashed (say, a produce was never acknowledged: the input stays
uncommitted and is read again on restart), 2 on a configuration error.
faust is imported only here, inside `run`, so `streamer --help` stays fast.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Coroutine
from typing import Any

from streamer.cli.flags import (
    ENGINE,
    TOPICS,
    add_connection_flags,
    add_input_format_flag,
    add_setting_flags,
)
from streamer.settings import Settings

log = logging.getLogger("streamer.worker")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_flags(parser)
    add_setting_flags(parser, *TOPICS, "create_topics", title="topics")
    add_setting_flags(parser, "web_host", "web_port", "max_snapshot_bytes",
                      "session_timeout_seconds", "data_dir", "engine_in_process",
                      title="worker")
    add_setting_flags(parser, *ENGINE, title="dedup engine")
    add_input_format_flag(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from streamer.kafka.app import create_app, new_engine
    from streamer.kafka.startup import NotReadyServer, prepare
    from streamer.kafka.topics import TopicLayoutError

    # One event loop for the wait and for faust: the engine process starts (imports, ~2 s)
    # while the worker waits for Kafka and its topics, and is ready when the first records come.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    engine = new_engine(settings)
    warm = loop.create_task(engine.start())
    warm.add_done_callback(lambda f: f.cancelled() or f.exception())  # (raised to its users)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)  # faust makes only the last level
        app = create_app(settings, engine=engine)
        with NotReadyServer(settings.web_host, settings.web_port) as health:
            _wait_or_stop(loop, prepare(settings, health, settings.create_topics))
    except _Stopped:
        print("streamer run: stopped while waiting for Kafka", file=sys.stderr)
        code = 0
    except TopicLayoutError as exc:
        print(f"streamer run: {exc}", file=sys.stderr)
        code = 2
    except (OSError, ValueError) as exc:
        print(f"streamer run: {exc}", file=sys.stderr)
        code = 2
    else:
        return execute(app)
    loop.run_until_complete(asyncio.wait([warm]))
    loop.run_until_complete(engine.close())
    loop.close()
    return code


class _Stopped(Exception):
    pass


def _wait_or_stop(loop: asyncio.AbstractEventLoop, waiting: Coroutine[Any, Any, int]) -> int:
    """Run the wait for Kafka; SIGTERM meanwhile cancels it (raising _Stopped), so its clients
    close inside the loop instead of being cut off mid-connection (faust handles SIGTERM later)."""
    task = loop.create_task(waiting)
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return loop.run_until_complete(task)
    except asyncio.CancelledError:
        raise _Stopped from None
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


CRASH_EXIT_SECONDS = 20.0


def _end_after_crash(app: object, grace: float) -> None:
    """A crashed worker always ends: `grace` seconds after the crash, whatever faust's shutdown
    is still waiting for (work that can never finish once the engine is gone) and whether or not
    the event loop still runs, a thread ends the process with exit 1. The input offsets it had
    not committed are read again by the next worker."""

    def watch() -> None:
        while getattr(app, "crash_reason", None) is None:
            time.sleep(0.5)
        time.sleep(grace)
        print(f"streamer run: not stopped {grace:.0f} s after the crash; exiting", file=sys.stderr,
              flush=True)
        os._exit(1)

    threading.Thread(target=watch, name="crash-watchdog", daemon=True).start()


def execute(app: object) -> int:
    """Run a faust app to completion in this process; the exit code says whether it crashed."""
    import faust

    worker = faust.Worker(
        app,  # type: ignore[arg-type]
        quiet=True,
        override_logging=False,  # keep the CLI's logging set-up (stderr, -v)
        redirect_stdouts=False,
        loglevel=logging.getLogger().level or logging.WARNING,
    )
    worker.spinner = None  # a service's log is no terminal: no cursor escapes in it
    _end_after_crash(app, CRASH_EXIT_SECONDS)
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    else:  # pragma: no cover - execute_from_commandline always exits
        code = 0
    crashed = getattr(app, "crash_reason", None)
    if crashed is not None:
        print(f"streamer run: stopped after an error: {crashed!r}", file=sys.stderr)
        return 1
    if code:
        print(f"streamer run: worker failed (exit {code}); see the log above", file=sys.stderr)
    return code
