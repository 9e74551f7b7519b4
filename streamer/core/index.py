"""What one source's known flashes look like in memory, and how they are found again.

Three ways in, cheapest first: the exact raw line, the exact matching key, then MinHash LSH over
character shingles of the body for near-duplicate candidates. Entries are kept in least-recently
seen order so TTL and size eviction pop from the front.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from streamer.core.bands import BandIndex
from streamer.core.caches import byte_lru, text_bytes
from streamer.core.clean import clean_line
from streamer.core.cluster import Cluster, wording
from streamer.core.minhash import minhash
from streamer.core.model import DEFAULT_LEXICON, Flash, Lexicon
from streamer.core.owners import Owners

if TYPE_CHECKING:
    import numpy as np

# A flash merely seen again is reported as changed at most this often (event time): its TTL
# survives a restore to within this much, without a state write for every repeat.
TOUCH_SAVE_SECONDS = 3600.0
MAX_CANDIDATES = 16  # pair decisions per line at most, the likeliest first


def key_hash(full_key: str) -> int:
    """What the exact-key map holds for a full-line key: 63 bits of its BLAKE2b hash, the same
    in every process (state saves it), 48 bytes where the key itself took 100 to 300. Two keys
    of one source meet by chance with probability about n**2 / 2**64."""
    return int.from_bytes(hashlib.blake2b(full_key.encode(), digest_size=8).digest(), "big") >> 1


def line_key(flash: Flash) -> str:
    """What candidates are found by: the whole line folded, so a wrong attribution split (the
    speaker at the front or the back) still finds its match."""
    return f"{flash.attribution_key} {flash.key}" if flash.attribution_key else flash.key


# Wordings come back as LSH candidates now and then: clean them again on demand rather than
# keeping a cleaned copy of every one (memory), with the recent ones cached.
def _clean(key: tuple[str, Lexicon]) -> Flash:
    return clean_line(*key)


def _size(raw: str, flash: Flash) -> int:
    return text_bytes(raw, flash.text, flash.body, flash.key, flash.tokens) + 200


# Most sites have no lexicon of their own: their lines are cached by the line alone.
_cleaned_default = byte_lru(16 * 1024 * 1024, _size)(clean_line)
_cleaned = byte_lru(4 * 1024 * 1024, lambda key, flash: _size(key[0], flash))(_clean)


def cleaned(raw: str, lexicon: Lexicon = DEFAULT_LEXICON) -> Flash:
    """`clean_line`, cached (by the line and the site's lexicon)."""
    if lexicon is DEFAULT_LEXICON:
        return _cleaned_default(raw)
    return _cleaned((raw, lexicon))


def _clear() -> None:
    _cleaned_default.cache_clear()  # type: ignore[attr-defined]
    _cleaned.cache_clear()  # type: ignore[attr-defined]


cleaned.cache_clear = _clear  # type: ignore[attr-defined]


class SourceIndex:
    """Known flashes of one source."""

    def __init__(self, num_perm: int, lsh_threshold: float, max_variants: int) -> None:
        self.num_perm = num_perm
        self.max_variants = max_variants
        self.bands = BandIndex(lsh_threshold, num_perm)
        # cid -> cluster, least recently seen first: a plain dict (re-inserted when touched),
        # 48 bytes a flash less than an OrderedDict's links
        self.clusters: dict[int, Cluster] = {}
        self._evicted = 0  # flashes evicted since `clusters` was last copied
        # raw line -> its cluster, or (cluster, cleaned text) where that differs from the line
        self.by_raw: dict[str, Cluster | tuple[Cluster, str]] = {}
        self.by_key: dict[int, Cluster] = {}  # full-line key (its key_hash) -> cluster
        self.owners = Owners()  # band index id -> the cid of its cluster
        self.next_cid = 0
        self.lexicon = DEFAULT_LEXICON  # the site's own words (its profile), set by the engine
        self.next_variant = 0
        self.clock: float | None = None  # event time: the newest fetched_at accepted
        self.last_evict = float("-inf")
        # What changed since the last `drain()`: for adapters that persist state incrementally.
        self.dirty: set[int] = set()
        self.dropped: set[int] = set()
        # The line being decided is hashed once: for its candidates, then for the band index.
        self._signed: tuple[str, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.clusters)

    # -- lookups ---------------------------------------------------------------------------
    def exact_raw(self, raw: str) -> tuple[Cluster, str] | None:
        """The cluster of a raw line seen before, and the line's cleaned text."""
        hit = self.by_raw.get(raw)
        if hit is None or type(hit) is tuple:
            return hit
        return hit, raw  # type: ignore[return-value]

    def seen_again(self, raw: str, seen: float) -> tuple[Cluster, str] | None:
        """`exact_raw`, and the cluster touched if found: the repeat path in one call."""
        hit = self.by_raw.get(raw)
        if hit is None:
            return None
        if isinstance(hit, tuple):
            self.touch(hit[0], seen)
            return hit
        self.touch(hit, seen)
        return hit, raw

    def exact_key(self, full_key: str) -> Cluster | None:
        return self.by_key.get(key_hash(full_key))

    def candidates(self, flash: Flash) -> Iterator[tuple[Cluster, Flash]]:
        """Known wordings that look alike (LSH), most alike first, with their clusters."""
        if not self.owners:
            return
        key = line_key(flash)
        self._signed = (key, minhash(key, self.num_perm))
        vids = self.bands.query(self._signed[1], MAX_CANDIDATES)
        for vid, cid in zip(vids, self.owners.many(vids), strict=True):
            cluster = self.clusters[cid]
            yield cluster, cleaned(cluster.vraw(vid), self.lexicon)

    # -- updates ---------------------------------------------------------------------------
    def new_cluster(
        self, event_id: str, flash: Flash, raw: str, first_seen: datetime, seen: float
    ) -> Cluster:
        text = raw if flash.text == raw else flash.text  # one string, not two equal ones
        cluster = Cluster(self.next_cid, event_id, text, raw, first_seen, seen)
        self.next_cid += 1
        self.clusters[cluster.cid] = cluster
        self.dirty.add(cluster.cid)
        return cluster

    def touch(self, cluster: Cluster, seen: float) -> None:
        if seen > cluster.last_seen:
            cluster.last_seen = seen
            if seen - cluster.saved_seen >= TOUCH_SAVE_SECONDS:
                self.dirty.add(cluster.cid)
        clusters = self.clusters
        clusters[cluster.cid] = clusters.pop(cluster.cid)  # (to the end)

    def changed(self, cluster: Cluster) -> None:
        self.dirty.add(cluster.cid)

    def remember_raw(self, cluster: Cluster, raw: str, text: str) -> None:
        if raw not in self.by_raw and len(cluster.raws) < 4 * self.max_variants:
            # (a lookup shortcut, not saved: nothing to mark dirty)
            self.add_raw(cluster, raw, text)

    def remember_variant(self, cluster: Cluster, raw: str, flash: Flash, full_key: str) -> None:
        """A new wording of the flash: exact maps and (bounded per flash) the LSH."""
        self.remember_raw(cluster, raw, flash.text)
        hashed = key_hash(full_key)
        if hashed not in self.by_key and len(cluster.keys) < 4 * self.max_variants:
            self.add_key(cluster, hashed)
            self.dirty.add(cluster.cid)
        signed, self._signed = self._signed, None
        if len(cluster.vraws) < self.max_variants:
            vid = self.next_variant
            self.next_variant += 1
            key = line_key(flash)
            signature = signed[1] if signed and signed[0] == key else minhash(key, self.num_perm)
            self.add_variant(cluster, vid, raw, signature)
            self.dirty.add(cluster.cid)

    # -- building blocks, also for restoring saved state ------------------------------------
    def add_raw(self, cluster: Cluster, raw: str, text: str) -> None:
        self.by_raw[raw] = cluster if text == raw else (cluster, text)
        cluster.raws += (raw,)

    def add_key(self, cluster: Cluster, key: int) -> None:
        """`key`: a full-line key's key_hash."""
        self.by_key[key] = cluster
        cluster.keys += (key,)

    def add_variant(self, cluster: Cluster, vid: int, raw: str, signature: np.ndarray) -> None:
        self.bands.insert(vid, signature)
        self.owners.add(vid, cluster.cid)
        cluster.vraws += (raw,)
        cluster.wordings += wording(vid, signature.astype("uint32").tobytes())

    def evict(self, older_than: float, max_clusters: int) -> int:
        """Drop flashes last seen before `older_than`, and the least recent beyond the cap."""
        # (picked in one pass, then dropped: a dict's front is found again past the entries
        # removed before it, so one `next(iter(...))` per drop would be quadratic)
        excess = len(self.clusters) - max_clusters
        doomed: list[Cluster] = []
        for cluster in self.clusters.values():
            if cluster.last_seen >= older_than and len(doomed) >= excess:
                break
            doomed.append(cluster)
        for cluster in doomed:
            self._drop(cluster)
        # The holes they leave at the dict's front are skipped by every later scan, until the
        # dict is copied: copied when they pass about the square root of its size (8 sqrt(n)),
        # so that copies and scans both cost O(sqrt(n)) a flash drained from the front.
        self._evicted += len(doomed)
        if self._evicted * self._evicted > 64 * len(self.clusters):
            self.clusters, self._evicted = dict(self.clusters.items()), 0
        return len(doomed)

    def _drop(self, cluster: Cluster) -> None:
        self.dirty.discard(cluster.cid)
        self.dropped.add(cluster.cid)
        self.remove(cluster)

    def remove(self, cluster: Cluster) -> None:
        """Forget a cluster entirely (eviction, or replacing it on restore)."""
        del self.clusters[cluster.cid]
        for raw in cluster.raws:
            self.by_raw.pop(raw, None)
        for key in cluster.keys:
            self.by_key.pop(key, None)
        for row in cluster.table():
            vid = int(row[0])
            self.bands.remove(vid, row[1:])
            self.owners.remove(vid)
