"""Flags shared by the subcommands: each overrides one Settings field, whose env var it names."""

from __future__ import annotations

import argparse
from typing import Any

from streamer.settings import Settings

# Settings fields that every Kafka-facing subcommand accepts as flags.
KAFKA_FLAGS = ("bootstrap_servers", "input_topic", "output_topic", "dlq_topic", "app_id")


class EnvDefault(argparse.Action):
    """A flag whose default comes from Settings (env `STREAMER_<DEST>`); `--help` says so."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        env = f"STREAMER_{dest.upper()}"
        kwargs["help"] = f"{kwargs.get('help', '')} [env {env}]".strip()
        kwargs.setdefault("default", None)
        super().__init__(option_strings, dest, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)


def add_setting_flag(parser: argparse.ArgumentParser, name: str, help: str = "", **kw: Any) -> None:
    """Add `--name-with-dashes` overriding the Settings field `name`."""
    parser.add_argument(
        "--" + name.replace("_", "-"), dest=name, action=EnvDefault, help=help, **kw
    )


def add_kafka_flags(parser: argparse.ArgumentParser) -> None:
    for name in KAFKA_FLAGS:
        add_setting_flag(parser, name)


def build_settings(args: argparse.Namespace) -> Settings:
    """Env vars first, then any flag given on the command line wins."""
    overrides = {
        k: v for k, v in vars(args).items() if k in Settings.model_fields and v is not None
    }
    return Settings(**overrides)


def add_input_format_flag(parser: argparse.ArgumentParser) -> None:
    from streamer.inputs.crawlers import FORMATS

    add_setting_flag(parser, "input_format", choices=FORMATS,
                     help="what input records are: streamer's envelope, a crawler's JSON "
                          "(scrapy-cluster, nutch), raw pages; auto tells them apart per record "
                          "(default: auto)")
