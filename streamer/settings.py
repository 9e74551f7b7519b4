"""The one settings object: built once by the CLI from `STREAMER_*` env vars and flags, passed down.

Nothing else in streamer reads the environment.
"""

from __future__ import annotations

import os
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """What the pure core needs: matching thresholds, state bounds. Plain values, no I/O."""

    num_perm: int = 32
    lsh_threshold: float = 0.25
    ttl_seconds: float = 72 * 3600.0
    max_flashes_per_source: int = 200_000
    max_flashes: int = 250_000  # over all sources: the least recently active lose flashes first
    max_variants_per_flash: int = 16
    max_future_skew_seconds: float = 3600.0
    profiles_path: Path | None = None


class Settings(BaseSettings):
    """Everything configurable, from flags or `STREAMER_<NAME>` env vars."""

    model_config = SettingsConfigDict(env_prefix="STREAMER_", frozen=True, extra="ignore")

    # Kafka connection
    bootstrap_servers: str = "localhost:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    allow_plaintext_sasl: bool = False  # SASL PLAIN over plaintext sends passwords in clear

    # Topics and identity
    input_topic: str = "page-snapshots"
    output_topic: str = "breaking-events"
    dlq_topic: str = "page-snapshots.dlq"
    state_topic: str | None = None  # default: "{app_id}-dedup-state" (compacted)
    app_id: str = "streamer"
    topic_partitions: int = 6

    # Worker
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    max_snapshot_bytes: int = 5 * 1024 * 1024
    # What input records are (streamer.inputs.crawlers): `auto` tells them apart per record.
    input_format: Literal["auto", "envelope", "scrapy-cluster", "nutch", "raw"] = "auto"
    session_timeout_seconds: float = Field(10.0, ge=6.0, le=300.0)
    data_dir: Path = Path("/tmp/streamer")  # faust's datadir (STREAMER_DATA_DIR)
    # The engine runs in a child process by default (another core; the event loop stays free
    # for Kafka); in the worker's own process it needs less memory and one core.
    engine_in_process: bool = False
    create_topics: bool = False  # `streamer run --create-topics`: as `streamer topics create`
    log_format: Literal["text", "json"] = "text"

    # `streamer serve`: HTTP delivery to subscribers (SSE, feeds, page, webhooks)
    serve_host: str = "127.0.0.1"
    serve_port: int = Field(8080, ge=0, le=65535)
    serve_history: int = Field(5000, ge=10)  # newest events held for resume, feeds, `?last=`
    serve_client_buffer: int = Field(1000, ge=1)  # events a client may lag before it is dropped
    serve_heartbeat_seconds: float = Field(15.0, gt=0.0)
    serve_wake_seconds: float = Field(0.025, ge=0.0, le=1.0)  # clients woken at most this often
    webhooks_file: Path | None = None  # TOML subscriptions; ${NAME} is taken from the env
    webhook_timeout_seconds: float = Field(10.0, gt=0.0)
    webhook_backoff_seconds: float = Field(1.0, gt=0.0)  # first retry; doubles, with jitter
    webhook_backoff_max_seconds: float = Field(300.0, gt=0.0)

    # Dedup core
    num_perm: int = Field(32, ge=16, le=256)
    lsh_threshold: float = Field(0.25, gt=0.0, lt=1.0)
    ttl_hours: float = Field(72.0, gt=0.0)
    max_flashes_per_source: int = Field(200_000, ge=100)
    max_flashes: int = Field(250_000, ge=100)  # all sources together (a source counts as 2)
    profiles: Path | None = None

    @model_validator(mode="after")
    def _check_security(self) -> Settings:
        if self.security_protocol.startswith("SASL"):
            if not (self.sasl_mechanism and self.sasl_username and self.sasl_password):
                raise ValueError(
                    f"security_protocol={self.security_protocol} needs sasl_mechanism, "
                    "sasl_username and sasl_password"
                )
            if (
                self.security_protocol == "SASL_PLAINTEXT"
                and self.sasl_mechanism == "PLAIN"
                and not self.allow_plaintext_sasl
            ):
                raise ValueError(
                    "SASL PLAIN over SASL_PLAINTEXT would send the password unencrypted; "
                    "use SASL_SSL (or set STREAMER_ALLOW_PLAINTEXT_SASL=true for a local test)"
                )
        if self.security_protocol in ("SSL", "SASL_SSL"):
            # Load the CA and client certificate now: a bad path is a configuration error.
            for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
                path = getattr(self, name)
                if path is not None and not path.is_file():
                    raise ValueError(f"{name} {path} is not a file")
            try:
                self.ssl_context()
            except (ssl.SSLError, OSError) as exc:
                raise ValueError(f"cannot load the TLS certificate files: {exc}") from exc
        return self

    def expand_env(self, text: str) -> str:
        """`${NAME}` in `text` (the webhooks file) replaced by the environment variable NAME;
        ValueError names a variable that is not set."""

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ValueError(f"environment variable {name} is not set")
            return os.environ[name]

        return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", value, text)

    @property
    def state_topic_name(self) -> str:
        return self.state_topic or f"{self.app_id}-dedup-state"

    def dedup(self) -> DedupConfig:
        return DedupConfig(
            num_perm=self.num_perm,
            lsh_threshold=self.lsh_threshold,
            ttl_seconds=self.ttl_hours * 3600.0,
            max_flashes_per_source=self.max_flashes_per_source,
            max_flashes=self.max_flashes,
            profiles_path=self.profiles,
        )

    def kafka_client_kwargs(self) -> dict[str, object]:
        """Connection options in aiokafka's names (secrets included: never log the result)."""
        kw: dict[str, object] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.security_protocol.startswith("SASL"):
            kw["sasl_mechanism"] = self.sasl_mechanism
            kw["sasl_plain_username"] = self.sasl_username
            kw["sasl_plain_password"] = (
                self.sasl_password.get_secret_value() if self.sasl_password else None
            )
        if self.security_protocol in ("SSL", "SASL_SSL"):
            kw["ssl_context"] = self.ssl_context()
        return kw

    def ssl_context(self) -> ssl.SSLContext:
        """A client TLS context that checks the broker's certificate and host name, trusting
        ssl_cafile (or the system's CAs), with ssl_certfile/ssl_keyfile for mutual TLS."""
        from aiokafka.helpers import create_ssl_context

        context: ssl.SSLContext = create_ssl_context(
            cafile=str(self.ssl_cafile) if self.ssl_cafile else None,
            certfile=str(self.ssl_certfile) if self.ssl_certfile else None,
            keyfile=str(self.ssl_keyfile) if self.ssl_keyfile else None,
        )
        return context
