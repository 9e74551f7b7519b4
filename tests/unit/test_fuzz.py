"""Property-based fuzzing (hypothesis): whatever a record, a header, a time, a URL, a page or a
state record holds, the engine answers (events or a dead letter with a reason), never raises, and
`tail` shows the result without terminal escapes.

The number of examples is bounded by a profile: `HYPOTHESIS_PROFILE=ci` (what .ci/run uses, about
a minute in all) or `dev` (the default, a few seconds). bench/fuzz.py runs a longer campaign.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.hostile import CONTENT_TYPES, FRAGMENTS, SOURCES, TIMES, URLS
from streamer.cli.tailview import format_event
from streamer.codec import EARLIEST, LATEST, BadRecord, encode_event, parse_time
from streamer.core.clean import clean_line
from streamer.core.match import decide
from streamer.kafka.enginehost import Host
from streamer.kafka.statekeys import state_key
from tests.pages import page_text

_COMMON = {"deadline": None, "database": None,
           "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("ci", max_examples=200, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("dev", max_examples=40, **_COMMON)  # type: ignore[arg-type]
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC).timestamp()
UNSAFE = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, 0x202E, 0x200B]}

json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers(-2**63, 2**63 - 1) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8)
pages = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=12), max_size=40).map("".join)
times = st.sampled_from(TIMES) | st.text(max_size=40) | st.integers(-2**63, 2**63 - 1) | st.floats()
urls = st.sampled_from(URLS) | st.text(max_size=40).map(lambda t: f"http://{t}/")
envelopes = st.fixed_dictionaries(
    {"url": urls, "fetched_at": times, "content": pages},
    optional={"content_type": st.sampled_from(CONTENT_TYPES) | st.text(max_size=12),
              "source": st.sampled_from(SOURCES) | st.text(max_size=12), "id": json_values,
              "extra": json_values})
header_names = st.sampled_from(["url", "URL", "fetched-at", "fetched_at", "content_type",
                                "source", "id", "x"])
headers = st.lists(st.tuples(header_names, st.binary(max_size=40) | urls.map(
    lambda u: u.encode("utf-8", "surrogatepass"))), max_size=5)
values = (envelopes.map(lambda d: orjson.dumps(d, option=orjson.OPT_NON_STR_KEYS))
          | pages.map(lambda p: p.encode("utf-8", "surrogatepass")) | st.binary(max_size=300)
          | st.none())


def run(host: Host, value: bytes | None, hdrs: list[tuple[str, bytes]] | None,
        timestamp: float | None) -> tuple[Any, ...]:
    status, reply = host.handle(("process", (value, hdrs, timestamp, 5 << 20, NOW)))
    assert status == "ok", reply  # an error reply would stop the worker
    return tuple(reply)


@given(values, headers, st.none() | st.floats() | st.integers(-1, 2**40))
def test_no_record_stops_the_engine_and_every_event_is_safe_to_publish_and_show(
        value: bytes | None, hdrs: list[tuple[str, bytes]], timestamp: float | None) -> None:
    host = Host()
    _, events, _, dead_letter, *_ = run(host, value, hdrs or None, timestamp)
    if dead_letter is not None:
        assert isinstance(dead_letter, str)
        assert dead_letter
        assert events == []
    for event in events:
        assert len(encode_event(event)) < 100_000  # far below Kafka's 1 MB
        line = format_event(orjson.loads(encode_event(event)))
        assert not UNSAFE & set(line)
    # the engine still answers a plain good record afterwards
    good = orjson.dumps({"url": "https://news.example/live", "fetched_at": "2025-03-03T08:00:00Z",
                         "content": page_text(["Dutch Police: Rotterdam gunman arrested"])})
    assert run(host, good, None, None)[3] is None


@given(envelopes)
def test_every_envelope_is_a_snapshot_or_a_bad_record(doc: dict[str, Any]) -> None:
    value = orjson.dumps(doc, option=orjson.OPT_NON_STR_KEYS)
    _, _, _, dead_letter, *_ = run(Host(), value, None, None)
    assert dead_letter is None or not dead_letter.startswith(("undecodable", "internal"))


@given(times)
def test_any_time_is_in_the_accepted_range_or_a_bad_record(value: object) -> None:
    try:
        when = parse_time(value)
    except BadRecord:
        return
    assert EARLIEST <= when < LATEST


@given(st.lists(st.tuples(st.integers(-2, 5), json_values | st.just("keep")), max_size=6),
       st.sampled_from(["event_id", "latest", "first_seen", "last_seen", "keys", "variants",
                        "raws"]))
def test_any_state_record_is_restored_or_skipped_and_the_restore_completes(
        edits: list[tuple[int, object]], field: str) -> None:
    host = Host()
    run(host, orjson.dumps({"url": "https://news.example/live", "content": page_text(
        ["Dutch Police: Rotterdam gunman arrested"]), "fetched_at": "2025-03-03T08:00:00Z"}),
        None, None)
    valid = orjson.loads(host.handle(("process", (orjson.dumps({
        "url": "https://news.example/live", "fetched_at": "2025-03-03T08:05:00Z",
        "content": page_text(["Ceasefire in Gaza takes effect"])}), None, None, 5 << 20,
        NOW)))[1][2][0][1])
    records = []
    for i, (cid, edit) in enumerate(edits):
        value = valid if edit == "keep" else {**valid, field: edit} if i % 2 else edit
        key = state_key("news.example", cid) if cid >= -1 else b"\xff junk"
        records.append((key, orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS), i))
    status, skipped = host.handle(("apply", (records,)))
    assert status == "ok"
    assert 0 <= skipped <= len(records)
    assert host.handle(("finish", (["news.example"],)))[0] == "ok"
    assert run(host, orjson.dumps({"url": "https://news.example/live", "fetched_at":
                                   "2025-03-03T08:10:00Z", "content": page_text(
                                       ["Dutch Police: Rotterdam gunman arrested"])}),
               None, None)[3] is None


@given(st.dictionaries(st.sampled_from(["event_id", "kind", "source", "text", "attribution",
                                        "first_seen", "revision_of", "previous_text"]),
                       json_values | st.text() | times, max_size=8),
       st.none() | st.integers(-2**63, 2**63))
def test_tail_shows_any_event_without_escapes(event: dict[str, Any], fallback: int | None
                                              ) -> None:
    line = format_event(event, fallback_ms=fallback)
    assert not UNSAFE & set(line)


# Words that meet in many ways: shared, typos, figures and number words, derivations, numerals,
# abbreviations, compounds, speakers ("Police:", ", X says") and small words.
HEADLINE_WORDS = ("storm stomr harbour harbor closes closed police Police: Army: say says two 2 "
                  "dead killed in at Gaza Lebanon the of a WWII ww2 Finland Finnish govt "
                  "government wildfire fire world tour worldtour , BREAKING").split()
headlines = st.lists(st.sampled_from(HEADLINE_WORDS), min_size=1, max_size=12).map(" ".join)


@given(headlines, headlines, st.booleans())
def test_a_pair_decision_scores_between_0_and_1(new: str, known: str, replaced: bool) -> None:
    # (the engine stops at the first duplicate scored 1: no candidate may rank above it)
    assert 0.0 <= decide(clean_line(new), clean_line(known), replaced).score <= 1.0
