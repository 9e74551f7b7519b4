"""`streamer extract FILE...`: what a site profile takes from pages, for writing and debugging
profiles. No dedup: every ticker line of every page, with its position, cleaned text,
attribution and matching form. Exit 0 when every page had a ticker, 1 when one had none or a
record was bad, 2 when the profiles do not load."""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import replace
from typing import TextIO

from streamer.settings import Settings


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
