"""`streamer extract FILE...`: what a site profile takes from pages, for writing and debugging
profiles. No dedup: every ticker line of every page, with its position, cleaned text,
attribution and matching form. Exit 0 when every page had a ticker, 1 when one had none or a
record was bad, 2 when the profiles do not load."""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, TextIO

from streamer.settings import Settings

if TYPE_CHECKING:
    from streamer.core.extract import Profile
    from streamer.core.model import Snapshot


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from streamer.cli.flags import add_input_format_flag, add_setting_flag

    parser.add_argument("inputs", nargs="+", metavar="FILE",
                        help="pages (.html/.txt), .jsonl records, .warc/.warc.gz crawls, "
                             "directories of them, or - for JSON lines on stdin")
    parser.add_argument("--source", metavar="NAME",
                        help="use this site's profile (a page saved to disk has source 'local')")
    parser.add_argument("--json", action="store_true",
                        help="one JSON object per ticker line on stdout")
    add_setting_flag(parser, "profiles", help="site profiles JSON file")
    add_input_format_flag(parser)


def run(args: argparse.Namespace, settings: Settings, stdout: TextIO | None = None) -> int:
    from streamer.cli.inputs import read_inputs
    from streamer.codec import BadRecord, dumps
    from streamer.core.clean import clean_line
    from streamer.core.extract import Profiles, ticker_lines
    from streamer.inputs.pages import Skipped

    out = stdout or sys.stdout
    try:
        profiles = Profiles.load(settings.profiles)
    except (OSError, ValueError, re.error) as exc:
        print(f"streamer: cannot load profiles {settings.profiles}: {exc}", file=sys.stderr)
        return 2
    code = 0
    for origin, item in read_inputs(args.inputs, fmt=settings.input_format,
                                    max_bytes=settings.max_snapshot_bytes):
        if isinstance(item, Skipped):
            continue
        if isinstance(item, BadRecord):
            print(f"{origin}: skipped: {item}", file=sys.stderr)
            code = 1
            continue
        snap = replace(item, source=args.source) if args.source else item
        profile = profiles.for_source(snap.source)
        lines = ticker_lines(snap, profiles) or []
        if not lines:
            code = 1
        if not args.json:
            print(f"{origin}: {len(lines) or 'no'} ticker lines (source {snap.source}, "
                  f"profile {profile.name})", file=out)
            if not lines:
                print(f"      {_why_none(snap, profile)}", file=out)
        for position, raw in enumerate(lines):
            flash = clean_line(raw)
            if args.json:
                print(dumps({"snapshot": snap.ref, "source": snap.source,
                             "profile": profile.name, "position": position, "raw": raw,
                             "text": flash.text, "body": flash.body,
                             "attribution": flash.attribution, "key": flash.key}).decode(),
                      file=out)
                continue
            print(f"{position:4d}  {flash.text}", file=out)
            if raw != flash.text:
                print(f"      raw:         {raw}", file=out)
            if flash.attribution:
                print(f"      attribution: {flash.attribution}", file=out)
                print(f"      body:        {flash.body}", file=out)
            print(f"      key:         {flash.key}", file=out)
    return code


def _why_none(snap: Snapshot, profile: Profile) -> str:
    """Where a profile lost the ticker: no container, no usable item, or no marker line."""
    from streamer.core.selectors import has_container

    if snap.content_type == "text/html" and profile.container is not None:
        if not has_container(snap.content, profile.container):
            return f"no element matches container {profile.container!r}"
        what = f"items {profile.items!r}" if profile.items else f"json_items {profile.json_items!r}"
        return f"the container is there; {what} gave no line (empty, skipped or too short)"
    return f"no line is only the marker /{profile.marker}/ (then a block of lines)"
