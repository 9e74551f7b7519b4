"""`streamer dedup`: run the engine on files, directories or stdin, in-process, no Kafka.

Events go to stdout as JSON lines, the audit trail of every ticker line to `--sightings`, one
stderr line per bad record (file:line: reason) and a summary at the end.
Exit codes: 0 all records processed, 1 some records were bad (the rest were processed),
2 usage error (e.g. an unreadable --sightings path), 3 an internal error: the engine failed on a
record (reported like a bad record; the rest were processed) or the run itself crashed.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import BinaryIO, TextIO

from streamer.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from streamer.cli.flags import ENGINE, add_input_format_flag, add_setting_flags

    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="snapshot files (.jsonl records, .txt/.html pages, .warc/.warc.gz crawls), "
        "directories (read sorted) or - for JSON lines on stdin; processed in this order",
    )
    parser.add_argument(
        "--sightings",
        metavar="PATH",
        help="write one JSON line per extracted ticker line (the audit trail)",
    )
    parser.add_argument(
        "--summary-json", action="store_true", help="print the closing summary to stderr as JSON"
    )
    add_setting_flags(parser, *ENGINE, title="dedup engine")
    add_input_format_flag(parser)


INTERNAL_ERROR = 3


def run(
    args: argparse.Namespace,
    settings: Settings,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    try:
        return _run(args, settings, stdin, stdout, stderr)
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as exc:  # a crash: its own exit code, not "some records were bad"
        err = stderr or sys.stderr
        traceback.print_exc(file=err)
        print(f"streamer dedup: crashed: {exc!r}", file=err)
        return INTERNAL_ERROR


def _run(
    args: argparse.Namespace,
    settings: Settings,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    # Imported here so that `streamer --help` and other subcommands start fast.
    from streamer.cli.inputs import missing, read_inputs
    from streamer.codec import BadRecord, dumps, encode_event, encode_sighting
    from streamer.core.engine import Deduplicator
    from streamer.core.extract import Profiles
    from streamer.inputs.pages import Skipped

    out = stdout or sys.stdout.buffer
    err = stderr or sys.stderr
    for path in missing(args.inputs):
        print(f"streamer: {path}: no such file or directory", file=err)
    if missing(args.inputs):
        return 2
    try:
        profiles = Profiles.load(settings.profiles)
    except (OSError, ValueError) as exc:
        print(f"streamer: cannot load profiles {settings.profiles}: {exc}", file=err)
        return 2
    engine = Deduplicator(settings.dedup(), profiles, keep_changes=False)
    bad = failed = 0
    skipped: Counter[str] = Counter()
    with ExitStack() as stack:
        sightings: BinaryIO | None = None
        if args.sightings:
            try:
                sightings = stack.enter_context(open(args.sightings, "wb"))
            except OSError as exc:
                print(
                    f"streamer: cannot write --sightings {args.sightings}: {exc.strerror}", file=err
                )
                return 2
        inputs = read_inputs(args.inputs, stdin, fmt=settings.input_format,
                             max_bytes=settings.max_snapshot_bytes)
        for origin, item in inputs:
            if isinstance(item, Skipped):
                skipped[str(item)] += 1
                continue
            if isinstance(item, BadRecord):
                bad += 1
                print(f"{origin}: skipped: {item}", file=err)
                continue
            try:
                # now: no capture is from the future, so a page dated ahead of the wall clock
                # (plus the allowed skew) moves its source's clock no further
                result = engine.process(item, now=datetime.now(UTC))
            except Exception as exc:  # an engine bug on one record: said, and the rest goes on
                failed += 1
                print(f"{origin}: internal error: {exc!r}", file=err)
                continue
            chunk = [encode_event(e) for e in result.events]
            if chunk:
                out.write(b"\n".join(chunk) + b"\n")
            if sightings is not None and result.decisions:
                sightings.write(b"\n".join(encode_sighting(d) for d in result.decisions) + b"\n")
        out.flush()
    summary = {**engine.summary(), "bad_records": bad, "internal_errors": failed,
               "skipped": dict(skipped)}
    if args.summary_json:
        print(dumps(summary).decode(), file=err)
    else:
        s = engine.stats
        print(
            f"streamer: {s.snapshots} snapshots ({s.no_ticker} without a ticker), "
            f"{s.lines} ticker lines -> {s.new} new, {s.revised} revised, "
            f"{s.duplicate} duplicate; {bad} bad records{_skipped(skipped)}"
            + (f"; {failed} internal errors" if failed else ""),
            file=err,
        )
    return INTERNAL_ERROR if failed else 1 if bad else 0


def _skipped(counts: Counter[str]) -> str:
    """`; 3 not pages (HTTP status 404: 1, revisit (unchanged page): 2)`, or nothing."""
    if not counts:
        return ""
    reasons = ", ".join(f"{reason}: {n}" for reason, n in counts.most_common())
    return f"; {counts.total()} not pages ({reasons})"
