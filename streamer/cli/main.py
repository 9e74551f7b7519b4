"""The `streamer` console script: parse flags, build settings once, hand off to a subcommand module.

Exit codes: 0 ok, 1 failure (or bad records seen, for `dedup`), 2 usage or configuration error.
Each subcommand module exposes `add_arguments(parser)` and `run(args, settings) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from streamer import __version__, logs
from streamer.cli.flags import add_setting_flag, build_settings
from streamer.settings import SettingsError

DESCRIPTION = """\
Turns the BREAKING tickers of news sites into one clean event feed: one event per real-world
flash, and a linked event when a flash is revised. Without Kafka: `streamer dedup FILES`.
With Kafka: `streamer topics create`, `streamer run`, `streamer publish FILES`, `streamer tail`."""

EPILOG = """\
Every setting flag can also come from its STREAMER_<NAME> environment variable (each --help
names it); a flag given on the command line wins. Exit codes: 0 ok, 1 failure, 2 usage or
configuration error. `streamer COMMAND --help` lists a command's flags."""

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
    "topics": ("streamer.cli.topics", "create or describe the worker's Kafka topics"),
    "health": ("streamer.cli.health", "exit 0 if the worker's readiness endpoint says ready"),
    "extract": ("streamer.cli.extract", "show what a site profile takes from pages (no dedup)"),
}

def add_global_flags(parser: argparse.ArgumentParser, *, sub: bool) -> None:
    """-v and --log-format, before or after the subcommand (a subcommand's copy must not
    reset what was given before it: -v counts separately, --log-format has no default there)."""
    group = parser.add_argument_group("logging")
    group.add_argument("-v", "--verbose", action="count", default=0,
                       dest="verbose_sub" if sub else "verbose",
                       help="more logging on stderr: -v info, -v -v debug")
    add_setting_flag(group, "log_format", choices=("text", "json"),
                     **({"default": argparse.SUPPRESS} if sub else {}))


def make_parser(
    only: str | None = None,
) -> tuple[argparse.ArgumentParser, dict[str, Any]]:
    """The whole command line. With `only`, the other subcommands' modules are not imported
    (start-up: a subcommand pays for its own imports alone); they stay in `--help` and parse
    only their name."""
    parser = argparse.ArgumentParser(prog="streamer", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"streamer {__version__}")
    add_global_flags(parser, sub=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules: dict[str, Any] = {}
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=EPILOG)
        if only is None or name == only:
            module = importlib.import_module(module_name)
            module.add_arguments(p)
            modules[name] = module
        add_global_flags(p, sub=True)
    return parser, modules


def _command(argv: Sequence[str]) -> str | None:
    """The subcommand named on the line (the first word that is not a global flag or its value),
    None when there is none or it is not plain (an abbreviated flag, a typo): then every
    subcommand is set up and argparse has the last word."""
    words = iter(argv)
    for word in words:
        if word == "--log-format":
            next(words, None)
        elif not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = _command(argv)
    if command is None and "--version" in argv:
        command = ""  # the version alone needs no subcommand's modules
    parser, modules = make_parser(command)
    args = parser.parse_args(argv)
    try:
        settings = build_settings(args)
    except SettingsError as exc:
        for where, message in exc.problems:
            print(f"streamer: configuration error: {where}: {message}", file=sys.stderr)
        return 2
    logs.setup(settings.log_format, args.verbose + args.verbose_sub)
    try:
        return int(modules[args.command].run(args, settings))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
