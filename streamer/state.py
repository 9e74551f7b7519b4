"""Save and restore the engine's state exactly, as plain JSON-able data (never pickle).

What is saved is what the engine saw (raw lines, ids, times); cleaned flashes and MinHash
signatures are rebuilt from it on restore, so a restored engine decides exactly as the saved one
would have.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from streamer.clean import clean_line
from streamer.engine import Deduplicator
from streamer.extract import Profiles
from streamer.index import Cluster, SourceIndex
from streamer.settings import DedupConfig

FORMAT = 1


def export_state(engine: Deduplicator) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "sources": {name: _export_source(idx) for name, idx in engine.sources.items()},
    }


def _export_source(idx: SourceIndex) -> dict[str, Any]:
    return {
        "clock": idx.clock,
        "last_evict": idx.last_evict if idx.last_evict != float("-inf") else None,
        "next_cid": idx.next_cid,
        "next_variant": idx.next_variant,
        "clusters": [
            {
                "cid": c.cid,
                "event_id": c.event_id,
                "latest": c.latest_raw,
                "first_seen": c.first_seen.isoformat(),
                "last_seen": c.last_seen,
                "raws": [[raw, idx.by_raw[raw][1]] for raw in c.raws],
                "keys": c.keys,
                "variants": [[vid, raw] for vid, raw in c.variants],
            }
            for c in idx.clusters.values()  # least recently seen first: the order is state too
        ],
    }


def import_state(
    data: dict[str, Any], config: DedupConfig | None = None, profiles: Profiles | None = None
) -> Deduplicator:
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown state format {data.get('format')!r}, expected {FORMAT}")
    engine = Deduplicator(config, profiles)
    for name, src in data["sources"].items():
        idx = engine.index(name)
        idx.clock = src["clock"]
        idx.last_evict = src["last_evict"] if src["last_evict"] is not None else float("-inf")
        for c in src["clusters"]:
            cluster = Cluster(
                c["cid"],
                c["event_id"],
                clean_line(c["latest"]),
                c["latest"],
                datetime.fromisoformat(c["first_seen"]),
                c["last_seen"],
            )
            idx.clusters[cluster.cid] = cluster
            for raw, text in c["raws"]:
                idx.remember_raw(cluster, raw, text)
            for key in c["keys"]:
                idx.by_key[key] = cluster.cid
                cluster.keys.append(key)
            for vid, raw in c["variants"]:  # a variant's raw line is in raws: clean it once
                idx.restore_variant(cluster, vid, raw, clean_line(raw))
        idx.next_cid = src["next_cid"]
        idx.next_variant = src["next_variant"]
    return engine
