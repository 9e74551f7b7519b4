"""State records checked whole before any of them touches an index.

A record comes from a compacted Kafka topic or a file: corrupt, truncated or from another
deployment, it raises BadState with the reason, and the adapter dead-letters it. Checked field
by field with `type(...) is` (records are decoded JSON, so exact types), and no message is
formatted unless it is needed: a restore checks a million of these.
"""

from __future__ import annotations

import binascii
import math
from datetime import datetime
from typing import Any, NamedTuple

from streamer.core.bands import GONE
from streamer.core.index import key_hash

_KEY_BOUND = 1 << 63  # key hashes are 63 bits


class BadState(ValueError):
    """A state record that does not describe a flash (corrupt, truncated, from elsewhere)."""


class FlashValue(NamedTuple):
    """A flash's state record, checked whole before any of it touches the index."""

    event_id: str
    raw: str
    text: str
    first_seen: datetime
    last_seen: float
    raws: list[tuple[str, str]]
    keys: list[int]
    variants: list[tuple[int, str, bytes]]  # (id, raw line, MinHash values as uint32 bytes)


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise BadState(what)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _strings(value: object, n: int | None = None) -> bool:
    return (type(value) is list and all(type(x) is str for x in value)
            and (n is None or len(value) == n))


def _key(key: object) -> int:
    """A full-line key as saved (its key_hash), or as it was saved before (the key itself)."""
    if type(key) is int and 0 <= key < _KEY_BOUND:
        return key
    if type(key) is str:
        return key_hash(key)
    raise BadState(f"a key must be a string or a 63-bit key hash, not {key!r:.40}")


def flash_value(value: object, num_perm: int, times: dict[object, Any] | None = None
                 ) -> FlashValue:
    """`times` (kept over a batch) holds the times already read, by their text."""
    if type(value) is not dict:
        raise BadState(f"a flash record must be an object, not {type(value).__name__}")
    get = value.get
    event_id, latest, keys = get("event_id"), get("latest"), get("keys")
    if type(event_id) is not str or not event_id:
        raise BadState("event_id missing or not a string")
    if (type(latest) is not list or len(latest) != 2 or type(latest[0]) is not str
            or type(latest[1]) is not str):
        raise BadState("latest must be [raw line, text]")
    if type(keys) is not list:
        raise BadState("keys must be a list")
    keys = [k if type(k) is int and 0 <= k < _KEY_BOUND else _key(k) for k in keys]
    stamp = get("first_seen")
    first_seen = times.get(stamp) if times is not None and type(stamp) is str else None
    if first_seen is None:
        try:
            first_seen = datetime.fromisoformat(stamp)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise BadState(f"first_seen {stamp!r:.40} is not a time") from None
        if times is not None:  # (a time by its text: the same instant in another offset differs)
            times[stamp] = first_seen
    last_seen = get("last_seen")
    if not (type(last_seen) is float and math.isfinite(last_seen)) and not _number(last_seen):
        raise BadState(f"last_seen {last_seen!r:.40} is not a number")
    raws = get("raws", ())
    if raws:
        _need(type(raws) in (list, tuple) and all(_strings(r, 2) for r in raws),
              "raws must be a list of [raw line, text]")
    listed = get("variants")
    if type(listed) is not list:
        raise BadState("variants must be a list")
    variants: list[tuple[int, str, bytes]] = []
    size = 4 * num_perm
    for item in listed:
        if type(item) is not list or len(item) != 3:
            raise BadState("a variant must be [id, raw, signature]")
        vid, raw, sig = item
        if type(vid) is not int or not 0 <= vid < GONE:
            raise BadState(f"variant id {vid!r:.40} out of range")
        if type(raw) is not str or type(sig) is not str:
            raise BadState("a variant's raw line and signature must be strings")
        # (binascii's strict mode checks what b64decode(validate=True) does, without its regex)
        try:
            signature = binascii.a2b_base64(sig, strict_mode=True)
        except ValueError:
            signature = b"?"
        if len(signature) != size:
            _need(len(signature) % 4 == 0, "a variant's signature is not base64 of uint32 values")
            raise BadState(f"a signature of {len(signature) // 4} values, not {num_perm}")
        variants.append((vid, raw, signature))
    if len(variants) > 1:
        _need(len({v[0] for v in variants}) == len(variants), "a variant id appears twice")
    last = float(last_seen)  # type: ignore[arg-type]
    if times is not None:  # (equal times as one object, as in a live engine)
        last = times.setdefault(last, last)
    return FlashValue(event_id, latest[0], latest[1], first_seen, last,
                       [(r[0], r[1]) for r in raws] if raws else [], keys, variants)


def meta_value(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadState(f"a source record must be an object, not {type(value).__name__}")
    for name in ("clock", "last_evict"):
        _need(value.get(name) is None or _number(value.get(name)), f"{name} is not a number")
    for name in ("next_cid", "next_variant"):
        n = value.get(name)
        _need(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < GONE,
              f"{name} {n!r:.40} out of range")
    return value
