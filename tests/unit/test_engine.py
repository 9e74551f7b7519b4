"""The engine over a stream of snapshots: one event per real-world flash."""

from datetime import timedelta
from pathlib import Path

import orjson

from streamer.codec import decode_event, encode_event
from streamer.core.engine import Deduplicator
from streamer.core.model import Decision, Snapshot, SnapshotResult, Verdict
from streamer.core.state import export_state, import_state
from streamer.settings import DedupConfig
from tests.pages import T0, snap

TICKER = [
    "Dutch Police: Rotterdam gunman arrested",
    "Ceasefire in Gaza takes effect",
    "Airspace closed at Ramon Airport",
]


def events(engine: Deduplicator, *snaps):  # type: ignore[no-untyped-def]
    return [e for s in snaps for e in engine.process(s).events]


def outcome(result: SnapshotResult) -> list[Decision]:
    """What a restored engine must reproduce: every decision, except the reason's wording (a
    line seen before is "same line" live, "same text" after a restore: raw lines aren't saved)."""
    return [d._replace(reason="") for d in result.decisions]


def test_first_snapshot_yields_one_event_per_flash_oldest_first() -> None:
    out = events(Deduplicator(), snap(TICKER))
    assert [e.text for e in out] == list(reversed(TICKER))
    assert all(e.kind is Verdict.NEW and e.first_seen == T0 for e in out)


def test_each_event_carries_its_lines_language_through_the_codec() -> None:
    lines = ["Die Regierung plant neue Regeln für das Homeoffice",
             "El Gobierno aprueba la subida del salario mínimo",
             "Ferry operator halts crossings in the storm"]
    out = events(Deduplicator(), snap(lines))
    assert {e.text: e.lang for e in out} == dict(zip(lines, ["de", "es", "en"], strict=True))
    for e in out:
        assert orjson.loads(encode_event(e))["lang"] == e.lang
        assert decode_event(encode_event(e)) == e


def test_an_event_written_before_lang_existed_has_no_language_not_english() -> None:
    old = {"event_id": "e1", "kind": "new", "source": "ar.example", "attribution": None,
           "text": "عاجل: انقطاع الكهرباء", "first_seen": "2025-03-01T08:00:00Z", "url": "u",
           "snapshot": "s"}
    event = decode_event(orjson.dumps(old))
    assert event.lang is None
    assert orjson.loads(encode_event(event)) == old  # re-encoded, still without one


def test_repeats_and_light_edits_across_snapshots_yield_nothing_new() -> None:
    engine = Deduplicator()
    events(engine, snap(TICKER))
    edited = [
        "BREAKING: Dutch police: Rotterdam gunman arrested.",
        "Ceasefire in Gaza takes effect (video)",
        "Airspace closed at Ramon Airport",
    ]
    assert events(engine, snap(TICKER, 5), snap(edited, 10), snap(TICKER, 15, html=True)) == []


def test_new_flash_on_top_of_the_ticker_is_the_only_event() -> None:
    engine = Deduplicator()
    events(engine, snap(TICKER))
    out = events(engine, snap(["Ceasefire in Lebanon takes effect", *TICKER], 5))
    assert [e.text for e in out] == ["Ceasefire in Lebanon takes effect"]


def test_revision_is_linked_to_the_original() -> None:
    engine = Deduplicator()
    [first] = events(engine, snap(["Dutch Police: Two were wounded in a shooting in Rotterdam"]))
    [rev] = events(engine, snap(["Dutch Police: Three were wounded in a shooting in Rotterdam"], 5))
    assert rev.kind is Verdict.REVISED
    assert rev.revision_of == first.event_id
    assert rev.previous_text == first.text
    # the stale version coming back from a cached page is not news again
    assert (
        events(engine, snap(["Dutch Police: Two were wounded in a shooting in Rotterdam"], 9)) == []
    )


def test_sightings_explain_every_line() -> None:
    engine = Deduplicator()
    engine.process(snap(TICKER))
    result = engine.process(snap(["Dutch police: Rotterdam gunman arrested!", *TICKER[1:]], 5))
    top = next(d for d in result.decisions if d.position == 0)
    assert top.verdict is Verdict.DUPLICATE
    assert top.event is None
    assert top.text == "Dutch police: Rotterdam gunman arrested!"
    assert {d.position for d in result.decisions} == {0, 1, 2}


def test_sources_are_deduplicated_separately() -> None:
    engine = Deduplicator()
    a = events(engine, snap(TICKER, source="a.example"))
    b = events(engine, snap(TICKER, source="b.example"))
    assert len(a) == len(b) == 3


def test_page_without_ticker_is_counted_not_an_error() -> None:
    engine = Deduplicator()
    result = engine.process(snap([]))
    assert result.had_ticker is False
    assert engine.stats.no_ticker == 1


def test_event_ids_are_deterministic() -> None:
    stream = [snap(TICKER), snap(["Ceasefire in Lebanon takes effect", *TICKER], 5)]
    assert [e.event_id for e in events(Deduplicator(), *stream)] == [
        e.event_id for e in events(Deduplicator(), *stream)
    ]


def test_flash_not_seen_for_the_ttl_is_forgotten() -> None:
    engine = Deduplicator(DedupConfig(ttl_seconds=3600))
    events(engine, snap(TICKER))
    # another page keeps the source's clock moving; the ticker flash is gone for two hours
    for minute in range(0, 121, 10):
        events(engine, snap(["Unrelated flash about the weather in the capital"], minute))
    assert [e.text for e in events(engine, snap(TICKER[:1], 125))] == TICKER[:1]


def test_a_flash_still_on_the_page_outlives_the_ttl() -> None:
    engine = Deduplicator(DedupConfig(ttl_seconds=3600))
    first = {d.text: d.event_id for d in engine.process(snap(TICKER)).decisions}
    # the same ticker, byte for byte, every 20 minutes for three hours: each sighting renews it
    for minute in range(20, 181, 20):
        result = engine.process(snap(TICKER, minute))
        assert result.events == []
        assert [(d.text, d.event_id, d.verdict) for d in result.decisions] == [
            (text, first[text], Verdict.DUPLICATE) for text in reversed(TICKER)]


def test_future_dated_snapshot_cannot_flush_the_index() -> None:
    engine = Deduplicator(DedupConfig(ttl_seconds=3600, max_future_skew_seconds=600))
    now = T0 + timedelta(minutes=1)  # the adapter's clock
    engine.process(snap(TICKER), now)
    engine.process(snap(["A page whose clock is a year ahead"], 365 * 24 * 60), now)
    assert engine.process(snap(TICKER, 5), now + timedelta(minutes=5)).events == []


def test_size_cap_evicts_least_recently_seen() -> None:
    engine = Deduplicator(DedupConfig(max_flashes_per_source=100))
    towns = [
        "Akko",
        "Bari",
        "Cadiz",
        "Durres",
        "Emden",
        "Fano",
        "Genoa",
        "Hull",
        "Izmir",
        "Jaffa",
        "Kiel",
        "Lagos",
        "Malmo",
        "Nice",
        "Oran",
    ]
    for i in range(150):
        a, b = towns[i % 15], towns[i // 15]
        engine.process(snap([f"Storm closes the harbours of {a} and {b}"], i / 10))
    assert engine.live_flashes() == 100


def test_state_round_trip_decides_exactly_as_before() -> None:
    first = [snap(TICKER, m) for m in range(0, 30, 5)]
    later = [
        snap(
            [
                "Dutch Police: Rotterdam gunman arrested (video)",
                "Ceasefire in Lebanon takes effect",
                *TICKER[1:],
            ],
            40,
        ),
        snap(["Airspace closed at Ramon Airport due to drone fears", *TICKER], 45),
    ]
    straight = Deduplicator()
    for s in first:
        straight.process(s)
    saved = orjson.loads(orjson.dumps(export_state(straight)))  # JSON, no pickle
    restored = import_state(saved)
    assert export_state(restored) == saved
    for s in later:
        assert outcome(restored.process(s)) == outcome(straight.process(s))


def test_clock_is_per_source() -> None:
    engine = Deduplicator(DedupConfig(ttl_seconds=3600))
    events(engine, snap(TICKER, source="a.example"))
    later = T0 + timedelta(hours=5)
    events(engine, snap(["Other site news about the harbour"], 300, source="b.example"))
    assert later > T0
    assert events(engine, snap(TICKER, 10, source="a.example")) == []


def wounded_in_rotterdam() -> list[Snapshot]:
    """A ticker repeated, then one flash lightly edited and revised (the state tests' stream;
    tests/unit/data/state_format2.json was written from it)."""
    return [snap(TICKER, m) for m in range(0, 30, 5)] + [
        snap(["Dutch Police: Two were wounded in Rotterdam", *TICKER], 31),
        snap(["Dutch police: Two were wounded in Rotterdam.", *TICKER], 33),
        snap(["Dutch Police: Three were wounded in Rotterdam", *TICKER], 35),
    ]


def test_incremental_changes_restore_an_engine_that_decides_the_same() -> None:
    from streamer.core.state import StateRecord, apply_record, drain_changes, finish_restore

    stream = wounded_in_rotterdam()
    later = [
        snap(["Ceasefire in Lebanon takes effect", "Dutch police: Three were wounded in Rotterdam",
              *TICKER], 40),
        snap(["Airspace closed at Ramon Airport due to drone fears", *TICKER], 45),
    ]
    live = Deduplicator()
    log: dict[tuple[str, int], StateRecord] = {}  # a compacted topic: last write per key wins
    for s in stream:
        live.process(s)
        for rec in drain_changes(live):
            log[(rec.source, rec.cid)] = rec
    restored = Deduplicator()
    for rec in log.values():
        apply_record(restored, StateRecord(rec.source, rec.cid,
                                           orjson.loads(orjson.dumps(rec.value))))
    finish_restore(restored)
    for s in later:
        assert outcome(restored.process(s)) == outcome(live.process(s))


def test_state_records_of_the_previous_format_restore_an_engine_that_decides_the_same() -> None:
    """Records as the previous release wrote them (full-line keys as text, written by commit
    d124e55 from the stream below): a worker upgraded over its state topic restores them."""
    from streamer.core.state import StateRecord, apply_record, drain_changes, finish_restore

    stream = wounded_in_rotterdam()
    later = [
        snap(["Ceasefire in Lebanon takes effect", "Dutch police: Three were wounded in Rotterdam",
              "Dutch police: two were wounded in Rotterdam", *TICKER], 40),
        snap(["Airspace closed at Ramon Airport due to drone fears", *TICKER], 45),
        snap(["Dutch Police: Rotterdam gunman arrested (video)", *TICKER], 50),
    ]
    live = Deduplicator()
    for s in stream:
        live.process(s)
    old = orjson.loads((Path(__file__).parent / "data" / "state_format2.json").read_bytes())
    assert all(isinstance(k, str) for _, cid, v in old if cid >= 0 for k in v["keys"])
    restored = Deduplicator()
    for source, cid, value in old:
        apply_record(restored, StateRecord(source, cid, value))
    finish_restore(restored)
    restored.process(snap(TICKER, 36))
    assert restored.stats.exact == len(TICKER)  # found by their saved keys, not by LSH
    live.process(snap(TICKER, 36))
    for s in later:
        assert outcome(restored.process(s)) == outcome(live.process(s))
    resaved = [r.value for r in drain_changes(restored) if r.value and "keys" in r.value]
    assert resaved
    assert all(isinstance(k, int) for v in resaved for k in v["keys"])


def test_evicted_flash_leaves_a_tombstone() -> None:
    from streamer.core.state import drain_changes

    engine = Deduplicator(DedupConfig(ttl_seconds=3600))
    engine.process(snap(TICKER))
    drain_changes(engine)
    for minute in range(0, 121, 10):
        engine.process(snap(["Unrelated flash about the weather in the capital"], minute))
    changes = drain_changes(engine)
    assert sum(1 for c in changes if c.value is None) == 3
