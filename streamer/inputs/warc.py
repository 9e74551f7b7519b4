"""WARC files (`.warc`, `.warc.gz`) as snapshots, streamed one record at a time (warcio).

Every `response` (or `resource`) record with an HTML or text payload and HTTP status 200 is a
snapshot: url = WARC-Target-URI, fetched_at = WARC-Date, id = WARC-Record-ID, the body with its
transfer and content encodings undone and decoded by its charset. A `revisit` record is an
unchanged page: the capture it refers to, again at the revisit's date (so its flashes are seen
again), when that capture is earlier in the file. Every other record (requests, metadata, a 404,
an image) is `Skipped` with its reason. A broken record is a `BadRecord` with the reason and its
offset, and reading goes on at the next record found after it.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from streamer.codec import BadRecord, make_snapshot
from streamer.core.model import Snapshot
from streamer.inputs.pages import Skipped, decode_body, page_type

WARC_SUFFIXES = (".warc", ".warc.gz")
GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MAGIC = b"WARC/1."
SCAN_CHUNK = 1 << 20
KEPT_CHARS = 16 * 1024 * 1024  # text of the last captures kept for revisits to point back to

Item = tuple[str, Snapshot | BadRecord | Skipped]


def is_warc(path: Path) -> bool:
    return path.name.lower().endswith(WARC_SUFFIXES)


def read_warc(path: Path, *, max_bytes: int) -> Iterator[Item]:
    """`(file@offset, snapshot | BadRecord | Skipped)` for every record of the file, in order."""
    # Imported here: a run without WARC files does not pay for warcio (start-up).
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    name = str(path)
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield name, BadRecord(f"cannot read: {exc.strerror}")
        return
    with fh:
        magic = GZIP_MAGIC if fh.read(2) == GZIP_MAGIC[:2] else WARC_MAGIC
        start, floor, reported = 0, 0, False
        captures = Captures(KEPT_CHARS)
        while True:
            fh.seek(start)
            records = ArchiveIterator(fh)
            records.offset = start  # warcio counts from where it was handed the file
            try:
                for record in records:
                    item = (captures.revisit(record) if record.rec_type == "revisit"
                            else _item(record, max_bytes))
                    if isinstance(item, Snapshot):
                        captures.keep(item, record.rec_headers.get_header("WARC-Payload-Digest"))
                    offset = records.get_record_offset()
                    floor, reported = offset + 1, False
                    yield f"{name}@{offset}", item
                return
            except (ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error) as exc:
                # One report per damaged stretch: what the scan for the next record trips on
                # inside it is the same damage. (`records.offset`: where the failed one began.)
                if not reported:
                    reason = f"broken WARC record: {_printable(exc)}"
                    yield f"{name}@{records.offset}", BadRecord(reason)
                    reported = True
            found = _next_record(fh, max(floor, start + 1), magic)
            if found is None:
                return
            start = found


class Captures:
    """The last capture of each URL read, with its payload digest, for the revisit records that
    say "unchanged since"; the least recently used go first beyond `max_chars` of text."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.chars = 0
        self.pages: OrderedDict[str, tuple[str | None, Snapshot]] = OrderedDict()

    def keep(self, snap: Snapshot, digest: str | None) -> None:
        old = self.pages.pop(snap.url, None)
        if old is not None:
            self.chars -= len(old[1].content)
        if len(snap.content) <= self.max_chars:
            self.pages[snap.url] = (digest, snap)
            self.chars += len(snap.content)
        while self.chars > self.max_chars:
            self.chars -= len(self.pages.popitem(last=False)[1][1].content)

    def revisit(self, record: Any) -> Snapshot | BadRecord | Skipped:
        """The capture a revisit refers to (same URL, and same payload digest when both have
        one), at the revisit's date."""
        headers = record.rec_headers
        url = headers.get_header("WARC-Target-URI")
        kept = self.pages.get(headers.get_header("WARC-Refers-To-Target-URI") or url)
        digest = headers.get_header("WARC-Payload-Digest")
        if kept is None or (digest and kept[0] and digest != kept[0]):
            return Skipped("revisit of a capture not read before (unchanged page)")
        page = kept[1]
        try:
            return make_snapshot(url=url, fetched_at=headers.get_header("WARC-Date"),
                                 content=page.content, content_type=page.content_type,
                                 id=(headers.get_header("WARC-Record-ID") or "").strip("<>")
                                 or None)
        except BadRecord as exc:
            return exc


def _item(record: Any, max_bytes: int) -> Snapshot | BadRecord | Skipped:
    kind = record.rec_type
    if kind not in ("response", "resource"):
        return Skipped(f"{kind} record")
    headers = record.http_headers
    try:
        if headers is not None:
            status = headers.get_statuscode()
            if status != "200":
                return Skipped(f"HTTP status {status}")
            ctype = headers.get_header("content-type")
        elif kind == "resource":
            ctype = record.rec_headers.get_header("content-type")
        else:
            return Skipped("response without HTTP headers")
        media = page_type(ctype)
        body = _read(record.content_stream(), max_bytes)
        if _truncated(record.raw_stream):
            return BadRecord("truncated record: the file ends inside it")
        return make_snapshot(
            url=record.rec_headers.get_header("WARC-Target-URI"),
            fetched_at=record.rec_headers.get_header("WARC-Date"),
            content=decode_body(body, ctype),
            content_type=media,
            id=(record.rec_headers.get_header("WARC-Record-ID") or "").strip("<>") or None,
        )
    except (BadRecord, Skipped) as exc:
        return exc
    except (OSError, ValueError, zlib.error) as exc:  # a damaged chunked or gzip body
        return BadRecord(f"unreadable payload: {exc}")


def _read(stream: IO[bytes], max_bytes: int) -> bytes:
    body = stream.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise BadRecord(f"payload over max_snapshot_bytes ({max_bytes})")
    return body


def _truncated(raw: Any) -> bool:
    """Whether the record's block ends before its Content-Length (a crawl cut off mid-write):
    warcio's LimitReader counts down what is left of it."""
    while raw.read(SCAN_CHUNK):
        pass
    return bool(getattr(raw, "limit", 0))


def _printable(exc: Exception, limit: int = 120) -> str:
    """The error, its bytes of a damaged record shown as escapes, cut to a line's length."""
    text = str(exc).encode("ascii", "backslashreplace").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _next_record(fh: IO[bytes], start: int, magic: bytes) -> int | None:
    """The offset of the next record start (`magic`) at or after `start`, scanning forward."""
    fh.seek(start)
    pos, tail = start, b""
    while chunk := fh.read(SCAN_CHUNK):
        data = tail + chunk
        hit = data.find(magic)
        if hit >= 0:
            return pos - len(tail) + hit
        tail = data[-(len(magic) - 1):]
        pos += len(chunk)
    return None
