"""The engine's state as plain JSON-able records (never pickle), whole or as changes.

One record per known flash (cluster) and one per source for its clock and counters. The raw
lines a flash was seen as are not saved: they only speed up lookups (each one's matching key is
saved), and a new wording per fetch would otherwise rewrite the whole record. An adapter
can save everything at once (`export_state` / `import_state`) or persist only what changed after
each input record (`drain_changes`, then `apply_record` on restore, last write wins per key): the
Kafka worker keeps these records in a compacted topic. Records carry the MinHash values, so a
restore does not re-hash.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from streamer.core.bands import GONE
from streamer.core.engine import Deduplicator
from streamer.core.extract import Profiles
from streamer.core.index import Cluster, SourceIndex
from streamer.settings import DedupConfig

FORMAT = 2
META = -1  # the cid of a source's own record (clock, counters)


@dataclass(frozen=True, slots=True)
class StateRecord:
    """One piece of state: `value` None means the flash was dropped (a tombstone)."""

    source: str
    cid: int  # META for the source's clock and counters
    value: dict[str, Any] | None


def cluster_record(idx: SourceIndex, c: Cluster) -> dict[str, Any]:
    c.saved_seen = c.last_seen
    return {
        "event_id": c.event_id,
        "latest": [c.latest_raw, c.text],
        "first_seen": c.first_seen.isoformat(),
        "last_seen": c.last_seen,
        "keys": list(c.keys),
        "variants": [[vid, raw, base64.b64encode(sig).decode()] for vid, raw, sig in c.variants()],
    }


def meta_record(idx: SourceIndex) -> dict[str, Any]:
    return {
        "clock": idx.clock,
        "last_evict": idx.last_evict if idx.last_evict != float("-inf") else None,
        "next_cid": idx.next_cid,
        "next_variant": idx.next_variant,
    }


class BadState(ValueError):
    """A state record that does not describe a flash (corrupt, truncated, from elsewhere)."""


@dataclass(frozen=True, slots=True)
class _FlashValue:
    """A flash's state record, checked whole before any of it touches the index."""

    event_id: str
    raw: str
    text: str
    first_seen: datetime
    last_seen: float
    raws: list[tuple[str, str]]
    keys: list[str]
    variants: list[tuple[int, str, np.ndarray]]


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise BadState(what)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _strings(value: object, n: int | None = None) -> bool:
    return (isinstance(value, list) and all(isinstance(x, str) for x in value)
            and (n is None or len(value) == n))


def _flash_value(value: object, num_perm: int) -> _FlashValue:
    if not isinstance(value, dict):
        raise BadState(f"a flash record must be an object, not {type(value).__name__}")
    event_id, latest, keys = value.get("event_id"), value.get("latest"), value.get("keys")
    if not isinstance(event_id, str) or not event_id:
        raise BadState("event_id missing or not a string")
    if not isinstance(latest, list) or not _strings(latest, 2):
        raise BadState("latest must be [raw line, text]")
    if not isinstance(keys, list) or not _strings(keys):
        raise BadState("keys must be a list of strings")
    try:
        first_seen = datetime.fromisoformat(value.get("first_seen"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BadState(f"first_seen {value.get('first_seen')!r:.40} is not a time") from None
    _need(_number(value.get("last_seen")), f"last_seen {value.get('last_seen')!r:.40} is not a "
          "number")
    raws = value.get("raws", [])
    _need(isinstance(raws, list) and all(_strings(r, 2) for r in raws),
          "raws must be a list of [raw line, text]")
    variants: list[tuple[int, str, np.ndarray]] = []
    listed = value.get("variants")
    if not isinstance(listed, list):
        raise BadState("variants must be a list")
    for item in listed:
        _need(isinstance(item, list) and len(item) == 3, "a variant must be [id, raw, signature]")
        vid, raw, sig = item
        _need(isinstance(vid, int) and not isinstance(vid, bool) and 0 <= vid < GONE,
              f"variant id {vid!r:.40} out of range")
        _need(isinstance(raw, str) and isinstance(sig, str), "a variant's raw line and "
              "signature must be strings")
        try:
            signature = np.frombuffer(base64.b64decode(sig, validate=True), dtype=np.uint32)
        except (ValueError, TypeError):
            raise BadState("a variant's signature is not base64 of uint32 values") from None
        _need(len(signature) == num_perm, f"a signature of {len(signature)} values, not "
              f"{num_perm}")
        variants.append((vid, raw, signature))
    _need(len({v[0] for v in variants}) == len(variants), "a variant id appears twice")
    return _FlashValue(event_id, latest[0], latest[1], first_seen,
                       float(value["last_seen"]), [(r[0], r[1]) for r in raws], keys, variants)


def _meta_value(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadState(f"a source record must be an object, not {type(value).__name__}")
    for name in ("clock", "last_evict"):
        _need(value.get(name) is None or _number(value.get(name)), f"{name} is not a number")
    for name in ("next_cid", "next_variant"):
        n = value.get(name)
        _need(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < GONE,
              f"{name} {n!r:.40} out of range")
    return value


def apply_record(engine: Deduplicator, record: StateRecord) -> None:
    """Restore one record into the engine; a later record for the same key replaces it.

    The record is checked whole first: an invalid one raises BadState and changes nothing."""
    _need(record.cid == META or 0 <= record.cid < GONE, f"flash id {record.cid} out of range")
    if record.cid == META:
        if record.value is not None:
            meta = _meta_value(record.value)
            idx = engine.index(record.source)
            idx.clock = meta["clock"]
            idx.last_evict = meta["last_evict"] if meta["last_evict"] is not None else -math.inf
            idx.next_cid = max(idx.next_cid, meta["next_cid"])
            idx.next_variant = max(idx.next_variant, meta["next_variant"])
        return
    value = None if record.value is None else _flash_value(record.value, engine.config.num_perm)
    idx = engine.index(record.source)
    if value is not None:
        for vid, _, _ in value.variants:
            owner = idx.variants.get(vid)
            _need(owner is None or owner.cid == record.cid,
                  f"variant id {vid} belongs to flash {owner.cid if owner else '?'}")
    old = idx.clusters.get(record.cid)
    if old is not None:
        idx.remove(old)
    if value is None:
        return
    same: dict[str, str] = {}  # one string object for a raw line (or text) the record repeats
    raw = same.setdefault(value.raw, value.raw)
    cluster = Cluster(record.cid, value.event_id, same.setdefault(value.text, value.text), raw,
                      value.first_seen, value.last_seen)
    cluster.saved_seen = cluster.last_seen
    idx.clusters[cluster.cid] = cluster
    # (each table filled in one go: adding to a tuple one by one is quadratic in its length)
    for raw, text in value.raws:  # (written before raw lines were left out)
        idx.by_raw[raw] = cluster if text == raw else (cluster, same.setdefault(text, text))
    cluster.raws = tuple(same.setdefault(r, r) for r, _ in value.raws)
    for key in value.keys:
        idx.by_key[key] = cluster
    cluster.keys = tuple(value.keys)
    for vid, _, signature in value.variants:
        idx.bands.insert(vid, signature)
        idx.variants[vid] = cluster
    cluster.vids = tuple(v[0] for v in value.variants)
    cluster.vraws = tuple(same.setdefault(v[1], v[1]) for v in value.variants)
    cluster.signatures = b"".join(v[2].tobytes() for v in value.variants)
    # ids handed out from now on never reuse one restored (its source's record may be older)
    idx.next_cid = max(idx.next_cid, record.cid + 1)
    idx.next_variant = max(idx.next_variant, *(v[0] + 1 for v in value.variants), 0)


def finish_restore(engine: Deduplicator) -> None:
    """Least recently seen first again, as eviction expects; sources without a flash dropped;
    and nothing pending to save."""
    for idx in engine.sources.values():
        order = sorted(idx.clusters.values(), key=lambda c: (c.last_seen, c.cid))
        idx.clusters.clear()
        idx.clusters.update((c.cid, c) for c in order)
        idx.dirty.clear()
        idx.dropped.clear()
    engine.sources.recount()


def drain_changes(engine: Deduplicator) -> list[StateRecord]:
    """The records that changed since the last drain (new, revised, new wordings, refreshed
    TTL, dropped), plus each touched source's meta record (a tombstone once it has no flash)."""
    out: list[StateRecord] = []
    for name, idx in engine.sources.take_changed():
        if not idx.dirty and not idx.dropped:
            continue
        out.extend(StateRecord(name, cid, None) for cid in sorted(idx.dropped))
        out.extend(
            StateRecord(name, cid, cluster_record(idx, idx.clusters[cid]))
            for cid in sorted(idx.dirty)
        )
        out.append(StateRecord(name, META, meta_record(idx) if len(idx) else None))
        idx.dirty.clear()
        idx.dropped.clear()
    return out


def export_state(engine: Deduplicator) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "sources": {
            name: {
                "meta": meta_record(idx),
                # least recently seen first: the order is state too
                "clusters": [[c.cid, cluster_record(idx, c)] for c in idx.clusters.values()],
            }
            for name, idx in engine.sources.items()
        },
    }


def import_state(
    data: dict[str, Any], config: DedupConfig | None = None, profiles: Profiles | None = None
) -> Deduplicator:
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown state format {data.get('format')!r}, expected {FORMAT}")
    engine = Deduplicator(config, profiles)
    for name, src in data["sources"].items():
        apply_record(engine, StateRecord(name, META, src["meta"]))
        for cid, value in src["clusters"]:
            apply_record(engine, StateRecord(name, cid, value))
    finish_restore(engine)  # (the order restored is the order exported: sorting keeps it)
    return engine
