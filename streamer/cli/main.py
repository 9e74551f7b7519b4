"""The `streamer` console script: parse flags, build settings once, hand off to a subcommand module.

Exit codes: 0 ok, 1 failure (or bad records seen, for `dedup`), 2 usage or configuration error.
Each subcommand module exposes `add_arguments(parser)` and `run(args, settings) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from streamer import __version__
from streamer.cli.flags import build_settings

# subcommand -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "dedup": (
        "streamer.cli.dedup",
        "run the dedup engine on files or stdin, no Kafka (events on stdout)",
    ),
    "run": ("streamer.cli.run", "run the Kafka worker: snapshots topic in, events topic out"),
    "publish": ("streamer.cli.publish", "send snapshots (files, directories, JSON lines) to Kafka"),
    "tail": ("streamer.cli.tail", "follow the events topic like tail -f"),
    "serve": ("streamer.cli.serve", "serve events over HTTP: SSE, feeds, a live page, webhooks"),
    "health": ("streamer.cli.health", "exit 0 if the worker's readiness endpoint says ready"),
    "extract": ("streamer.cli.extract", "show what a site profile takes from pages (no dedup)"),
}

def make_parser() -> tuple[argparse.ArgumentParser, dict[str, Any]]:
    parser = argparse.ArgumentParser(prog="streamer", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"streamer {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules: dict[str, Any] = {}
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        modules[name] = module
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    parser, modules = make_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # aiokafka's connection logger prints whole requests at DEBUG, SASL credentials included.
    logging.getLogger("aiokafka.conn").setLevel(logging.INFO)
    try:
        settings = build_settings(args)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "settings"
            print(f"streamer: configuration error: {where}: {err['msg']}", file=sys.stderr)
        return 2
    try:
        return int(modules[args.command].run(args, settings))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
