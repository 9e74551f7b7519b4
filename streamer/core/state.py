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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

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


def apply_record(engine: Deduplicator, record: StateRecord) -> None:
    """Restore one record into the engine; a later record for the same key replaces it."""
    idx = engine.index(record.source)
    value = record.value
    if record.cid == META:
        if value is not None:
            idx.clock = value["clock"]
            idx.last_evict = (
                value["last_evict"] if value["last_evict"] is not None else float("-inf")
            )
            idx.next_cid = max(idx.next_cid, value["next_cid"])
            idx.next_variant = max(idx.next_variant, value["next_variant"])
        return
    old = idx.clusters.get(record.cid)
    if old is not None:
        idx.remove(old)
    if value is None:
        return
    same: dict[str, str] = {}  # one string object for a raw line (or text) the record repeats
    raw, text = value["latest"]
    raw = same.setdefault(raw, raw)
    cluster = Cluster(
        record.cid,
        value["event_id"],
        same.setdefault(text, text),
        raw,
        datetime.fromisoformat(value["first_seen"]),
        value["last_seen"],
    )
    cluster.saved_seen = cluster.last_seen
    idx.clusters[cluster.cid] = cluster
    for raw, text in value.get("raws", ()):  # (written before raw lines were left out)
        idx.add_raw(cluster, same.setdefault(raw, raw), same.setdefault(text, text))
    for key in value["keys"]:
        idx.add_key(cluster, key)
    for vid, raw, sig in value["variants"]:
        signature = np.frombuffer(base64.b64decode(sig), dtype=np.uint32)
        idx.add_variant(cluster, vid, same.setdefault(raw, raw), signature)


def finish_restore(engine: Deduplicator) -> None:
    """Least recently seen first again, as eviction expects; and nothing pending to save."""
    for idx in engine.sources.values():
        order = sorted(idx.clusters.values(), key=lambda c: (c.last_seen, c.cid))
        idx.clusters.clear()
        idx.clusters.update((c.cid, c) for c in order)
        idx.dirty.clear()
        idx.dropped.clear()


def drain_changes(engine: Deduplicator) -> list[StateRecord]:
    """The records that changed since the last drain (new, revised, new wordings, refreshed
    TTL, dropped), plus each touched source's meta record."""
    out: list[StateRecord] = []
    for name, idx in engine.sources.items():
        if not idx.dirty and not idx.dropped:
            continue
        out.extend(StateRecord(name, cid, None) for cid in sorted(idx.dropped))
        out.extend(
            StateRecord(name, cid, cluster_record(idx, idx.clusters[cid]))
            for cid in sorted(idx.dirty)
        )
        out.append(StateRecord(name, META, meta_record(idx)))
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
        engine.sources[name].dirty.clear()
    return engine
