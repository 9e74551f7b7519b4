"""The engine's state as plain JSON-able records (never pickle), whole or as changes.

One record per known flash (cluster) and one per source for its clock and counters. The raw
lines a flash was seen as are not saved: they only speed up lookups (a hash of each one's matching
key is saved), and a new wording per fetch would otherwise rewrite the whole record. An adapter
can save everything at once (`export_state` / `import_state`) or persist only what changed after
each input record (`drain_changes`, then `apply_record` on restore, last write wins per key): the
Kafka worker keeps these records in a compacted topic. Records carry the MinHash values, so a
restore does not re-hash.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from streamer.core.bands import GONE
from streamer.core.cluster import Cluster, wording
from streamer.core.engine import Deduplicator
from streamer.core.extract import Profiles
from streamer.core.index import SourceIndex
from streamer.core.records import BadState, flash_value, meta_value
from streamer.settings import DedupConfig

FORMAT = 3  # 3: keys saved as their key_hash; 2 (keys as text) is read too
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


def apply_record(engine: Deduplicator, record: StateRecord,
                 shared: dict[object, Any] | None = None) -> None:
    """Restore one record into the engine; a later record for the same key replaces it.
    `shared` (a dict kept over a batch of records) makes equal times one object, as they are
    in a live engine (flashes seen by the same snapshot share its time): 80 bytes a flash;
    and a time's text is read once.

    The record is checked whole first: an invalid one raises BadState and changes nothing.
    Its wordings reach the LSH tables when the source's index is next used (or at
    `finish_restore`): all of a restore's in one sort."""
    if record.cid != META and not 0 <= record.cid < GONE:
        raise BadState(f"flash id {record.cid} out of range")
    if record.cid == META:
        if record.value is not None:
            meta = meta_value(record.value)
            idx = engine.index(record.source)
            idx.clock = meta["clock"]
            idx.last_evict = meta["last_evict"] if meta["last_evict"] is not None else -math.inf
            idx.next_cid = max(idx.next_cid, meta["next_cid"])
            idx.next_variant = max(idx.next_variant, meta["next_variant"])
        return
    value = (None if record.value is None
             else flash_value(record.value, engine.config.num_perm, shared))
    known = engine.sources.get(record.source)  # (not `or`: an empty index is falsy)
    idx = known if known is not None else engine.index(record.source)
    owners = idx.owners
    if value is not None:
        for vid, _, _ in value.variants:
            owner = owners.get(vid)
            if owner is not None and owner != record.cid:
                raise BadState(f"variant id {vid} belongs to flash {owner}")
    old = idx.clusters.get(record.cid)
    if old is not None:
        idx.remove(old)
    if value is None:
        return
    # One string object for a raw line (or text) the record repeats.
    raw, text = value.raw, value.text
    if text == raw:
        text = raw
    cluster = Cluster(record.cid, value.event_id, text, raw, value.first_seen, value.last_seen)
    cluster.saved_seen = cluster.last_seen
    idx.clusters[cluster.cid] = cluster
    same = {raw: raw, text: text}
    # (each table filled in one go: adding to a tuple one by one is quadratic in its length)
    if value.raws:  # (written before raw lines were left out)
        for line, cleaned in value.raws:
            idx.by_raw[line] = (cluster if cleaned == line
                                else (cluster, same.setdefault(cleaned, cleaned)))
        cluster.raws = tuple(same.setdefault(r, r) for r, _ in value.raws)
    by_key = idx.by_key
    for key in value.keys:
        by_key[key] = cluster
    cluster.keys = tuple(value.keys)
    if len(value.variants) == 1:  # (most flashes)
        vid, line, sig = value.variants[0]
        cluster.vraws = (same.get(line, line),)
        cluster.wordings = rows = wording(vid, sig)
    else:
        cluster.vraws = tuple(same.setdefault(v[1], v[1]) for v in value.variants)
        cluster.wordings = rows = b"".join(wording(vid, sig) for vid, _, sig in value.variants)
    insert = idx.bands.insert_later
    for vid, _, _ in value.variants:
        insert(vid, rows)
        owners.add(vid, record.cid)
        if vid >= idx.next_variant:
            idx.next_variant = vid + 1
    # ids handed out from now on never reuse one restored (its source's record may be older)
    if record.cid >= idx.next_cid:
        idx.next_cid = record.cid + 1


def finish_restore(engine: Deduplicator, sources: Iterable[str] | None = None) -> None:
    """After restoring `sources` (default all): least recently seen first again, as eviction
    expects; their LSH tables sorted; sources without a flash dropped; nothing pending to save.
    Other sources (live ones, restored before) are left as they are."""
    by_cid, by_seen = attrgetter("cid"), attrgetter("last_seen")
    for name in engine.sources.keys() if sources is None else sources:
        idx = engine.sources.get(name)
        if idx is None:
            continue
        # by (last_seen, cid): by cid, then stably by last_seen (3x sorting by the pair)
        order = sorted(idx.clusters.values(), key=by_cid)
        order.sort(key=by_seen)
        idx.clusters = {c.cid: c for c in order}
        idx.bands.settle()
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
    if data.get("format") not in (2, FORMAT):
        raise ValueError(f"unknown state format {data.get('format')!r}, expected {FORMAT}")
    engine = Deduplicator(config, profiles)
    shared: dict[object, Any] = {}
    for name, src in data["sources"].items():
        apply_record(engine, StateRecord(name, META, src["meta"]))
        for cid, value in src["clusters"]:
            apply_record(engine, StateRecord(name, cid, value), shared)
    finish_restore(engine)  # (the order restored is the order exported: sorting keeps it)
    return engine
