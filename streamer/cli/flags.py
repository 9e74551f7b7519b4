"""Flags that set Settings fields: each names its env var and shows its default in `--help`.

Each subcommand asks for the settings it uses, so `publish --help` lists no worker settings.
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from typing import Any, Literal, get_args, get_origin

from streamer.settings import TYPES, Settings

# Connecting to Kafka: every Kafka-facing subcommand takes these.
CONNECTION = ("bootstrap_servers", "security_protocol", "sasl_mechanism", "sasl_username",
              "sasl_password", "ssl_cafile", "ssl_certfile", "ssl_keyfile",
              "allow_plaintext_sasl")
# The worker's topics (`run`, `topics`).
TOPICS = ("input_topic", "output_topic", "dlq_topic", "state_topic", "app_id",
          "topic_partitions")
# What the dedup engine is configured with (`run`, `dedup`).
ENGINE = ("ttl_hours", "max_flashes_per_source", "max_flashes", "num_perm", "lsh_threshold",
          "profiles")

HELP = {
    "bootstrap_servers": "Kafka brokers, host:port[,host:port...]",
    "security_protocol": "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL",
    "sasl_mechanism": "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
    "sasl_username": "SASL user name",
    "sasl_password": "SASL password (prefer the env var: a flag shows in `ps`)",
    "ssl_cafile": "CA certificate (PEM) that signed the brokers' certificates "
                  "(default: the system's CAs)",
    "ssl_certfile": "client certificate (PEM), for mutual TLS",
    "ssl_keyfile": "client key (PEM), for mutual TLS",
    "allow_plaintext_sasl": "allow SASL PLAIN without TLS (local tests only)",
    "input_topic": "topic of page snapshots",
    "output_topic": "topic of events",
    "dlq_topic": "dead-letter topic for bad snapshots",
    "state_topic": "compacted topic of dedup state (default: APP_ID-dedup-state)",
    "app_id": "consumer group and client id of the workers",
    "topic_partitions": "partitions of the input topic when it is created (events and state "
                        "get as many)",
    "ttl_hours": "forget a flash not seen for this long (event time)",
    "max_flashes_per_source": "forget the least recently seen flashes beyond this many per source",
    "max_flashes": "forget the least recently active sources' flashes beyond this many in all",
    "num_perm": "MinHash permutations",
    "lsh_threshold": "LSH similarity threshold for candidate pairs",
    "profiles": "site profiles JSON file (default: the bundled one)",
    "web_host": "address of the worker's /live, /ready and /metrics server",
    "web_port": "port of the worker's /live, /ready and /metrics server",
    "max_snapshot_bytes": "larger input records are dead-lettered without decoding",
    "session_timeout_seconds": "a worker that stops heartbeating loses its partitions after this",
    "data_dir": "faust's data directory",
    "engine_in_process": "run the dedup engine in the worker's own process: less memory, one "
                         "core (default: a child process)",
    "create_topics": "create missing topics (as `streamer topics create`) before starting",
    "log_format": "text or json (one JSON object per line)",
}

_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _bool(text: str) -> bool:
    try:
        return _BOOLEANS[text.lower()]
    except KeyError:
        raise argparse.ArgumentTypeError(f"not true or false: {text!r}") from None


def _literal_values(annotation: Any) -> tuple[str, ...]:
    """The values of a `Literal[...]` (or `Literal[...] | None`) annotation, else ()."""
    for part in (annotation, *get_args(annotation)):
        if get_origin(part) is Literal:
            return tuple(str(v) for v in get_args(part))
    return ()


DEFAULTS = {f.name: f.default for f in fields(Settings)}


def default_text(name: str) -> str:
    value = DEFAULTS[name]
    if value is None:
        return ""
    if isinstance(value, bool):
        value = str(value).lower()
    return f"default {value}, "


def add_setting_flag(parser: argparse.ArgumentParser | Any, name: str, **kw: Any) -> None:
    """`--name-with-dashes` overriding the Settings field `name`; None when not given, so the
    env var (or the field's default) applies."""
    annotation = TYPES[name]
    if annotation is bool:
        kw.setdefault("type", _bool)
        kw.setdefault("metavar", "BOOL")
        kw.setdefault("nargs", "?")
        kw.setdefault("const", True)  # `--create-topics` alone means true
    elif annotation in (int, float):
        kw.setdefault("type", annotation)
        unit = name.rsplit("_", 1)[-1]
        kw.setdefault("metavar", unit.upper() if unit in ("seconds", "hours", "bytes") else "N")
    elif "Path" in str(annotation):
        kw.setdefault("metavar", "PATH")
    elif choices := _literal_values(annotation):
        kw.setdefault("choices", choices)
    help_text = kw.pop("help", HELP.get(name, ""))
    kw.setdefault("default", None)
    parser.add_argument(
        "--" + name.replace("_", "-"), dest=name,
        help=f"{help_text} [{default_text(name)}env STREAMER_{name.upper()}]", **kw)


def add_setting_flags(parser: argparse.ArgumentParser, *names: str,
                      title: str | None = None) -> None:
    group = parser.add_argument_group(title) if title else parser
    for name in names:
        add_setting_flag(group, name)


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    add_setting_flags(parser, *CONNECTION, title="connecting to Kafka")


def build_settings(args: argparse.Namespace) -> Settings:
    """Env vars first, then any flag given on the command line wins."""
    return Settings(**{k: v for k, v in vars(args).items() if k in TYPES and v is not None})


def add_input_format_flag(parser: argparse.ArgumentParser) -> None:
    from streamer.inputs.crawlers import FORMATS

    add_setting_flag(parser, "input_format", choices=FORMATS,
                     help="what input records are: streamer's envelope, a crawler's JSON "
                          "(scrapy-cluster, nutch), raw pages; auto tells them apart per record")
