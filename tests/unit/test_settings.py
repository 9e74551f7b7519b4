"""The one settings object: `STREAMER_*` env vars read as each field's type, flags over them,
every bad value named in one clear line, secrets never printed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from streamer.cli.main import main
from streamer.settings import SecretStr, Settings, SettingsError


@pytest.fixture(autouse=True)
def _no_streamer_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for field in dataclasses.fields(Settings):
        monkeypatch.delenv(f"STREAMER_{field.name.upper()}", raising=False)


def problems(**values: object) -> list[tuple[str, str]]:
    with pytest.raises(SettingsError) as caught:
        Settings(**values)
    return caught.value.problems


def test_env_text_is_read_as_each_fields_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMER_TTL_HOURS", "1.5")
    monkeypatch.setenv("STREAMER_WEB_PORT", " 7000 ")
    monkeypatch.setenv("STREAMER_TOPIC_PARTITIONS", "3.0")  # a whole number written as a float
    monkeypatch.setenv("STREAMER_CREATE_TOPICS", "Yes")
    monkeypatch.setenv("STREAMER_ENGINE_IN_PROCESS", "off")
    monkeypatch.setenv("STREAMER_PROFILES", "/etc/profiles.json")
    monkeypatch.setenv("streamer_log_format", "json")  # env names in any case
    monkeypatch.setenv("STREAMER_SASL_MECHANISM", "SCRAM-SHA-512")
    s = Settings()
    assert (s.ttl_hours, s.web_port, s.topic_partitions) == (1.5, 7000, 3)
    assert (s.create_topics, s.engine_in_process) == (True, False)
    assert s.profiles == Path("/etc/profiles.json")
    assert (s.log_format, s.sasl_mechanism) == ("json", "SCRAM-SHA-512")
    assert s.ssl_cafile is None
    assert s.dedup().ttl_seconds == 5400.0


def test_a_value_given_wins_over_the_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMER_NUM_PERM", "8")  # out of range, but overridden
    monkeypatch.setenv("STREAMER_APP_ID", "from-env")
    s = Settings(num_perm=64, ttl_hours=24)
    assert (s.num_perm, s.app_id, s.ttl_hours) == (64, "from-env", 24.0)


def test_every_bad_value_is_named_with_what_was_wanted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMER_WEB_PORT", "x")
    monkeypatch.setenv("STREAMER_SECURITY_PROTOCOL", "plaintext")
    monkeypatch.setenv("STREAMER_ALLOW_PLAINTEXT_SASL", "maybe")
    monkeypatch.setenv("STREAMER_SESSION_TIMEOUT_SECONDS", "soon")
    monkeypatch.setenv("STREAMER_SERVE_HEARTBEAT_SECONDS", "nan")
    assert problems(serve_port=70000, lsh_threshold=1.0, serve_history=5.5) == [
        ("security_protocol",
         "Input should be 'PLAINTEXT', 'SSL', 'SASL_PLAINTEXT' or 'SASL_SSL'"),
        ("allow_plaintext_sasl", "Input should be a valid boolean, unable to interpret input"),
        ("web_port", "Input should be a valid integer, unable to parse string as an integer"),
        ("session_timeout_seconds",
         "Input should be a valid number, unable to parse string as a number"),
        ("serve_port", "Input should be less than or equal to 65535"),
        ("serve_history", "Input should be a valid integer, got a number with a fractional part"),
        ("serve_heartbeat_seconds", "Input should be greater than 0"),
        ("lsh_threshold", "Input should be less than 1"),
    ]


def test_sasl_needs_its_credentials_and_plain_needs_tls() -> None:
    assert problems(security_protocol="SASL_SSL", sasl_mechanism="PLAIN") == [
        ("settings", "Value error, security_protocol=SASL_SSL needs sasl_mechanism, "
                     "sasl_username and sasl_password")]
    plain = {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN",
             "sasl_username": "u", "sasl_password": "p"}
    (where, message), = problems(**plain)
    assert where == "settings"
    assert "use SASL_SSL" in message
    assert Settings(**plain, allow_plaintext_sasl="true").allow_plaintext_sasl is True


def test_the_password_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMER_SASL_PASSWORD", "hunter2-never-shown")
    s = Settings(security_protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-256",
                 sasl_username="u")
    assert "hunter2" not in repr(s) + str(s) + str(s.sasl_password)
    assert s.sasl_password == SecretStr("hunter2-never-shown")
    assert s.kafka_client_kwargs()["sasl_plain_password"] == "hunter2-never-shown"


def test_settings_are_frozen_and_know_their_fields() -> None:
    s = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.app_id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError, match="no field colour"):
        Settings(colour="red")


def test_a_bad_env_value_is_a_configuration_error_of_the_cli(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    monkeypatch.setenv("STREAMER_NUM_PERM", "8")
    assert main(["dedup", str(empty), "--ttl-hours", "0"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "streamer: configuration error: num_perm: Input should be greater than or equal to 16",
        "streamer: configuration error: ttl_hours: Input should be greater than 0",
    ]
