"""Webhook subscriptions from a TOML file, and the SSRF guard on their targets.

    [[subscription]]
    name = "alerts"                      # names its Kafka consumer group: APP_ID-webhook-alerts
    url = "https://hooks.example.com/streamer"
    secret = "${ALERTS_WEBHOOK_SECRET}"  # Standard Webhooks secret (whsec_...), from the env
    source = ["news.example"]            # filters, as on every endpoint: source, kind, q, lang
    kind = ["revised"]
    from_beginning = false               # a new subscription starts with new events
    allow_private = false                # loopback, private, link-local targets are refused
    reenabled_at = 2026-12-02T09:00:00Z  # deliver again though this url answered 410 Gone before
"""

from __future__ import annotations

import binascii
import contextlib
import ipaddress
import re
import socket
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from streamer.http.filters import EventFilter
from streamer.settings import Settings

_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_KEYS = {"name", "url", "secret", "source", "kind", "q", "lang", "from_beginning",
         "allow_private", "reenabled_at"}


class BadSubscriptions(ValueError):
    """The webhooks file is unusable; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class Subscription:
    name: str
    url: str
    secret: str
    filter: EventFilter
    from_beginning: bool = False
    allow_private: bool = False
    reenabled_at: datetime | None = None  # a 410 Gone recorded before this no longer disables

    def group(self, app_id: str) -> str:
        """The Kafka consumer group that holds this subscription's delivery progress."""
        return f"{app_id}-webhook-{self.name}"


def load(settings: Settings) -> list[Subscription]:
    """The subscriptions in `settings.webhooks_file` (none without one)."""
    path = settings.webhooks_file
    if path is None:
        return []
    try:
        text = settings.expand_env(Path(path).read_text("utf-8"))
        doc = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as exc:
        raise BadSubscriptions(f"{path}: {exc}") from None
    subs = [_one(path, i, raw) for i, raw in enumerate(doc.get("subscription", []))]
    names = [s.name for s in subs]
    if len(set(names)) != len(names):
        raise BadSubscriptions(f"{path}: subscription names must be unique")
    return subs


def _one(path: Path, index: int, raw: Any) -> Subscription:
    where = f"{path}: subscription {index + 1}"
    if not isinstance(raw, dict):
        raise BadSubscriptions(f"{where}: not a table")
    unknown = set(raw) - _KEYS
    if unknown:
        raise BadSubscriptions(f"{where}: unknown key {sorted(unknown)[0]!r}")
    name, url, secret = raw.get("name"), raw.get("url"), raw.get("secret")
    if not isinstance(name, str) or not _NAME.match(name):
        raise BadSubscriptions(f"{where}: name must be 1-100 letters, digits, '.', '_' or '-'")
    if not _is_secret(secret):
        raise BadSubscriptions(f"{where} ({name}): secret must be a Standard Webhooks secret, "
                               "whsec_ and at least 24 base64 characters")
    allow_private = raw.get("allow_private", False) is True
    try:
        check_target(url, allow_private)
        flt = EventFilter.build(_list(raw, "source"), _list(raw, "kind"), str(raw.get("q", "")),
                                _list(raw, "lang"))
        reenabled_at = _time(raw.get("reenabled_at"))
    except ValueError as exc:
        raise BadSubscriptions(f"{where} ({name}): {exc}") from None
    assert isinstance(url, str)
    assert isinstance(secret, str)
    return Subscription(name=name, url=url, secret=secret, filter=flt,
                        from_beginning=raw.get("from_beginning", False) is True,
                        allow_private=allow_private, reenabled_at=reenabled_at)


def _time(value: object) -> datetime | None:
    """A TOML date-time (`2026-12-02T09:00:00Z`, without an offset: UTC), or None."""
    if value is None:
        return None
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise ValueError(f"reenabled_at must be a date-time like 2026-12-02T09:00:00Z, "
                         f"not {value!r:.60}")
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _is_secret(secret: object) -> bool:
    if not isinstance(secret, str) or not secret.startswith("whsec_") or len(secret) < 30:
        return False
    try:
        Webhook(secret)
    except (ValueError, binascii.Error, EmptyWebhookSecretError):
        return False
    return True


def _list(raw: dict[str, Any], key: str) -> list[str]:
    value = raw.get(key, [])
    return [value] if isinstance(value, str) else [str(v) for v in value]


def is_public(address: str) -> bool:
    """A globally routable unicast address (not private, loopback, link-local, reserved...)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_target(url: object, allow_private: bool) -> None:
    """ValueError unless `url` is http(s) with a host, and (unless allowed) not a non-public
    IP literal. Host names are checked when they are resolved (PublicResolver)."""
    if not isinstance(url, str):
        raise ValueError("url must be a string")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"url must be http:// or https:// with a host, not {url[:80]!r}")
    if allow_private:
        return
    try:
        public = is_public(parts.hostname)
    except ValueError:
        return  # a host name
    if not public:
        raise ValueError(f"{parts.hostname} is not a public address (allow_private = true "
                         "allows it)")


class PublicResolver(AbstractResolver):
    """Resolves like aiohttp, refusing names that resolve to a non-public address, so a name
    cannot point a webhook at the internal network (checked at every connection)."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        for result in found:
            if not is_public(result["host"]):
                raise OSError(f"{host} resolves to {result['host']}, not a public address")
        return found

    async def close(self) -> None:
        await self._inner.close()
