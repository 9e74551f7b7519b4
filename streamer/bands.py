"""MinHash LSH banding in compact form, with candidates ranked by how many bands they share.

datasketch computes the signatures and chooses the bands and rows for the threshold
(`datasketch.lsh._optimal_param`, the same choice `MinHashLSH` makes); the tables here replace
`MinHashLSH`'s storage: one dict per band from an integer band hash to an entry id (a list only
on collision), about 1.3 KB per entry against about 5 KB for a set per bucket. And the answer is
ranked: entries sharing more bands are likelier near-duplicates, so the engine can bound the
pair decisions per line (`limit`) even when many old flashes share common words.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from datasketch.lsh import _optimal_param

# Odd 64-bit multipliers: a band's r values mixed into one integer (arithmetic wraps mod 2**64).
_MIX = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
        0xC4CEB9FE1A85EC53,
        0x94D049BB133111EB,
        0xBF58476D1CE4E5B9,
    ],
    dtype=np.uint64,
)


class BandIndex:
    """Entries (int ids) by MinHash signature; query returns the ones sharing a band."""

    def __init__(self, threshold: float, num_perm: int) -> None:
        self.bands, self.rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
        if self.rows > len(_MIX):
            raise ValueError(f"{self.rows} rows per band: at most {len(_MIX)} supported")
        self.tables: list[dict[int, int | list[int]]] = [{} for _ in range(self.bands)]

    def _keys(self, hashvalues: np.ndarray) -> list[int]:
        used = hashvalues[: self.bands * self.rows].astype(np.uint64)
        mixed = (used.reshape(self.bands, self.rows) * _MIX[: self.rows]).sum(axis=1)
        return mixed.tolist()  # type: ignore[no-any-return]

    def insert(self, entry: int, hashvalues: np.ndarray) -> None:
        for table, key in zip(self.tables, self._keys(hashvalues), strict=True):
            held = table.get(key)
            if held is None:
                table[key] = entry
            elif isinstance(held, list):
                held.append(entry)
            else:
                table[key] = [held, entry]

    def remove(self, entry: int, hashvalues: np.ndarray) -> None:
        for table, key in zip(self.tables, self._keys(hashvalues), strict=True):
            held = table.get(key)
            if held == entry:
                del table[key]
            elif isinstance(held, list) and entry in held:
                held.remove(entry)
                if len(held) == 1:
                    table[key] = held[0]

    def query(self, hashvalues: np.ndarray, limit: int) -> list[int]:
        """Up to `limit` entries sharing a band: most shared bands first, then newest."""
        shared: Counter[int] = Counter()
        for table, key in zip(self.tables, self._keys(hashvalues), strict=True):
            held = table.get(key)
            if held is None:
                continue
            if isinstance(held, list):
                shared.update(held)
            else:
                shared[held] += 1
        if len(shared) <= limit:
            return sorted(shared, key=lambda e: (-shared[e], -e))
        return sorted(shared, key=lambda e: (-shared[e], -e))[:limit]
