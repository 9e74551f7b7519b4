"""Memory, clocks and saved state that an attacker (or a crash) controls stay sound: sources
without a flash leave nothing, one cap bounds all sources, event time follows the pages without
being dragged or flung, and a corrupt state record is skipped, never half-applied."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from streamer.core.engine import Deduplicator
from streamer.core.records import BadState
from streamer.core.state import (
    META,
    StateRecord,
    apply_record,
    drain_changes,
    export_state,
    finish_restore,
)
from streamer.kafka.enginehost import Host
from streamer.kafka.statekeys import state_key
from streamer.settings import DedupConfig
from tests.pages import T0, snap

TICKER = ["Dutch Police: Rotterdam gunman arrested", "Ceasefire in Gaza takes effect"]


def _word(n: int) -> str:
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    return "".join(syllables[(n // 70**k) % 70] for k in range(3))


def flash(i: int) -> str:
    """A flash unlike every other one (five words of its own)."""
    return " ".join(_word(i * 5 + k).capitalize() if k == 0 else _word(i * 5 + k)
                    for k in range(5))


# -- memory ----------------------------------------------------------------------------------


def test_pages_without_a_flash_leave_no_state_behind() -> None:
    engine = Deduplicator()
    for i in range(500):
        engine.process(snap([], i, source=f"site{i}.example"))  # no ticker
        engine.process(snap(["BREAKING", "!!!", "\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b"],
                            i, source=f"other{i}.example"))  # a ticker of nothing matchable
    assert len(engine.sources) == 0
    assert engine.live_flashes() == 0


def test_one_cap_bounds_the_flashes_of_all_sources_least_recently_active_first() -> None:
    engine = Deduplicator(DedupConfig(max_flashes=140))  # a source counts as 2 flashes
    for s in range(50):
        engine.process(snap([flash(s * 10 + k) for k in range(5)], s, source=f"s{s}.example"))
    assert engine.live_flashes() == 100  # 20 sources of 5 flashes: 100 + 2 x 20 = 140
    # the 20 most recently active sources keep everything; the oldest lost theirs
    assert engine.process(snap([flash(490)], 60, source="s49.example")).events == []
    assert len(engine.process(snap([flash(0)], 61, source="s0.example")).events) == 1
    assert engine.live_flashes() + 2 * len(engine.sources) <= 140
    assert "s1.example" not in engine.sources


def test_many_sources_of_one_flash_each_are_bounded_too() -> None:
    engine = Deduplicator(DedupConfig(max_flashes=300))
    for s in range(1000):
        engine.process(snap([flash(s)], s, source=f"s{s}.example"))
    assert len(engine.sources) == 100  # each weighs its flash and 2 for its index
    assert engine.live_flashes() == 100


def test_a_source_emptied_by_the_cap_is_saved_as_tombstones() -> None:
    engine = Deduplicator(DedupConfig(max_flashes=104))  # 100 flashes, 2 sources at 2 each
    engine.process(snap([flash(k) for k in range(5)], 0, source="old.example"))
    drain_changes(engine)
    engine.process(snap([flash(100 + k) for k in range(100)][:30], 1, source="new.example"))
    engine.process(snap([flash(200 + k) for k in range(30)], 2, source="new.example"))
    engine.process(snap([flash(300 + k) for k in range(30)], 3, source="new.example"))
    engine.process(snap([flash(400 + k) for k in range(30)], 4, source="new.example"))
    records = drain_changes(engine)
    old = [r for r in records if r.source == "old.example"]
    assert {r.cid for r in old} == {0, 1, 2, 3, 4, META}
    assert all(r.value is None for r in old)  # flashes and the source's record: tombstones


# -- event time ------------------------------------------------------------------------------


def test_a_stale_first_snapshot_does_not_shorten_the_ttl() -> None:
    engine = Deduplicator()  # TTL 72 h
    engine.process(snap(["A flash from a stale cache nine days old"], -9 * 24 * 60))
    engine.process(snap(TICKER, 0))
    for minute in range(10, 15 * 60, 10):  # a 10-minute cadence for 15 hours
        engine.process(snap([flash(minute)], minute))
    assert engine.process(snap(TICKER, 15 * 60 + 5)).events == []


def test_a_crawler_outage_does_not_shorten_the_ttl() -> None:
    engine = Deduplicator()
    engine.process(snap(TICKER, 0))
    engine.process(snap([flash(1)], 10))
    for minute in range(48 * 60, 50 * 60, 10):  # back after two days
        engine.process(snap([flash(minute)], minute))
    assert engine.process(snap(TICKER, 50 * 60)).events == []


def test_a_far_future_first_snapshot_is_clamped_and_still_evicted() -> None:
    engine = Deduplicator(DedupConfig(ttl_seconds=3600))
    now = T0
    engine.process(snap(["A flash dated in the year 2099 to pin the index"],
                        (datetime(2099, 1, 1, tzinfo=UTC) - T0).total_seconds() / 60), now)
    assert engine.sources["news.example"].clock == now.timestamp() + 3600
    for hour in range(1, 4):
        engine.process(snap([flash(hour)], hour * 60), now + timedelta(hours=hour))
    assert engine.live_flashes() == 2  # the flashes of hours 2 and 3: the 2099 one expired
    again = snap(["A flash dated in the year 2099 to pin the index"], 3 * 60 + 1)
    assert len(engine.process(again, now + timedelta(hours=3)).events) == 1


def test_an_old_snapshot_never_drags_the_clock_back() -> None:
    engine = Deduplicator()
    engine.process(snap(TICKER, 0))
    clock = engine.sources["news.example"].clock
    engine.process(snap([flash(1)], -3 * 24 * 60))
    assert engine.sources["news.example"].clock == clock


# -- state restore ---------------------------------------------------------------------------


def saved_flash(**changes: Any) -> dict[str, Any]:
    engine = Deduplicator()
    engine.process(snap(TICKER[:1], 0))
    [record] = [r for r in drain_changes(engine) if r.cid == 0]
    assert record.value is not None
    return {**record.value, **changes}


def test_restored_ids_are_never_handed_out_again() -> None:
    # a flash's record restored without its source's record (kill -9 between the two)
    engine = Deduplicator()
    apply_record(engine, StateRecord("news.example", 0, saved_flash()))
    finish_restore(engine)
    assert len(engine.process(snap(TICKER[1:], 5)).events) == 1  # a new flash: id 1, not 0
    for minute in (10, 20):  # the restored flash is still known, every time
        assert engine.process(snap(TICKER, minute)).events == []


CORRUPT: dict[str, object] = {
    "a list": [1, 2, 3],
    "a string": "soon",
    "no event_id": saved_flash(event_id=None),
    "latest of one": saved_flash(latest=["only the raw line"]),
    "last_seen soon": saved_flash(last_seen="soon"),
    "last_seen NaN": saved_flash(last_seen=float("nan")),
    "first_seen nonsense": saved_flash(first_seen="yesterday"),
    "keys as a string": saved_flash(keys="abc"),
    "a short signature": saved_flash(variants=[[0, "x", "AAAA"]]),
    "signature not base64": saved_flash(variants=[[0, "x", "!!!!"]]),
    "variant id out of range": saved_flash(variants=[[-1, "x", saved_flash()["variants"][0][2]]]),
    "variant id huge": saved_flash(variants=[[2**40, "x", saved_flash()["variants"][0][2]]]),
    "variant as a dict": saved_flash(variants=[{"vid": 0}]),
    "truncated": saved_flash(variants=[[0, "x"]]),
}


@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_a_corrupt_state_record_is_refused_whole_and_changes_nothing(name: str) -> None:
    engine = Deduplicator()
    engine.process(snap(TICKER, 0))
    drain_changes(engine)
    before = export_state(engine)
    with pytest.raises(BadState):
        apply_record(engine, StateRecord("news.example", 0, CORRUPT[name]))  # type: ignore[arg-type]
    assert export_state(engine) == before
    assert engine.process(snap(TICKER, 5)).events == []


def test_a_variant_id_of_another_flash_is_refused() -> None:
    engine = Deduplicator()
    engine.process(snap(TICKER, 0))
    taken = saved_flash()  # its variant id 0 belongs to flash 0 here
    with pytest.raises(BadState, match="belongs to flash"):
        apply_record(engine, StateRecord("news.example", 7, taken))


@pytest.mark.parametrize("meta", [{"clock": "soon", "last_evict": None, "next_cid": 1,
                                   "next_variant": 1}, {"clock": 1.0}, [1], "x"])
def test_a_corrupt_source_record_is_refused(meta: object) -> None:
    with pytest.raises(BadState):
        apply_record(Deduplicator(), StateRecord("news.example", META, meta))  # type: ignore[arg-type]


def test_the_engine_process_skips_counts_and_logs_invalid_records_and_completes(
        caplog: pytest.LogCaptureFixture) -> None:
    host = Host()
    good = orjson.dumps(saved_flash())
    records = [(state_key("news.example", 3), orjson.dumps(v), 100 + i)
               for i, v in enumerate(CORRUPT.values())]
    records += [(b"\xff\xfe not a key", good, 200), (state_key("news.example", 4), b"{trunc", 201),
                (state_key("news.example", 0), good, 202)]
    with caplog.at_level(logging.WARNING, "streamer.engine"):
        status, skipped = host.handle(("apply", (records,)))
    assert (status, skipped) == ("ok", len(CORRUPT) + 2)
    assert "offset 201" in caplog.text
    assert "news.example\\x003" in caplog.text
    status, live = host.handle(("finish", (["news.example"],)))
    assert live == {"news.example": 1}  # the valid record came through


def test_restoring_a_record_of_many_keys_is_linear() -> None:
    def restore(n: int) -> float:
        value = saved_flash(keys=[f"key {i}" for i in range(n)])
        engine = Deduplicator()
        start = time.perf_counter()
        apply_record(engine, StateRecord("news.example", 0, value))
        return time.perf_counter() - start

    restore(1000)
    assert restore(100_000) / max(restore(10_000), 1e-4) < 30  # linear: 10; quadratic: 100
