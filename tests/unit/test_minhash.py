"""streamer's MinHash and band choice are datasketch's, without importing datasketch (and the
scipy it imports) in a run: held equal to datasketch's own here. A signature that drifted would
change which lines are candidates, and the saved state's signatures would no longer match."""

from __future__ import annotations

import random
import zlib

import pytest
from datasketch import MinHash
from datasketch.lsh import _optimal_param

from streamer.core.minhash import bands_rows, minhash, shingles


def _texts() -> list[str]:
    rng = random.Random(3)
    alphabet = "abcdefghij klmnopqrstuvwxyz 0123456789 éüßçñ ١٢٣ عرب 中文 -:'"
    short = ["", "a", "abc", "abcd", "abcde"]
    return short + ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 160)))
                    for _ in range(300)]


@pytest.mark.parametrize("num_perm", [16, 32, 128])
def test_signatures_are_datasketchs(num_perm: int) -> None:
    theirs = MinHash(num_perm=num_perm, seed=1, hashfunc=zlib.crc32)
    for text in _texts():
        theirs.clear()
        theirs.update_batch(shingles(text))
        assert minhash(text, num_perm).tobytes() == theirs.hashvalues.astype("uint32").tobytes()


def test_band_choice_is_datasketchs() -> None:
    rng = random.Random(5)
    settings = [(0.25, 32), (0.5, 128), (0.9, 256), (0.05, 16)]
    settings += [(rng.uniform(0.02, 0.98), rng.choice([16, 24, 32, 48, 64])) for _ in range(40)]
    for threshold, num_perm in settings:
        assert bands_rows(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)
