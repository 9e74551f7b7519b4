"""Crafted records never stop the stream: each is its own bad record (a stderr line in `dedup`,
a dead letter in the worker) with the reason, and the records after it are processed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from streamer.cli import tailview
from streamer.cli.main import main
from streamer.codec import BadRecord, decode_snapshot, encode_snapshot, make_snapshot, parse_time
from streamer.core.engine import Deduplicator
from streamer.kafka import wire
from streamer.kafka.enginehost import Host
from tests.pages import page_text, snap

TICKER = ["Dutch Police: Rotterdam gunman arrested", "Ceasefire in Gaza takes effect"]
NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def envelope(**kw: Any) -> bytes:
    base: dict[str, Any] = {"url": "https://news.example/live",
                            "fetched_at": "2025-03-03T08:00:00Z", "content": page_text(TICKER)}
    base.update(kw)
    return orjson.dumps({k: v for k, v in base.items() if v is not None})


HOSTILE = {
    "malformed IPv6 host": envelope(url="http://[::1/live"),
    "host that changes under NFKC": envelope(url="http://ex\u2100ample.com/live"),
    "year 1 east of UTC": envelope(fetched_at="0001-01-01T00:00:00+14:00"),
    "year 9999 west of UTC": envelope(fetched_at="9999-12-31T23:59:59-12:00"),
    "epoch far ahead": envelope(fetched_at=1e300),
    "negative epoch": envelope(fetched_at=-1),
    "a megabyte source name": envelope(source="s" * 1_000_000),
    "a megabyte url": envelope(url="https://news.example/" + "x" * 1_000_000),
    "a megabyte id": envelope(id="i" * 1_000_000),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_record_is_a_dead_letter_and_the_next_one_is_processed(name: str) -> None:
    engine = Deduplicator()

    def run(value: bytes) -> wire.Outcome:
        return wire.outcome_of(lambda s, now: engine.process(s, now).events, value, None, None,
                               5 * 1024 * 1024, NOW)

    bad = run(HOSTILE[name])
    assert bad.dead_letter
    assert bad.events == []
    assert len(bad.dead_letter) < 300  # the reason quotes the value, never all of it
    assert len(run(envelope()).events) == 2


@pytest.mark.parametrize(("value", "reason"), [
    ("0001-01-01T00:00:00+14:00", "out of range"),
    ("9999-12-31T23:59:59-12:00", "out of range"),
    ("1969-12-31T23:59:59Z", "out of range"),
    ("2100-01-01T00:00:00Z", "out of range"),
    ("2025-03-01", "not an RFC 3339 time"),  # date only
    ("20250301T080000Z", "not an RFC 3339 time"),  # basic format
    ("2025-W09-6T08:00:00Z", "not an RFC 3339 time"),  # week date
    ("2025-060T08:00:00Z", "not an RFC 3339 time"),  # ordinal date
    ("2025-03-01T08:00Z", "not an RFC 3339 time"),  # no seconds
    ("2025-02-30T08:00:00Z", "day is out of range"),
    ("2025-03-01T08:00:00+24:00", "offset out of range"),
])
def test_times_outside_rfc3339_or_the_accepted_range_are_refused(value: str, reason: str) -> None:
    with pytest.raises(BadRecord, match=reason):
        parse_time(value)


@pytest.mark.parametrize(("value", "expected"), [
    ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ("2025-03-01T09:00:00.5+01:00", datetime(2025, 3, 1, 8, 0, 0, 500000, tzinfo=UTC)),
    ("2025-03-01 08:00:00z", datetime(2025, 3, 1, 8, tzinfo=UTC)),
    ("2025-03-01T08:00:00", datetime(2025, 3, 1, 8, tzinfo=UTC)),  # no offset: UTC
    ("1970-01-01T00:00:00Z", datetime(1970, 1, 1, tzinfo=UTC)),
])
def test_rfc3339_times_are_read(value: str, expected: datetime) -> None:
    assert parse_time(value) == expected


def test_a_failure_while_decoding_is_the_records_dead_letter_with_its_type(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kw: Any) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(wire, "snapshot_from_record", broken)
    outcome = wire.outcome_of(lambda s, now: [], envelope(), None, None, 1 << 20, NOW)
    assert outcome.dead_letter == "undecodable record: KeyError('surprise')"


def test_an_engine_error_on_one_record_is_a_dead_letter_and_the_engine_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    host = Host()
    real = host.engine.process

    def flaky(snapshot: Any, now: Any = None) -> Any:
        if "poison" in snapshot.url:
            raise ZeroDivisionError("engine bug")
        return real(snapshot, now)

    monkeypatch.setattr(host.engine, "process", flaky)
    args = (None, None, 5 << 20, NOW.timestamp())
    status, reply = host.handle(("process", (envelope(url="https://news.example/poison"), *args)))
    assert status == "ok"
    assert reply[3] == "internal error: ZeroDivisionError('engine bug')"
    status, reply = host.handle(("process", (envelope(), *args)))
    assert status == "ok"
    assert len(reply[1]) == 2


@pytest.mark.parametrize("alias", ["www.news.example", "NEWS.Example.", "news.example",
                                   "https://WWW.News.Example./live"])
def test_one_site_is_one_source_however_its_name_is_written(alias: str) -> None:
    engine = Deduplicator()
    assert len(engine.process(snap(TICKER, 0, source="news.example")).events) == 2
    if alias.startswith("https://"):
        page = make_snapshot(url=alias, fetched_at="2025-03-03T08:05:00Z",
                             content=page_text(TICKER))
    else:
        page = snap(TICKER, 5, source=alias)
    assert page.source == "news.example"
    assert engine.process(page).events == []


# -- tail ---------------------------------------------------------------------------------------


@pytest.fixture(params=["Pacific/Kiritimati", "Etc/GMT+12", "UTC"])
def zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("first_seen", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                                        "1970-01-01T00:00:00Z", "2099-12-31T23:59:59Z"])
def test_tail_shows_an_event_of_any_date_in_any_time_zone(zone: None, first_seen: str) -> None:
    event = {"event_id": "1a2b3c4d5e", "kind": "new", "source": "news.example",
             "text": "Storm closes ports", "first_seen": first_seen}
    for fallback in (None, 0, 2**62):
        assert "Storm closes ports" in tailview.format_event(event, fallback_ms=fallback)


UNSAFE = ["\x1b", "\x07", "\x9b", "\u2028", "\u2029", "\U000e0041", "\U000e007f", "\u202e",
          "\u2066", "\u200b", "\x00"]


def test_no_field_tail_shows_can_carry_terminal_escapes_or_invisible_text() -> None:
    bad = "".join(UNSAFE)
    event = {"event_id": f"ab{bad}cd1234", "revision_of": f"{bad}ef567890", "kind": "revised",
             "source": f"news{bad}.example", "text": f"Storm{bad} closes ports",
             "attribution": f"Port{bad} authority", "previous_text": f"Storm{bad} shuts ports",
             "first_seen": "2025-03-03T08:00:00Z"}
    line = tailview.format_event(event)
    assert [u for u in UNSAFE if u in line] == []
    assert "#abcd1234" in line
    assert "#ef567890" in line
    assert "Storm closes ports" in line


# -- streamer dedup -------------------------------------------------------------------------------


def test_dedup_reports_each_hostile_record_in_one_line_and_processes_the_rest(
        tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    src = tmp_path / "hostile.jsonl"
    src.write_bytes(b"\n".join([*HOSTILE.values(), envelope()]) + b"\n")
    assert main(["dedup", str(src)]) == 1
    out, err = capsysbinary.readouterr()
    assert len(out.splitlines()) == 2
    lines = err.decode().splitlines()
    assert len(lines) == len(HOSTILE) + 1  # one per bad record, and the summary
    assert "Traceback" not in err.decode()
    assert f"{len(HOSTILE)} bad records" in lines[-1]


def test_dedup_exits_3_when_the_engine_fails_on_a_record_and_goes_on(
        tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = Deduplicator.process

    def flaky(self: Deduplicator, snapshot: Any, now: Any = None) -> Any:
        if "poison" in snapshot.url:
            raise ZeroDivisionError("engine bug")
        return real(self, snapshot, now)

    monkeypatch.setattr(Deduplicator, "process", flaky)
    src = tmp_path / "in.jsonl"
    src.write_bytes(envelope(url="https://news.example/poison") + b"\n" + envelope() + b"\n")
    assert main(["dedup", str(src)]) == 3
    out, err = capsysbinary.readouterr()
    assert len(out.splitlines()) == 2
    assert f"{src}:1: internal error: ZeroDivisionError('engine bug')" in err.decode()
    assert "Traceback" not in err.decode()


def test_dedup_exits_3_on_a_crash(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from streamer.cli import inputs

    def broken(*args: Any, **kw: Any) -> Iterator[Any]:
        raise RuntimeError("disk on fire")
        yield

    monkeypatch.setattr(inputs, "read_inputs", broken)
    assert main(["dedup", str(tmp_path)]) == 3
    assert "crashed: RuntimeError('disk on fire')" in capsysbinary.readouterr()[1].decode()


def test_a_byte_order_mark_hides_neither_a_ticker_nor_a_record(
        tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (tmp_path / "page.txt").write_bytes(b"\xef\xbb\xbf" + b"BREAKING\nStorm closes ports\n\n"
)
    (tmp_path / "feed.jsonl").write_bytes(b"\xef\xbb\xbf" + envelope() + b"\n")
    assert main(["dedup", str(tmp_path / "page.txt"), str(tmp_path / "feed.jsonl")]) == 0
    texts = [orjson.loads(x)["text"] for x in capsysbinary.readouterr()[0].splitlines()]
    assert texts == ["Storm closes ports", *reversed(TICKER)]


def test_an_envelope_of_the_same_snapshot_round_trips() -> None:
    s = snap(TICKER)
    assert decode_snapshot(encode_snapshot(s)) == s


def test_a_crashed_worker_is_ended_whatever_its_shutdown_waits_for(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from streamer.cli import run

    ended = threading.Event()
    codes: list[int] = []

    def fake_exit(code: int) -> None:
        codes.append(code)
        ended.set()

    class App:
        crash_reason: BaseException | None = None

    app = App()
    monkeypatch.setattr(run.os, "_exit", fake_exit)
    run._end_after_crash(app, 0.2)
    time.sleep(0.7)
    assert not ended.is_set()  # no crash, no exit
    app.crash_reason = RuntimeError("engine gone")  # and then the shutdown hangs
    assert ended.wait(5)
    assert codes == [1]
