"""Read snapshots from files, directories and stdin, in the order given.

Yields `(origin, snapshot_or_verdict)`: origin is `file:line`, `file@offset` (a WARC record) or
`file`, for messages; a bad record comes back as a `BadRecord` and a record that is not a page
(a 404, a revisit, a request record) as `Skipped`, instead of stopping the stream.
"""

from __future__ import annotations

import codecs
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from streamer.codec import BadRecord, make_snapshot
from streamer.core.model import Snapshot
from streamer.inputs.crawlers import snapshot_from_json
from streamer.inputs.pages import Skipped
from streamer.inputs.warc import is_warc, read_warc

PAGE_SUFFIXES = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}

Item = tuple[str, Snapshot | BadRecord | Skipped]


def expand(paths: Iterable[str]) -> Iterator[str]:
    """Files as given; directories become their snapshot files, sorted; `-` stays stdin."""
    for raw in paths:
        if raw == "-":
            yield raw
            continue
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and (
                    child.suffix.lower() in PAGE_SUFFIXES.keys() | JSONL_SUFFIXES
                    or is_warc(child)
                ):
                    yield str(child)
        else:
            yield raw


def read_jsonl(stream: BinaryIO, name: str, fmt: str = "auto") -> Iterator[Item]:
    """One JSON record a line, of input format `fmt` (`auto`: told apart per record)."""
    for lineno, line in enumerate(stream, 1):
        if lineno == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8):]
        if not line.strip():
            continue
        try:
            yield f"{name}:{lineno}", snapshot_from_json(line, fmt)
        except (BadRecord, Skipped) as exc:
            yield f"{name}:{lineno}", exc
        except Exception as exc:  # whatever a hostile line trips over: that line's fault
            yield f"{name}:{lineno}", BadRecord(f"undecodable record: {exc!r}")


def read_page(path: Path) -> Item:
    """A bare .txt/.html capture is one snapshot: url = its path, fetched_at = its mtime."""
    name = str(path)
    try:
        data = path.read_bytes()
        content = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return name, BadRecord(f"not UTF-8: undecodable byte at offset {exc.start}")
    except OSError as exc:
        return name, BadRecord(f"cannot read: {exc.strerror}")
    try:
        mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        return name, make_snapshot(
            url=path.resolve().as_uri(),
            fetched_at=mtime,
            content=content,
            content_type=PAGE_SUFFIXES.get(path.suffix.lower()),
            source=None,
        )
    except BadRecord as exc:
        return name, exc


def missing(paths: Iterable[str]) -> list[str]:
    """The paths given that do not exist (`-` is stdin): a usage error, not a bad record."""
    return [p for p in paths if p != "-" and not Path(p).exists()]


def read_inputs(paths: Iterable[str], stdin: BinaryIO | None = None, *,
                fmt: str = "auto", max_bytes: int = 5 * 1024 * 1024) -> Iterator[Item]:
    """Every input's records: WARC files record by record, JSON lines of input format `fmt`
    (with `raw`, every file is one page), pages as one snapshot each."""
    for name in expand(paths):
        if name == "-":
            if fmt == "raw":
                yield "<stdin>", BadRecord("stdin is JSON lines: pass raw pages as files")
            else:
                yield from read_jsonl(stdin or sys.stdin.buffer, "<stdin>", fmt)
            continue
        path = Path(name)
        if not path.exists():
            yield name, BadRecord("no such file or directory")
        elif is_warc(path):
            yield from read_warc(path, max_bytes=max_bytes)
        elif path.suffix.lower() in JSONL_SUFFIXES and fmt != "raw":
            with path.open("rb") as fh:
                yield from read_jsonl(fh, name, fmt)
        else:
            yield read_page(path)

