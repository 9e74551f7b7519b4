"""The engine behind the worker, in its own process or in the worker's: same answers, in order,
bad records parked with a reason, and a clear error when the process is gone."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime

import orjson
import pytest

from streamer.core.engine import Deduplicator
from streamer.kafka.engineclient import EngineError, engine_for
from streamer.kafka.wire import Outcome
from streamer.settings import DedupConfig
from tests.pages import page_text

FLASHES = ["Dutch Police: Rotterdam gunman arrested", "Ceasefire in Gaza takes effect",
           "Health Ministry: 12 wounded in Khan Younis strike"]
NOW = datetime(2025, 3, 4, tzinfo=UTC).timestamp()


def record(flashes: list[str], minute: int, source: str = "news.example") -> bytes:
    return orjson.dumps({"url": f"https://{source}/live", "source": source,
                         "fetched_at": f"2025-03-03T08:{minute:02d}:00Z",
                         "content": page_text(flashes)})


def stream() -> list[bytes]:
    pages = [FLASHES[1:], FLASHES[1:], FLASHES, [f + "." for f in FLASHES], FLASHES[:2]]
    return [record(p, i) for i, p in enumerate(pages)]


async def outcomes(in_process: bool, records: list[bytes | None]) -> list[Outcome]:
    engine = engine_for(DedupConfig(), in_process)
    await engine.start()
    try:
        replies = [engine.call("process", r, None, None, 1 << 20, NOW) for r in records]
        return [Outcome._make(r) for r in await asyncio.gather(*replies)]
    finally:
        await engine.close()


@pytest.mark.parametrize("in_process", [False, True])
async def test_the_engine_process_answers_like_the_engine_itself(in_process: bool) -> None:
    got = await outcomes(in_process, list(stream()))
    engine = Deduplicator()
    from streamer.codec import make_snapshot

    expected = []
    for raw in stream():
        snap = make_snapshot(**orjson.loads(raw))
        expected.append(engine.process(snap, now=datetime.fromtimestamp(NOW, UTC)).events)
    assert [o.events for o in got] == expected
    assert sum(len(o.events) for o in got) == 3  # two flashes, then one on top; edits are not new
    assert all(o.dead_letter is None and o.source == "news.example" for o in got)
    assert got[0].changes
    assert not got[1].changes


@pytest.mark.parametrize("in_process", [False, True])
async def test_a_bad_record_gets_a_reason_and_the_next_one_still_works(in_process: bool) -> None:
    got = await outcomes(in_process, [b"{not json", None, record(FLASHES, 0)])
    assert got[0].dead_letter is not None
    assert got[0].events == []
    assert got[1].dead_letter == "empty record (no value)"
    assert got[2].dead_letter is None
    assert len(got[2].events) == 3


async def test_requests_after_the_engine_process_died_fail_with_a_clear_error() -> None:
    engine = engine_for(DedupConfig(), in_process=False)
    await engine.start()
    assert engine._proc is not None  # type: ignore[union-attr]
    os.kill(engine._proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
    await engine._proc.wait()  # type: ignore[union-attr]
    with pytest.raises(EngineError, match="engine process"):
        await engine.call("process", record(FLASHES, 0), None, None, 1 << 20, NOW)
    await engine.close()


async def test_the_engine_process_exits_when_its_worker_closes_its_input() -> None:
    engine = engine_for(DedupConfig(), in_process=False)
    await engine.start()
    proc = engine._proc  # type: ignore[union-attr]
    assert proc is not None
    await engine.close()
    assert proc.returncode == 0

