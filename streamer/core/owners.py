"""Which flash each wording in a source's band index belongs to: band index id -> flash id.

A dict of int keys took about 69 bytes a wording (its entry and the id's int object); here the
pairs sit in two uint32 arrays sorted by id (8 bytes a wording), and the latest changes in a
small dict that is merged into them in batches, as the band index does with its rows.
"""

from __future__ import annotations

# Changes wait in the dict until they are this share of the arrays (or MIN_RECENT): a merge
# costs a pass over the arrays.
RECENT_SHARE = 1 / 32
MIN_RECENT = 64


class Owners:
    """Band index ids (below 2**32 - 1) and the flash each belongs to."""

    def __init__(self) -> None:
        import numpy as np

        self._ids = np.empty(0, dtype=np.uint32)  # sorted, each once
        self._cids = np.empty(0, dtype=np.uint32)  # the flash of each
        self._recent: dict[int, int | None] = {}  # changed since the merge (None: removed)
        self._size = 0
        self._top = -1  # the largest id in the arrays
        self._due = MIN_RECENT  # changes that make a merge

    def __len__(self) -> int:
        return self._size

    def _merged(self, vid: int) -> int | None:
        ids = self._ids
        at = int(ids.searchsorted(vid))
        return int(self._cids[at]) if at < len(ids) and ids[at] == vid else None

    def get(self, vid: int) -> int | None:
        """The flash `vid` belongs to, if any."""
        recent = self._recent
        if vid in recent:
            return recent[vid]
        return self._merged(vid) if vid <= self._top else None  # (a restore's are mostly new)

    def many(self, vids: list[int]) -> list[int]:
        """The flash each of `vids` belongs to (they all belong to one: the band index's)."""
        recent = self._recent
        if not len(self._ids):
            return [recent[v] for v in vids]  # type: ignore[misc]
        import numpy as np

        at = np.minimum(self._ids.searchsorted(vids), len(self._ids) - 1)
        found = (self._ids[at] == vids).tolist()
        cids = self._cids[at].tolist()
        out: list[int] = []
        for vid, cid, ok in zip(vids, cids, found, strict=True):
            held = recent.get(vid, cid if ok else None)
            if held is None:
                raise KeyError(vid)
            out.append(held)
        return out

    def add(self, vid: int, cid: int) -> None:
        """`vid` (belonging to no flash) now belongs to `cid`."""
        recent = self._recent
        recent[vid] = cid
        self._size += 1
        if len(recent) >= self._due:
            self.merge()

    def remove(self, vid: int) -> None:
        """`vid` (belonging to a flash) belongs to none."""
        recent = self._recent
        if vid <= self._top and self._merged(vid) is not None:
            recent[vid] = None  # (hides it in the arrays until the merge)
        else:
            del recent[vid]
        self._size -= 1
        if len(recent) >= self._due:
            self.merge()

    def merge(self) -> None:
        """Move the changes into the arrays."""
        if not self._recent:
            return
        import numpy as np

        recent, self._recent = self._recent, {}
        changed = np.fromiter(recent, np.uint32, len(recent))
        keep = ~np.isin(self._ids, changed)
        added = [(vid, cid) for vid, cid in recent.items() if cid is not None]
        ids = np.concatenate([self._ids[keep], np.fromiter(
            (v for v, _ in added), np.uint32, len(added))])
        cids = np.concatenate([self._cids[keep], np.fromiter(
            (c for _, c in added), np.uint32, len(added))])
        order = np.argsort(ids)
        self._ids, self._cids = ids[order], cids[order]
        self._top = int(self._ids[-1]) if len(self._ids) else -1
        self._due = max(MIN_RECENT, int(len(self._ids) * RECENT_SHARE))
