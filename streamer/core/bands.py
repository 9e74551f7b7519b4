"""MinHash LSH banding in compact form, with candidates ranked by how many bands they share.

The signatures and the bands and rows for the threshold are datasketch's (`minhash`: the same
choice `MinHashLSH` makes). The tables replace
`MinHashLSH`'s storage (about 5 KB an entry): every band key of every entry in one sorted uint64
array with a parallel uint32 array of entry ids (12 bytes a band, where a dict of int keys took
about 80), plus a small dict for the latest inserts, merged into the arrays in batches; a removed
entry is a tombstone until the next merge. And the answer is ranked: entries sharing more bands
are likelier near-duplicates, so the engine can bound the pair decisions per line (`limit`)
even when many old flashes share common words.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from streamer.core.minhash import bands_rows

if TYPE_CHECKING:
    import numpy as np

# Odd 64-bit multipliers: a band's r values mixed into one integer (arithmetic wraps mod 2**64).
# (numpy is loaded by the first index built: a run without a ticker line does not pay for it.)
_MIX = (
    0x9E3779B97F4A7C15,
    0xC2B2AE3D27D4EB4F,
    0x165667B19E3779F9,
    0xD6E8FEB86659FD93,
    0xFF51AFD7ED558CCD,
    0xC4CEB9FE1A85EC53,
    0x94D049BB133111EB,
    0xBF58476D1CE4E5B9,
)
# i times this is added to band i's key, so all bands share one table. Like the mixing itself,
# this lets two different (band, values) pairs collide with probability about 2**-64 a pair.
_SALT = 0x632BE59BD9B4E019
# Inserts wait in a dict until they are this share of the arrays (or MIN_RECENT entries):
# merging costs a pass over the arrays, so batches keep it well under a microsecond an insert.
RECENT_SHARE = 1 / 32
MIN_RECENT = 64
GONE = 0xFFFFFFFF  # a removed entry's id in the arrays, until the next merge drops it


def _spans(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions start, start + 1, ... of each run, all runs in one array."""
    import numpy as np

    runs: np.ndarray = (starts - (lengths.cumsum() - lengths)).repeat(lengths)
    return runs + np.arange(len(runs))


class BandIndex:
    """Entries (int ids below 2**32 - 1) by MinHash signature; query returns those sharing a
    band."""

    def __init__(self, threshold: float, num_perm: int) -> None:
        import numpy as np

        self.bands, self.rows = bands_rows(threshold, num_perm)
        self.num_perm = num_perm
        if self.rows > len(_MIX):
            raise ValueError(f"{self.rows} rows per band: at most {len(_MIX)} supported")
        self._mix = np.array(_MIX[: self.rows], dtype=np.uint64)
        self._salt = np.arange(self.bands, dtype=np.uint64) * np.uint64(_SALT)
        self._keys = np.empty(0, dtype=np.uint64)  # sorted: every band key of merged entries
        self._ids = np.empty(0, dtype=np.uint32)  # the entry each key belongs to
        self._recent: dict[int, int | list[int]] = {}  # band key -> entry (list on collision)
        self._recent_entries = 0
        self._gone = 0  # entries removed from the arrays since the last merge
        # Entries restored from saved state (entry -> its MinHash values as bytes), sorted into
        # the arrays all at once when the index is next used: one sort, not one merge per batch.
        self._later: dict[int, bytes] = {}

    def _due(self, entries: int) -> bool:
        return entries >= max(MIN_RECENT, len(self._ids) * RECENT_SHARE / self.bands)

    def band_keys(self, hashvalues: np.ndarray) -> np.ndarray:
        used = hashvalues[: self.bands * self.rows].astype("uint64")
        keys: np.ndarray = used.reshape(self.bands, self.rows) @ self._mix + self._salt
        return keys

    def insert_later(self, entry: int, rows: bytes) -> None:
        """Insert, deferred to the next use of the index. `rows` holds the entry's row (and
        perhaps others: only those inserted count): uint32 values, each row the entry id and
        then its num_perm MinHash values. (A flash's own bytes: a restore copies nothing.)"""
        if not 0 <= entry < GONE:
            raise ValueError(f"entry id {entry} out of range")
        self._later[entry] = rows

    def settle(self) -> None:
        """Sort the deferred inserts into the arrays (merging what waits besides)."""
        if not self._later:
            return
        import numpy as np

        later, self._later = self._later, {}
        unique = {id(rows): rows for rows in later.values()}
        table = np.frombuffer(b"".join(unique.values()), dtype=np.uint32)
        table = table.reshape(-1, 1 + self.num_perm)
        if len(table) != len(later):  # rows of entries removed meanwhile
            table = table[np.isin(table[:, 0], np.fromiter(later, np.uint32, len(later)))]
        used = table[:, 1 : 1 + self.bands * self.rows].astype(np.uint64)
        add_keys = (used.reshape(len(table), self.bands, self.rows) @ self._mix + self._salt)
        add_ids = np.repeat(table[:, 0], self.bands)
        self._merge()
        keys = np.concatenate([self._keys, add_keys.ravel()])
        order = np.argsort(keys)  # (ids sharing a key may come in any order: 5x a stable sort)
        self._keys, self._ids = keys[order], np.concatenate([self._ids, add_ids])[order]

    def insert(self, entry: int, hashvalues: np.ndarray) -> None:
        if not 0 <= entry < GONE:
            raise ValueError(f"entry id {entry} out of range")
        if self._later:
            self.settle()
        recent = self._recent
        for key in self.band_keys(hashvalues).tolist():
            held = recent.get(key)
            if held is None:
                recent[key] = entry
            elif isinstance(held, list):
                held.append(entry)
            else:
                recent[key] = [held, entry]
        self._recent_entries += 1
        if self._due(self._recent_entries):
            self._merge()

    def remove(self, entry: int, hashvalues: np.ndarray) -> None:
        if self._later.pop(entry, None) is not None:
            return
        keys = self.band_keys(hashvalues)
        recent = self._recent
        found = False
        for key in keys.tolist():
            held = recent.get(key)
            if held == entry:
                del recent[key]
                found = True
            elif isinstance(held, list) and entry in held:
                held.remove(entry)
                if len(held) == 1:
                    recent[key] = held[0]
                found = True
        if found:  # (a copy in the arrays, if any, is GONE already)
            self._recent_entries -= 1
            return
        ids = self._ids
        lo = self._keys.searchsorted(keys)
        span = self._keys.searchsorted(keys, "right") - lo
        at = _spans(lo, span)  # every position holding one of the keys
        at = at[ids[at] == entry]
        if at.size:
            ids[at] = GONE
            self._gone += 1
            if self._due(self._gone):
                self._merge()

    def _merge(self) -> None:
        """Drop removed entries from the arrays, then move the recent inserts in."""
        import numpy as np

        keys, ids = self._keys, self._ids
        if self._gone:
            keep = ids != GONE
            keys, ids = keys[keep], ids[keep]
            self._gone = 0
        if self._recent:
            new_keys: list[int] = []
            new_ids: list[int] = []
            for key, held in self._recent.items():
                if isinstance(held, list):
                    new_keys.extend([key] * len(held))
                    new_ids.extend(held)
                else:
                    new_keys.append(key)
                    new_ids.append(held)
            add_keys = np.array(new_keys, dtype=np.uint64)
            order = np.argsort(add_keys)
            add_keys = add_keys[order]
            at = keys.searchsorted(add_keys)
            keys = np.insert(keys, at, add_keys)
            ids = np.insert(ids, at, np.array(new_ids, dtype=np.uint32)[order])
            self._recent = {}
            self._recent_entries = 0
        self._keys, self._ids = keys, ids

    def query(self, hashvalues: np.ndarray, limit: int) -> list[int]:
        """Up to `limit` entries sharing a band: most shared bands first, then newest."""
        if self._later:
            self.settle()
        keys = self.band_keys(hashvalues)
        found: list[int] = []  # one id per band shared, counted once at the end (in C)
        if self._ids.size:
            lo = self._keys.searchsorted(keys)
            found = self._ids[_spans(lo, self._keys.searchsorted(keys, "right") - lo)].tolist()
        if self._recent:
            recent = self._recent
            for key in keys.tolist():
                held = recent.get(key)
                if held is None:
                    continue
                if isinstance(held, list):
                    found += held
                else:
                    found.append(held)
        shared = Counter(found)
        if self._gone:
            shared.pop(GONE, None)
        # ids are below 2**32: one integer sorts by (shared bands, id), both descending
        ranked = sorted(shared, key=lambda e: shared[e] << 32 | e, reverse=True)
        return ranked if len(ranked) <= limit else ranked[:limit]
