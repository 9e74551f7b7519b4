"""Every source's index, and one bound on the flashes of all sources together.

Memory that an attacker controls stays bounded: a source is kept only while it has a flash (a
page without one leaves nothing behind), and beyond `max_flashes` live flashes in all, the
least recently active source loses its least recently seen flashes first (LRU across sources,
besides each source's own cap). A source itself counts as SOURCE_COST flashes toward that cap:
its index costs about two flashes' memory (3 KB against 1.5 KB), so 100k sources of one flash
each weigh what they take. Saving state costs per changed source, not per source known.
"""

from __future__ import annotations

from collections import OrderedDict

from streamer.core.index import SourceIndex
from streamer.settings import DedupConfig

SOURCE_COST = 2  # flashes' worth of memory an index takes before its first flash


class Sources(OrderedDict[str, SourceIndex]):
    """Sources by name, least recently active first; `live` counts their flashes."""

    def __init__(self, config: DedupConfig, keep_changes: bool = True) -> None:
        super().__init__()
        self.config = config
        self.keep_changes = keep_changes  # False: nobody saves state (streamer dedup)
        self.live = 0
        # Sources whose state changed since `take_changed`, also those emptied and dropped (their
        # tombstones are still to be saved): a source that comes back meanwhile gets its index.
        self._changed: dict[str, SourceIndex] = {}

    def open(self, name: str) -> SourceIndex:
        """The source's index; a new one is not kept until `settle` finds a flash in it."""
        idx = self.get(name)
        if idx is None:
            idx = self._changed.get(name)
        if idx is None:
            c = self.config
            idx = SourceIndex(c.num_perm, c.lsh_threshold, c.max_variants_per_flash)
        return idx

    def settle(self, name: str, idx: SourceIndex, before: int) -> int:
        """After a snapshot of `name` (whose index held `before` flashes): keep the index as
        the most recent if it has flashes, else drop it; then hold the global cap. Returns the
        flashes the cap evicted."""
        self.live += len(idx) - before
        self._note(name, idx)
        if len(idx):
            self[name] = idx
            self.move_to_end(name)
        else:
            self.pop(name, None)
        evicted = 0
        while self.weight() > self.config.max_flashes and self:
            oldest, oldest_idx = next(iter(self.items()))
            excess = self.weight() - self.config.max_flashes
            dropped = oldest_idx.evict(float("-inf"), max(0, len(oldest_idx) - excess))
            self.live -= dropped
            evicted += dropped
            self._note(oldest, oldest_idx)
            if not oldest_idx:
                del self[oldest]
        return evicted

    def weight(self) -> int:
        """What the global cap counts: the flashes, and each source as SOURCE_COST more."""
        return self.live + SOURCE_COST * len(self)

    def _note(self, name: str, idx: SourceIndex) -> None:
        if not self.keep_changes:
            idx.dirty.clear()
            idx.dropped.clear()
        elif idx.dirty or idx.dropped:
            self._changed[name] = idx

    def forget(self, name: str) -> None:
        """A source handed to another worker: nothing of it stays here."""
        idx = self.pop(name, None)
        if idx is not None:
            self.live -= len(idx)
        self._changed.pop(name, None)

    def take_changed(self) -> list[tuple[str, SourceIndex]]:
        changed = list(self._changed.items())
        self._changed.clear()
        return changed

    def recount(self) -> None:
        """After a restore: sources without a flash dropped, flashes counted, nothing pending."""
        for name in [n for n, idx in self.items() if not idx]:
            del self[name]
        self.live = sum(len(idx) for idx in self.values())
        self._changed.clear()
