"""Operating the service without a broker: topic specs, CLI flags and help, logs, metric labels."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import fields

import pytest

from streamer import logs
from streamer.cli.main import main, make_parser
from streamer.kafka.metrics import REASON_CLASSES, reason_class
from streamer.kafka.topics import TopicLayoutError, check_partitions, topic_specs
from streamer.settings import Settings


def test_topic_specs_compact_state_and_keep_events_at_least_the_ttl() -> None:
    specs = {s.role: s for s in topic_specs(Settings(ttl_hours=24 * 30))}
    assert specs["state"].config["cleanup.policy"] == "compact"
    assert int(specs["events"].config["retention.ms"]) >= 30 * 24 * 3600 * 1000
    assert specs["input"].partitions == specs["events"].partitions == specs["state"].partitions
    assert specs["dlq"].partitions == 1


def test_topic_specs_follow_an_existing_input_topic() -> None:
    specs = {s.role: s for s in topic_specs(Settings(topic_partitions=6), partitions=3)}
    assert specs["events"].partitions == specs["state"].partitions == 3


def test_state_topic_with_another_partition_count_is_refused() -> None:
    settings = Settings()
    with pytest.raises(TopicLayoutError, match="must match"):
        check_partitions(settings, {settings.input_topic: 6, settings.state_topic_name: 3})
    check_partitions(settings, {settings.input_topic: 6, settings.output_topic: 12,
                                settings.state_topic_name: 6})


def _help(command: str) -> str:
    parser, _ = make_parser()
    sub = parser._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    return str(sub.format_help())


def test_run_help_names_every_worker_setting_with_default_and_env_var() -> None:
    text = " ".join(_help("run").split())
    for name in ("session_timeout_seconds", "max_snapshot_bytes", "topic_partitions",
                 "security_protocol", "sasl_mechanism", "ssl_cafile", "create_topics"):
        flag = "--" + name.replace("_", "-")
        assert flag in text, flag
        assert f"env STREAMER_{name.upper()}" in text, name
    assert "default 10.0, env STREAMER_SESSION_TIMEOUT_SECONDS" in text


def test_subcommands_take_only_their_own_flags() -> None:
    publish, tail = _help("publish"), _help("tail")
    for flag in ("--output-topic", "--dlq-topic", "--app-id"):
        assert flag not in publish
    assert "--input-topic" not in tail
    with pytest.raises(SystemExit) as exc:
        main(["publish", "--output-topic", "x", "-"])
    assert exc.value.code == 2


def test_top_level_help_is_for_users() -> None:
    parser, _ = make_parser()
    text = parser.format_help()
    assert "one clean event feed" in text
    assert "Each subcommand module" not in text


@pytest.mark.parametrize("argv", [["-v", "dedup", "X"], ["dedup", "-v", "X"], ["dedup", "X", "-v"]])
def test_verbose_goes_anywhere_on_the_line(argv: list[str]) -> None:
    parser, _ = make_parser()
    args = parser.parse_args(argv)
    assert args.verbose + args.verbose_sub == 1
    assert args.inputs == ["X"]


def test_log_format_before_the_subcommand_is_kept() -> None:
    parser, _ = make_parser()
    assert parser.parse_args(["--log-format", "json", "dedup", "X"]).log_format == "json"


def test_json_logs_carry_context_and_foreign_loggers_go_through_them() -> None:
    out = io.StringIO()
    logs.setup("json", 0, out)
    try:
        logging.getLogger("streamer.worker").warning(
            "dead-lettered %s", "x", extra={"topic": "t", "partition": 2, "offset": 7,
                                            "source": "news.example"})
        logging.getLogger("aiokafka.consumer").error("broker went away")
    finally:
        logs.setup("text", 0)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["message"] == "dead-lettered x"
    assert first["level"] == "WARNING"
    assert first["logger"] == "streamer.worker"
    assert (first["topic"], first["partition"], first["offset"], first["source"]) == (
        "t", 2, 7, "news.example")
    assert first["time"].endswith("+00:00")
    assert second["logger"] == "aiokafka.consumer"


def test_known_harmless_startup_noise_is_not_shown_by_default() -> None:
    out = io.StringIO()
    logs.setup("text", 0, out)
    try:
        logging.getLogger("aiokafka.consumer.group_coordinator").error(
            "Group Coordinator Request failed: [Error 15] GroupCoordinatorNotAvailableError")
        logging.getLogger("faust.app.base").warning("Missing sensor state for rebalance #1")
        logging.getLogger("aiokafka.consumer.group_coordinator").error("a real problem")
    finally:
        logs.setup("text", 0)
    text = out.getvalue()
    assert "GroupCoordinatorNotAvailable" not in text
    assert "Missing sensor state" not in text
    assert "a real problem" in text


def test_dlq_reason_classes_are_few_whatever_the_details() -> None:
    assert reason_class("invalid JSON: unexpected character at 17") == "invalid_json"
    assert reason_class("page is not UTF-8: undecodable byte at offset 3") == "not_utf8"
    assert reason_class("record value of 52428800 bytes exceeds max_snapshot_bytes") == "too_large"
    assert reason_class("missing url") == "missing_field"
    assert reason_class("unparseable fetched_at 'yesterday'") == "bad_time"
    assert reason_class("internal error: KeyError('x')") == "internal_error"
    assert reason_class("something new") == "other"
    assert len(REASON_CLASSES) <= 10


def test_every_setting_is_a_flag_of_some_command() -> None:
    parser, _ = make_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    flags = {action.dest for sub in commands.values() for action in sub._actions}
    assert {f.name for f in fields(Settings)} - flags == set()
