"""One known flash in memory: its latest event, the wordings it was seen as, and its times.

A live engine holds a million of these, so the layout is tight: a wording's MinHash values sit
in one bytes object with its band index id, and the lists most flashes hold one of (raw lines,
key hashes, wordings) are that one value itself until a second comes, not a tuple of one
(48 bytes each).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import numpy as np

T = TypeVar("T", str, int)


def _packed(values: tuple[T, ...]) -> T | tuple[T, ...]:
    return values[0] if len(values) == 1 else values


def _unpacked(held: T | tuple[T, ...]) -> tuple[T, ...]:
    return held if isinstance(held, tuple) else (held,)


@dataclass(slots=True)
class Cluster:
    """One real-world flash: its events so far, and the variants it has been seen as."""

    cid: int
    event_id: str  # the flash's latest event (new or revised)
    text: str  # the latest version's text (a revision's previous_text)
    latest_raw: str  # the raw line of that version
    first_seen: datetime
    last_seen: float  # event time, epoch seconds
    # (read and set as tuples: `raws`, `keys`, `vraws`)
    held_raws: str | tuple[str, ...] = ()  # raw lines in the exact-line map
    held_keys: int | tuple[int, ...] = ()  # full-line keys in the exact-key map (key_hash)
    held_vraws: str | tuple[str, ...] = ()  # raw lines of the wordings in the band index
    # For each wording, in the order of `vraws`: its band index id then its MinHash values
    # (1 + num_perm uint32, end to end, in one bytes object), kept to remove them and to save
    # state without re-hashing.
    wordings: bytes = b""
    saved_seen: float = float("-inf")  # last_seen when the cluster was last handed out as changed

    @property
    def raws(self) -> tuple[str, ...]:
        return _unpacked(self.held_raws)

    @raws.setter
    def raws(self, values: tuple[str, ...]) -> None:
        self.held_raws = _packed(values)

    @property
    def keys(self) -> tuple[int, ...]:
        return _unpacked(self.held_keys)

    @keys.setter
    def keys(self, values: tuple[int, ...]) -> None:
        self.held_keys = _packed(values)

    @property
    def vraws(self) -> tuple[str, ...]:
        return _unpacked(self.held_vraws)

    @vraws.setter
    def vraws(self, values: tuple[str, ...]) -> None:
        self.held_vraws = _packed(values)

    def table(self) -> np.ndarray:
        """One row a wording: its id, then its MinHash values."""
        import numpy as np

        table: np.ndarray = np.frombuffer(self.wordings, dtype=np.uint32)
        return table.reshape(len(self.vraws), -1)

    @property
    def vids(self) -> list[int]:
        """The band index ids of the wordings, in the order of `vraws`."""
        ids: list[int] = self.table()[:, 0].tolist()
        return ids

    def vraw(self, vid: int) -> str:
        """The raw line of the wording with band index id `vid`."""
        held = self.held_vraws
        return held if isinstance(held, str) else held[self.vids.index(vid)]

    def variants(self) -> list[tuple[int, str, bytes]]:
        """(band index id, raw line, MinHash values as bytes) of each wording in the index."""
        table = self.table()
        return [(int(row[0]), raw, row[1:].tobytes())
                for row, raw in zip(table, self.vraws, strict=True)]


def wording(vid: int, signature: bytes) -> bytes:
    """A wording's entry in `Cluster.wordings`: its id, then its MinHash values (uint32)."""
    return vid.to_bytes(4, sys.byteorder) + signature  # (as numpy's uint32 here)
