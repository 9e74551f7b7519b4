"""`streamer tail` without a broker: time parsing, filters, readable lines, start offsets and the
follow loop against an in-memory consumer."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from streamer.cli import tail
from streamer.cli.tailview import COLOR, PLAIN, EventFilter, format_event, parse_since, short_id
from streamer.settings import Settings

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


@pytest.fixture
def amsterdam(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time = Europe/Amsterdam (UTC+1 in November), so 'local' is visibly not UTC."""
    monkeypatch.setenv("TZ", "Europe/Amsterdam")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def event(**kw: Any) -> dict[str, Any]:
    base = {
        "event_id": "1a2b3c4d5e6f7788",
        "kind": "new",
        "source": "almayadeen.net",
        "text": "Dutch Police: Rotterdam gunman arrested",
        "attribution": "Dutch Police",
        "first_seen": "2026-11-21T08:14:03Z",
        "url": "https://www.almayadeen.net/breaking",
        "snapshot": "s1",
    }
    base.update(kw)
    return base


# --since ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "back"),
    [
        ("90s", timedelta(seconds=90)),
        ("10m", timedelta(minutes=10)),
        ("2h", timedelta(hours=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        ("3d", timedelta(days=3)),
        ("1w", timedelta(weeks=1)),
        ("2H", timedelta(hours=2)),
    ],
)
def test_since_relative_counts_back_from_now(text: str, back: timedelta) -> None:
    assert parse_since(text, NOW) == NOW - back


def test_since_rfc3339_with_offset_or_z() -> None:
    assert parse_since("2026-11-21T09:00:00Z", NOW) == datetime(2026, 11, 21, 9, tzinfo=UTC)
    assert parse_since("2026-11-21T10:00:00+01:00", NOW) == datetime(2026, 11, 21, 9, tzinfo=UTC)


def test_since_without_offset_is_utc_as_in_snapshots(amsterdam: None) -> None:
    assert parse_since("2026-11-21 10:00", NOW) == datetime(2026, 11, 21, 10, tzinfo=UTC)
    assert parse_since("2026-11-21", NOW) == datetime(2026, 11, 21, tzinfo=UTC)


def test_since_filters_on_first_seen_not_on_write_time() -> None:
    flt = EventFilter.build(None, None, datetime(2026, 11, 21, 9, tzinfo=UTC))
    assert flt.active
    assert flt.matches(event(first_seen="2026-11-21T09:00:00Z"))
    assert not flt.matches(event(first_seen="2026-11-21T08:59:59Z"))


@pytest.mark.parametrize("text", ["", "yesterday", "10", "10x", "m10", "2026-13-01"])
def test_since_rejects_nonsense_with_a_hint(text: str) -> None:
    with pytest.raises(ValueError, match=r"empty time|RFC 3339"):
        parse_since(text, NOW)


# filters ---------------------------------------------------------------------------------


def test_source_filter_any_of_case_insensitive_comma_or_repeat() -> None:
    flt = EventFilter.build(["BBC.co.uk,dw.com", "reuters.com"], None)
    assert flt.active
    assert flt.matches(event(source="bbc.co.uk"))
    assert flt.matches(event(source="dw.com"))
    assert flt.matches(event(source="reuters.com"))
    assert not flt.matches(event(source="almayadeen.net"))


def test_grep_searches_text_and_previous_text_ignoring_case() -> None:
    flt = EventFilter.build(None, r"rotterdam\b")
    assert flt.matches(event())
    assert flt.matches(event(text="Shooter killed", previous_text="Shooter in Rotterdam"))
    assert not flt.matches(event(text="Storm in Hamburg"))


def test_no_filter_passes_everything() -> None:
    flt = EventFilter.build(None, None)
    assert not flt.active
    assert flt.matches({})


# readable lines --------------------------------------------------------------------------


def test_new_event_line_shows_utc_time_source_text_and_id(amsterdam: None) -> None:
    assert format_event(event()) == (
        "2026-11-21 08:14:03Z  almayadeen.net  Dutch Police: Rotterdam gunman arrested  #1a2b3c4d"
    )


def test_printed_time_reads_back_as_the_same_since(amsterdam: None) -> None:
    stamp = format_event(event()).split("  ")[0]
    assert parse_since(stamp, NOW) == datetime(2026, 11, 21, 8, 14, 3, tzinfo=UTC)


def test_trailing_attribution_is_not_repeated_in_front() -> None:
    line = format_event(event(text="Putin and Erdogan discussed Syria, the Kremlin says",
                              attribution="the Kremlin"))
    assert "  Putin and Erdogan discussed Syria, the Kremlin says  " in line
    assert line.count("Kremlin") == 1


def test_revision_is_marked_linked_to_the_original_and_shows_what_changed(amsterdam: None) -> None:
    line = format_event(event(
        event_id="77f0e2aa99", kind="revised", text="Dutch Police: Rotterdam gunman killed",
        revision_of="1a2b3c4d5e6f7788", previous_text="Dutch Police: Rotterdam gunman arrested",
        first_seen="2026-11-21T08:20:41Z",
    ))
    assert line == (
        "2026-11-21 08:20:41Z  almayadeen.net  [REVISED of #1a2b3c4d] Dutch Police: Rotterdam "
        'gunman killed  (was: "Dutch Police: Rotterdam gunman arrested")  #77f0e2aa'
    )
    # The link is greppable: the original line ends with the id the revision names.
    assert format_event(event()).endswith(f"#{short_id('1a2b3c4d5e6f7788')}")


def test_attribution_missing_from_text_is_prefixed() -> None:
    line = format_event(event(text="Rotterdam gunman arrested", attribution="Dutch Police"))
    assert "  Dutch Police: Rotterdam gunman arrested  " in line


def test_control_characters_cannot_reach_the_terminal() -> None:
    line = format_event(event(text="Breaking\x1b[2J\x1b]0;pwned\x07 news\nsecond line",
                              attribution=None))
    assert "\x1b" not in line
    assert "\x07" not in line
    assert "\n" not in line
    assert "Breaking" in line
    assert "second line" in line


def test_color_only_when_asked() -> None:
    assert "\x1b[" not in format_event(event(), PLAIN)
    colored = format_event(event(kind="revised", revision_of="x", previous_text="y"), COLOR)
    assert "\x1b[33;1m[REVISED of #x]\x1b[0m" in colored


def test_missing_first_seen_falls_back_to_record_time(amsterdam: None) -> None:
    ms = int(datetime(2026, 11, 21, 8, 0, 5, tzinfo=UTC).timestamp() * 1000)
    assert format_event(event(first_seen=None), fallback_ms=ms).startswith("2026-11-21 08:00:05Z")


@pytest.mark.parametrize(
    ("first_seen", "shown"),
    [
        ("2026-11-21T08:14:03Z", "2026-11-21 08:14:03Z"),
        ("2026-11-21T08:14:03.987654Z", "2026-11-21 08:14:03Z"),  # a fraction is cut, not rounded
        ("2026-11-21t08:14:03z", "2026-11-21 08:14:03Z"),
        ("2026-11-21 08:14:03Z", "2026-11-21 08:14:03Z"),
        ("2026-11-21T09:14:03+01:00", "2026-11-21 08:14:03Z"),  # an offset is shown in UTC
        ("2026-11-21T08:14:03", "2026-11-21 08:14:03Z"),  # no offset: UTC, not local time
        ("2026-12-31T23:59:60Z", "2026-12-31 23:59:59Z"),  # a leap second
        ("2099-12-31T23:59:59Z", "2099-12-31 23:59:59Z"),
    ],
)
def test_printed_time_is_first_seen_in_utc(amsterdam: None, first_seen: str, shown: str) -> None:
    assert format_event(event(first_seen=first_seen)).startswith(f"{shown}  almayadeen.net")


@pytest.mark.parametrize(
    "first_seen",
    ["2026-13-21T08:14:03Z", "2026-02-29T08:14:03Z", "2026-11-21T08:61:03Z",
     "2026-11-21T08:14:61Z", "2100-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
     "2026-11-21T08:14:03.Z", "2026-11-21T08:14:3Z", True, ""],
)
def test_impossible_first_seen_shows_the_record_time_instead(first_seen: object) -> None:
    ms = int(datetime(2026, 11, 21, 8, 0, 5, tzinfo=UTC).timestamp() * 1000)
    assert format_event(event(first_seen=first_seen), fallback_ms=ms).startswith(
        "2026-11-21 08:00:05Z  ")
    assert format_event(event(first_seen=first_seen)).startswith("????-??-?? ??:??:??  ")


def test_source_and_attribution_are_cleaned_on_every_line() -> None:
    shown = event(source="bbc\x1b[2J.co.uk", attribution="Dutch\u202e Police",
                  text="Rotterdam gunman arrested")
    for _ in range(2):  # (the second line comes from the cache of names)
        line = format_event(shown)
        assert "\x1b" not in line
        assert "\u202e" not in line
        assert "  bbc [2J.co.uk  Dutch Police: Rotterdam gunman arrested  #1a2b3c4d" in line


def test_other_spaces_stay_runs_of_plain_spaces_collapse() -> None:
    line = format_event(event(text="Gunman\u00a0arrested \u200b  in   Rotterdam\u2028now",
                              attribution=None))
    assert "  Gunman\u00a0arrested in Rotterdam now  #" in line


def test_filters_see_the_decoded_value_not_its_json_spelling() -> None:
    escaped = (b'{"event_id":"e1","kind":"new","source":"\\u0041lMayadeen.NET",'
               b'"text":"Rotterdam \\u0073hooter arrested","first_seen":"2026-11-21T08:14:03Z"}')
    logs = {TP("ev", 0): [Rec("ev", 0, 0, 1, escaped)]}
    for argv in (["--grep", "SHOOTER"], ["--source", "almayadeen.net"]):
        lines, _ = run_follow(FakeConsumer(logs), ["--exit-at-end", *argv])
        assert lines == [b"2026-11-21 08:14:03Z  AlMayadeen.NET  Rotterdam shooter arrested  #e1"]
    lines, _ = run_follow(FakeConsumer(logs), ["--exit-at-end", "--grep", "u0073"])
    assert lines == []


# flags -----------------------------------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    tail.add_arguments(parser)
    return parser.parse_args(argv)


def test_options_defaults_follow_the_output_topic_plain_when_piped() -> None:
    opts = tail.options(parse(), Settings(), NOW, stdout_isatty=False)
    assert opts.topic == "breaking-events"
    assert opts.style is PLAIN
    assert opts.group is None
    assert tail.options(parse(), Settings(), NOW, stdout_isatty=True).style is COLOR
    assert tail.options(parse("--json"), Settings(), NOW, stdout_isatty=True).style is PLAIN
    assert tail.options(parse("--color", "always"), Settings(), NOW, False).style is COLOR


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "soon"], "--since"),
        (["--grep", "("], "--grep"),
        (["--group", "g", "--last", "3"], "--group"),
        (["--timeout", "0"], "--timeout"),
    ],
)
def test_options_reject_bad_combinations(argv: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tail.options(parse(*argv), Settings(), NOW, stdout_isatty=False)


def test_last_must_be_positive() -> None:
    with pytest.raises(SystemExit):
        parse("--last", "0")


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, 100),  # default: only new events
        ({"from_beginning": True}, 10),
        ({"last": 5}, 95),
        ({"last": 500}, 10),  # never before the first retained offset
        ({"last": 5, "filtering": True}, 10),  # the N newest matches may be anywhere
        ({"has_since": True, "since": 40}, 40),
        ({"has_since": True, "since": None}, 100),  # nothing that recent
        ({"has_since": True, "since": 40, "last": 5}, 95),
        ({"has_since": True, "since": 98, "last": 5}, 98),
    ],
)
def test_start_offset(kw: dict[str, Any], expected: int) -> None:
    args = {"from_beginning": False, "since": None, "has_since": False, "last": None,
            "filtering": False, **kw}
    assert tail.start_offset(10, 100, **args) == expected


# the follow loop against an in-memory consumer --------------------------------------------


@dataclass(frozen=True)
class TP:
    topic: str
    partition: int


@dataclass(frozen=True)
class Rec:
    topic: str
    partition: int
    offset: int
    timestamp: int
    value: bytes | None


@dataclass
class FakeConsumer:
    """Enough of AIOKafkaConsumer for `_follow`: positions, pause/resume, seek, batches of 2."""

    logs: dict[TP, list[Rec]]
    positions: dict[TP, int] = field(default_factory=dict)
    paused: set[TP] = field(default_factory=set)
    polls: int = 0
    on_poll: Any = None

    async def getmany(self, timeout_ms: int = 0) -> dict[TP, list[Rec]]:
        self.polls += 1
        if self.on_poll:
            self.on_poll(self)
        if self.polls > 50:
            raise AssertionError("follow loop did not stop")
        out = {}
        for tp, log in self.logs.items():
            if tp in self.paused:
                continue
            pos = self.positions.get(tp, 0)
            batch = [r for r in log if r.offset >= pos][:2]
            if batch:
                out[tp] = batch
                self.positions[tp] = batch[-1].offset + 1
        return out

    async def position(self, tp: TP) -> int:
        return self.positions.get(tp, 0)

    def seek(self, tp: TP, offset: int) -> None:
        self.positions[tp] = offset

    def pause(self, *tps: TP) -> None:
        self.paused.update(tps)

    def resume(self, *tps: TP) -> None:
        self.paused.difference_update(tps)

    def assignment(self) -> set[TP]:
        return set(self.logs)


def make_logs(per_partition: int) -> dict[TP, list[Rec]]:
    """Three partitions; timestamps interleave so that global order differs from partition order."""
    logs: dict[TP, list[Rec]] = {}
    for p in range(3):
        tp = TP("ev", p)
        logs[tp] = [
            Rec("ev", p, off, 1000 + off * 3 + p,
                json.dumps(event(event_id=f"p{p}o{off}", source=f"s{p}")).encode())
            for off in range(per_partition)
        ]
    return logs


def run_follow(consumer: FakeConsumer, argv: list[str],
               out: io.BytesIO | None = None) -> tuple[list[bytes], str]:
    out = out or io.BytesIO()
    err = io.StringIO()
    opts = tail.options(parse(*argv), Settings(), NOW, stdout_isatty=False)
    printer = tail.printer_for(opts, out, err)
    ends = {tp: len(log) for tp, log in consumer.logs.items()}
    asyncio.run(asyncio.wait_for(tail._follow(consumer, opts, printer, ends), 5))
    return out.getvalue().splitlines(), err.getvalue()


def ids(lines: list[bytes]) -> list[str]:
    return [json.loads(line)["event_id"] for line in lines]


def test_exit_at_end_prints_everything_once_and_stops() -> None:
    consumer = FakeConsumer(make_logs(5))
    lines, _ = run_follow(consumer, ["--json", "--exit-at-end"])
    assert sorted(ids(lines)) == sorted(f"p{p}o{o}" for p in range(3) for o in range(5))


def test_json_fast_path_writes_stored_bytes_unchanged() -> None:
    logs = {TP("ev", 0): [Rec("ev", 0, 0, 1, b'{"b": 1,  "a":2}'), Rec("ev", 0, 1, 2, None)]}
    lines, _ = run_follow(FakeConsumer(logs), ["--json", "--exit-at-end"])
    assert lines == [b'{"b": 1,  "a":2}']  # not re-encoded; tombstone skipped


def test_exit_at_end_ignores_what_arrives_after_start() -> None:
    logs = make_logs(4)
    ends_at_start = {tp: len(log) for tp, log in logs.items()}

    def grow(consumer: FakeConsumer) -> None:
        for tp, log in consumer.logs.items():
            late = json.dumps(event(event_id="late")).encode()
            log.append(Rec("ev", tp.partition, len(log), 9999, late))

    consumer = FakeConsumer(logs, on_poll=grow)
    lines, _ = run_follow(consumer, ["--json", "--exit-at-end"])
    assert "late" not in ids(lines)
    assert len(lines) == sum(ends_at_start.values())


def test_last_prints_the_n_newest_overall_oldest_first() -> None:
    consumer = FakeConsumer(make_logs(6))
    lines, _ = run_follow(consumer, ["--json", "--exit-at-end", "--last", "4"])
    # timestamps 1000 + off*3 + p: the four newest are o5 p2, o5 p1, o5 p0, o4 p2
    assert ids(lines) == ["p2o4", "p0o5", "p1o5", "p2o5"]


def test_last_with_a_filter_counts_matches_only() -> None:
    consumer = FakeConsumer(make_logs(6))
    lines, _ = run_follow(consumer, ["--json", "--exit-at-end", "--last", "2", "--source", "s1"])
    assert ids(lines) == ["p1o4", "p1o5"]


class Stop(Exception):
    """Raised by a fake consumer to end a test that follows forever."""


def test_last_then_follow_keeps_events_that_arrive_meanwhile() -> None:
    polls = 0

    def arrive(consumer: FakeConsumer) -> None:
        nonlocal polls
        polls += 1
        if polls == 1:  # lands on partition 0 past its start-time end, during the backlog
            log = consumer.logs[TP("ev", 0)]
            log.append(Rec("ev", 0, len(log), 5000, json.dumps(event(event_id="new0")).encode()))
        if polls == 10:
            raise Stop

    out = io.BytesIO()
    with pytest.raises(Stop):
        run_follow(FakeConsumer(make_logs(3), on_poll=arrive), ["--json", "--last", "2"], out)
    # the two newest of the backlog (by time, across partitions), then the newcomer, once
    assert ids(out.getvalue().splitlines()) == ["p1o2", "p2o2", "new0"]


def test_readable_mode_reports_undecodable_values_and_goes_on() -> None:
    logs = {TP("ev", 0): [Rec("ev", 0, 0, 1, b"not json"),
                          Rec("ev", 0, 1, 2, json.dumps(event()).encode())]}
    lines, err = run_follow(FakeConsumer(logs), ["--exit-at-end"])
    assert len(lines) == 1
    assert b"Rotterdam gunman arrested" in lines[0]
    assert "ev/0@0: skipped, not JSON" in err
