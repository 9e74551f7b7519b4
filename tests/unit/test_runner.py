"""`streamer dedup` as a user runs it: files in, events out, bad records reported, not fatal."""

import io
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from streamer.cli.main import main
from streamer.codec import encode_snapshot
from tests.pages import page_text, snap

TICKER = ["Dutch Police: Rotterdam gunman arrested", "Ceasefire in Gaza takes effect"]


def write_jsonl(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_events_on_stdout_sightings_on_file_and_exit_0(tmp_path: Path) -> None:
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [
            encode_snapshot(snap(TICKER, 0, ident="s1")),
            encode_snapshot(snap(["Ceasefire in Lebanon takes effect", *TICKER], 5, ident="s2")),
        ],
    )
    sightings = tmp_path / "sightings.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "streamer", "dedup", str(src), "--sightings", str(sightings)],
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    events = [orjson.loads(line) for line in proc.stdout.splitlines()]
    assert [e["text"] for e in events] == [
        TICKER[1],
        TICKER[0],
        "Ceasefire in Lebanon takes effect",
    ]
    rows = [orjson.loads(line) for line in sightings.read_bytes().splitlines()]
    assert len(rows) == 5
    s2 = {r["position"]: r for r in rows if r["snapshot"] == "s2"}
    assert s2[0]["decision"] == "new"
    assert s2[1]["decision"] == "duplicate"
    assert s2[1]["event_id"] == events[1]["event_id"]
    assert b"2 snapshots" in proc.stderr
    assert b"0 bad records" in proc.stderr


def test_bad_records_are_reported_with_file_line_and_reason_and_the_rest_flows(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    good = encode_snapshot(snap(TICKER))
    src = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            b'{"url": "https://a.example/", "fetched_at": "2025-03-01T08:00:00Z"',  # truncated JSON
            good,
            b'{"fetched_at": "2025-03-01T08:00:00Z", "content": "x"}',  # no url
            b'{"url": "https://a.example/", "fetched_at": "yesterday", "content": "x"}',
            b'{"url": "https://a.example/", "fetched_at": "2025-03-01T08:00:00Z", '
            b'"content": "\xff"}',
        ],
    )
    assert main(["dedup", str(src)]) == 1
    out, err = capsysbinary.readouterr()
    assert len(out.splitlines()) == 2  # the good snapshot's two flashes
    errors = err.decode().splitlines()
    assert f"{src}:1: skipped: invalid JSON" in errors[0]
    assert errors[1] == f"{src}:3: skipped: missing url"
    assert errors[2].startswith(f"{src}:4: skipped: unparseable fetched_at")
    assert errors[3].startswith(f"{src}:5: skipped: not UTF-8")
    assert "4 bad records" in errors[-1]


def test_stdin_directories_and_bare_pages(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "b.txt").write_text(page_text(["Ceasefire in Lebanon takes effect"]))
    (pages / "a.txt").write_text(page_text(TICKER))
    (pages / "notes.md").write_text("not a snapshot")
    stdin = io.BytesIO(encode_snapshot(snap(["Airspace closed at Ramon Airport"])) + b"\n")

    from streamer.cli import dedup as runner
    from streamer.cli.main import make_parser
    from streamer.settings import Settings

    args = make_parser()[0].parse_args(["dedup", str(pages), "-"])
    out = io.BytesIO()
    assert runner.run(args, Settings(), stdin=stdin, stdout=out) == 0
    texts = [orjson.loads(line)["text"] for line in out.getvalue().splitlines()]
    # a.txt before b.txt (sorted), then stdin; a bare page's source is local
    assert texts == [
        TICKER[1],
        TICKER[0],
        "Ceasefire in Lebanon takes effect",
        "Airspace closed at Ramon Airport",
    ]


def test_missing_input_path_is_a_usage_error_before_any_output(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    good = write_jsonl(tmp_path / "in.jsonl", [encode_snapshot(snap(TICKER))])
    assert main(["dedup", str(good), str(tmp_path / "nope.jsonl")]) == 2
    out, err = capsysbinary.readouterr()
    assert b"nope.jsonl: no such file" in err
    assert out == b""


def test_unwritable_sightings_path_is_a_usage_error(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [encode_snapshot(snap(TICKER))])
    assert main(["dedup", str(src), "--sightings", str(tmp_path / "no" / "dir" / "s.jsonl")]) == 2


def test_bundled_examples_run_clean() -> None:
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "streamer", "dedup", str(root / "examples")],
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    events = [orjson.loads(line) for line in proc.stdout.splitlines()]
    assert events
    assert {e["kind"] for e in events} == {"new", "revised"}
    assert len({e["event_id"] for e in events}) == len(events)
