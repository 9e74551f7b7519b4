"""The compact LSH index: the same answers as a plain dict index, in a fraction of the memory."""

from __future__ import annotations

import random
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from streamer.codec import make_snapshot
from streamer.core import bands, owners
from streamer.core.bands import BandIndex
from streamer.core.clean import fold
from streamer.core.engine import Deduplicator
from streamer.core.index import cleaned, minhash


class DictBands:
    """The plain reference: one dict of sets per band."""

    def __init__(self, index: BandIndex) -> None:
        self.index = index
        self.tables: list[dict[int, set[int]]] = [{} for _ in range(index.bands)]

    def insert(self, entry: int, sig: np.ndarray) -> None:
        for table, key in zip(self.tables, self.index.band_keys(sig).tolist(), strict=True):
            table.setdefault(key, set()).add(entry)

    def remove(self, entry: int, sig: np.ndarray) -> None:
        for table, key in zip(self.tables, self.index.band_keys(sig).tolist(), strict=True):
            table[key].discard(entry)

    def query(self, sig: np.ndarray, limit: int) -> list[int]:
        shared: Counter[int] = Counter()
        for table, key in zip(self.tables, self.index.band_keys(sig).tolist(), strict=True):
            shared.update(table.get(key, ()))
        return sorted(shared, key=lambda e: (-shared[e], -e))[:limit]


def test_band_index_answers_like_a_dict_index_through_merges_and_removals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Also with inserts deferred in runs, as a restore makes them (sorted in at next use)."""
    monkeypatch.setattr(bands, "MIN_RECENT", 5)  # merge often
    rng = random.Random(3)
    words = [f"w{i}" for i in range(60)]
    texts = [" ".join(rng.sample(words, 6)) for _ in range(400)]
    index = BandIndex(0.25, 32)
    ref = DictBands(index)
    live: dict[int, np.ndarray] = {}
    for step in range(1500):
        action = rng.random()
        if action < 0.5 or not live:
            entry = rng.randrange(300)  # ids come back, as when a restore replaces a flash
            if entry in live:
                index.remove(entry, live[entry])
                ref.remove(entry, live.pop(entry))
            sig = minhash(rng.choice(texts), 32)
            if step % 200 < 60:
                index.insert_later(entry, np.uint32(entry).tobytes() + sig.tobytes())
            else:
                index.insert(entry, sig)
            ref.insert(entry, sig)
            live[entry] = sig
        elif action < 0.75:
            entry = rng.choice(list(live))
            index.remove(entry, live[entry])
            ref.remove(entry, live.pop(entry))
        if step % 200 < 60 and step % 7:
            continue  # (a restore queries nothing until it is done)
        sig = minhash(rng.choice(texts), 32)
        for limit in (3, 16, 1000):
            assert index.query(sig, limit) == ref.query(sig, limit), step


def test_a_flash_takes_little_memory() -> None:
    """The issue's bound (300 MB of RSS with 100k live flashes) at a small scale: the index
    structures per flash, without the caches."""
    rng = random.Random(1)
    words = [
        "".join(rng.choice("bcdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3))
        for _ in range(3000)
    ]
    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    snaps = [
        make_snapshot(
            url=f"https://site{i % 4}.example/",
            content="Site\n\nBREAKING\n"
            + "\n".join(
                f"{rng.choice(words).title()}: {' '.join(rng.sample(words, 9))}" for _ in range(10)
            )
            + "\n\nArticle text\n",
            fetched_at=t0 + timedelta(seconds=i),
            source=None,
        )
        for i in range(300)
    ]
    engine = Deduplicator()
    engine.process(snaps[0])
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for s in snaps[1:]:
            engine.process(s)
        cleaned.cache_clear()
        fold.cache_clear()
        per_flash = (tracemalloc.get_traced_memory()[0] - before) / (engine.live_flashes() - 10)
    finally:
        tracemalloc.stop()
    assert engine.live_flashes() == 3000
    assert per_flash < 1500  # about 1,400 bytes (1,650 with tuples of one and an OrderedDict)


def test_owners_answer_like_a_dict_through_merges_and_removals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Which flash a band index id belongs to, kept in sorted arrays: as a dict would say."""
    monkeypatch.setattr(owners, "MIN_RECENT", 5)  # merge often
    rng = random.Random(5)
    table = owners.Owners()
    ref: dict[int, int] = {}
    for step in range(3000):
        if rng.random() < 0.55 or not ref:
            vid = rng.randrange(400)  # ids come back, as when a restore replaces a flash
            if vid in ref:
                continue
            ref[vid] = rng.randrange(50)
            table.add(vid, ref[vid])
        else:
            vid = rng.choice(sorted(ref))
            del ref[vid]
            table.remove(vid)
        probe = rng.randrange(400)
        assert table.get(probe) == ref.get(probe), step
        assert len(table) == len(ref)
        if ref:
            asked = rng.sample(sorted(ref), min(16, len(ref)))
            assert table.many(asked) == [ref[v] for v in asked], step
    with pytest.raises(KeyError):
        table.many([401])
