"""How `streamer tail` writes what it reads: filters applied, one line per event, in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, BinaryIO, TextIO

from streamer.cli.tailview import EventFilter, Style, format_event
from streamer.codec import JSONError, loads


class Printer:
    """Writes records' events to a binary stream: the stored JSON (`raw_json`) or the readable
    line, filtered; a value that is not a JSON object gets one stderr line and is skipped."""

    def __init__(self, raw_json: bool, event_filter: EventFilter, style: Style,
                 out: BinaryIO, err: TextIO) -> None:
        self.raw_json = raw_json
        self.filter = event_filter
        self.style = style
        self.out = out
        self.err = err
        self.fast = raw_json and not event_filter.active  # the values as they are, never decoded

    def decode(self, record: Any) -> dict[str, Any] | None:
        try:
            event = loads(record.value)
        except (JSONError, TypeError) as exc:
            self._skip(record, f"not JSON ({exc})")
            return None
        if not isinstance(event, dict):
            self._skip(record, "not a JSON object")
            return None
        return event

    def _skip(self, record: Any, reason: str) -> None:
        print(f"streamer tail: {record.topic}/{record.partition}@{record.offset}: skipped, "
              f"{reason}", file=self.err)

    def wanted(self, record: Any) -> dict[str, Any] | None:
        """The decoded event if it passes the filters (None: a tombstone, bad or filtered out)."""
        if record.value is None:
            return None
        event = self.decode(record)
        if event is None or not self.filter.matches(event):
            return None
        return event

    def render(self, records: Sequence[tuple[Any, dict[str, Any] | None]]) -> bytes:
        """The output for (record, decoded event) pairs, a newline after each."""
        if not records:
            return b""
        if self.raw_json:
            return b"\n".join([bytes(record.value) for record, _ in records] + [b""])
        style = self.style
        lines = [format_event(event, style, record.timestamp)
                 for record, event in records if event is not None]
        lines.append("")
        return "\n".join(lines).encode("utf-8", "replace")

    def write_batch(self, records: Sequence[Any]) -> None:
        if self.fast:
            values = [r.value for r in records if r.value is not None]
            chunk = b"\n".join([*values, b""]) if values else b""
        else:
            chunk = self.render(self._shown(records))
        if chunk:
            self.out.write(chunk)
        self.out.flush()

    def _shown(self, records: Sequence[Any]) -> list[tuple[Any, dict[str, Any] | None]]:
        """`wanted` over a batch, inlined: this loop runs once per event read."""
        matches = self.filter.matches if self.filter.active else None
        shown: list[tuple[Any, dict[str, Any] | None]] = []
        for record in records:
            value = record.value
            if value is None:  # tombstone
                continue
            try:
                event = loads(value)
            except (JSONError, TypeError):
                event = None
            if type(event) is not dict:  # (orjson makes plain dicts)
                self.decode(record)  # reports why
            elif matches is None or matches(event):
                shown.append((record, event))
        return shown
