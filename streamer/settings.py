"""The one settings object: built once by the CLI from `STREAMER_*` env vars and flags, passed down.

Nothing else in streamer reads the environment. A frozen dataclass with its own small loader (text
to bool, int, float, Path, a choice, a secret; ranges checked), not pydantic-settings: importing
pydantic cost `streamer dedup` ~150 ms of its start-up.
"""

# No `from __future__ import annotations`: the field types are read at run time (TYPES), and
# evaluating them from strings would cost start-up.
import operator
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin

if TYPE_CHECKING:
    import ssl  # only the worker's TLS needs it: not imported by `streamer dedup`

PREFIX = "STREAMER_"


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


@dataclass(frozen=True, slots=True, repr=False)
class SecretStr:
    """A secret that `repr` and `str` never show; `get_secret_value()` does."""

    _value: str

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')"

    def __str__(self) -> str:
        return "**********"


class SettingsError(ValueError):
    """Every bad value found, as (where, message): a field's name, or "settings" for a check
    across fields."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{where}: {msg}" for where, msg in problems))
        self.problems = problems


def bounded(default: float, **limits: float) -> Any:
    """A field's default with its range: ge, gt, le, lt."""
    return field(default=default, metadata=limits)


@dataclass(frozen=True, slots=True, init=False)
class Settings:
    """Everything configurable, from flags or `STREAMER_<NAME>` env vars."""

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
    session_timeout_seconds: float = bounded(10.0, ge=6.0, le=300.0)
    data_dir: Path = Path("/tmp/streamer")  # faust's datadir (STREAMER_DATA_DIR)
    # The engine runs in a child process by default (another core; the event loop stays free
    # for Kafka); in the worker's own process it needs less memory and one core.
    engine_in_process: bool = False
    create_topics: bool = False  # `streamer run --create-topics`: as `streamer topics create`
    log_format: Literal["text", "json"] = "text"

    # `streamer serve`: HTTP delivery to subscribers (SSE, feeds, page, webhooks)
    serve_host: str = "127.0.0.1"
    serve_port: int = bounded(8080, ge=0, le=65535)
    serve_history: int = bounded(5000, ge=10)  # newest events held for resume, feeds, `?last=`
    serve_client_buffer: int = bounded(1000, ge=1)  # events a client may lag before it is dropped
    serve_heartbeat_seconds: float = bounded(15.0, gt=0.0)
    serve_wake_seconds: float = bounded(0.025, ge=0.0, le=1.0)  # clients woken at most this often
    webhooks_file: Path | None = None  # TOML subscriptions; ${NAME} is taken from the env
    webhook_timeout_seconds: float = bounded(10.0, gt=0.0)
    webhook_backoff_seconds: float = bounded(1.0, gt=0.0)  # first retry; doubles, with jitter
    webhook_backoff_max_seconds: float = bounded(300.0, gt=0.0)

    # Dedup core
    num_perm: int = bounded(32, ge=16, le=256)
    lsh_threshold: float = bounded(0.25, gt=0.0, lt=1.0)
    ttl_hours: float = bounded(72.0, gt=0.0)
    max_flashes_per_source: int = bounded(200_000, ge=100)
    max_flashes: int = bounded(250_000, ge=100)  # all sources together (a source counts as 2)
    profiles: Path | None = None

    def __init__(self, **values: object) -> None:
        """`STREAMER_<NAME>` env vars (the name in any case) over the defaults, `values` over
        both; text is read as the field's type. SettingsError lists every bad value."""
        unknown = set(values) - set(TYPES)
        if unknown:
            raise TypeError(f"Settings has no field {', '.join(sorted(unknown))}")
        env = {k.upper(): v for k, v in os.environ.items()}
        problems: list[tuple[str, str]] = []
        for f in fields(self):
            raw = values.get(f.name, env.get(PREFIX + f.name.upper(), f.default))
            try:
                value = _checked(_value(TYPES[f.name], raw), f.metadata)
            except ValueError as exc:
                problems.append((f.name, str(exc)))
            else:
                object.__setattr__(self, f.name, value)
        if not problems:
            try:
                self._check_security()
            except ValueError as exc:
                problems.append(("settings", f"Value error, {exc}"))
        if problems:
            raise SettingsError(problems)

    def _check_security(self) -> None:
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
            except OSError as exc:  # ssl.SSLError is one
                raise ValueError(f"cannot load the TLS certificate files: {exc}") from exc

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

    def ssl_context(self) -> "ssl.SSLContext":
        """A client TLS context that checks the broker's certificate and host name, trusting
        ssl_cafile (or the system's CAs), with ssl_certfile/ssl_keyfile for mutual TLS."""
        from aiokafka.helpers import create_ssl_context

        context: ssl.SSLContext = create_ssl_context(
            cafile=str(self.ssl_cafile) if self.ssl_cafile else None,
            certfile=str(self.ssl_certfile) if self.ssl_certfile else None,
            keyfile=str(self.ssl_keyfile) if self.ssl_keyfile else None,
        )
        return context


TYPES: dict[str, Any] = {f.name: f.type for f in fields(Settings)}  # to read text as


def _value(kind: Any, raw: object) -> object:
    """`raw` (text from the env or a flag, or a value already) as a `kind`; a ValueError says
    what was wanted, in the words pydantic-settings used before."""
    if get_origin(kind) in (UnionType, Union):  # `X | None`
        if raw is None:
            return None
        (kind,) = (arg for arg in get_args(kind) if arg is not type(None))
    if get_origin(kind) is Literal:
        if raw in get_args(kind):
            return raw
        *rest, last = (repr(choice) for choice in get_args(kind))
        raise ValueError(f"Input should be {', '.join(rest)} or {last}")
    if kind in _READERS:
        return _READERS[kind](raw)
    if isinstance(raw, kind):
        return raw
    if isinstance(raw, str):  # a Path, a SecretStr
        return kind(raw)
    raise ValueError(f"Input should be a valid {'path' if kind is Path else 'string'}")


def _bool(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).lower() if isinstance(raw, str | int) else ""
    if text in ("1", "on", "t", "true", "y", "yes"):
        return True
    if text in ("0", "off", "f", "false", "n", "no"):
        return False
    raise ValueError("Input should be a valid boolean, unable to interpret input")


def _int(raw: object) -> int:
    if isinstance(raw, int):
        return int(raw)  # (True is 1)
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, float):
        raise ValueError("Input should be a valid integer, got a number with a fractional part")
    whole, _, fraction = str(raw).strip().partition(".")  # "2.0" is 2
    if isinstance(raw, str) and not fraction.strip("0"):
        try:
            return int(whole)
        except ValueError:
            pass
    raise ValueError("Input should be a valid integer, unable to parse string as an integer")


def _float(raw: object) -> float:
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        try:
            return float(raw)
        except ValueError:
            pass
    raise ValueError("Input should be a valid number, unable to parse string as a number")


_READERS: dict[Any, Callable[[object], object]] = {bool: _bool, int: _int, float: _float}
_LIMITS = {"ge": (operator.ge, "greater than or equal to"), "gt": (operator.gt, "greater than"),
           "le": (operator.le, "less than or equal to"), "lt": (operator.lt, "less than")}


def _checked(value: Any, limits: Mapping[str, float]) -> Any:
    """`value` if it is within `limits` (ge, gt, le, lt); NaN never is."""
    for name, limit in limits.items():
        inside, words = _LIMITS[name]
        if not inside(value, limit):
            raise ValueError(f"Input should be {words} {int(limit) if limit % 1 == 0 else limit}")
    return value
