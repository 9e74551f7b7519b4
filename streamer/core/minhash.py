"""MinHash signatures of a line's character shingles, and the LSH band choice for a threshold.

Both are datasketch's, computed here in a few numpy operations: the signature is datasketch
2's `MinHash(num_perm, seed=1, hashfunc=zlib.crc32)` ("affine32" scheme), the choice is
`datasketch.lsh._optimal_param(threshold, num_perm, 0.5, 0.5)`, and tests/unit/test_minhash.py
holds them equal to datasketch's own. Why not datasketch itself: importing it imports the
whole package, whose LSH module imports scipy for one integral (about a third of a second of
every run), and its `update_batch` costs more per line than the arithmetic.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (numpy loads with the first line hashed: a run without one skips it)
    import numpy as np

SHINGLE = 5  # character n-grams: robust to typos; rare enough that unrelated lines seldom collide


def shingles(key: str) -> set[bytes]:
    padded = f" {key} "
    if len(padded) <= SHINGLE:
        return {padded.encode()}
    return {padded[i : i + SHINGLE].encode() for i in range(len(padded) - SHINGLE + 1)}


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray, tuple[np.uint32, ...]]:
    """datasketch's affine permutations h -> a * h + b (mod 2**32) for seed 1 (a odd), and the
    constants of MurmurHash3's finalizer, which datasketch mixes the hashes with first."""
    import numpy as np

    gen = np.random.RandomState(1)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b, tuple(np.uint32(c) for c in (16, 0x85EBCA6B, 13, 0xC2B2AE35))


def minhash(key: str, num_perm: int) -> np.ndarray:
    """MinHash values (uint32) of a text's shingles; deterministic across processes."""
    import numpy as np

    a, b, (s1, m1, s2, m2) = _permutations(num_perm)
    padded = f" {key} "
    grams: list[bytes] | set[bytes]
    if padded.isascii():  # a character is a byte: the shingles are slices of the bytes (and a
        data = padded.encode()  # shingle twice changes no minimum: no set needed)
        grams = [data[i : i + SHINGLE] for i in range(len(data) - SHINGLE + 1)] or [data]
    else:
        grams = shingles(key)
    hv = np.fromiter(map(zlib.crc32, grams), np.uint32, len(grams))
    hv ^= hv >> s1
    hv *= m1
    hv ^= hv >> s2
    hv *= m2
    hv ^= hv >> s1
    values: np.ndarray = np.minimum.reduce(hv[:, None] * a + b, axis=0)
    return values


@lru_cache(maxsize=16)
def bands_rows(threshold: float, num_perm: int) -> tuple[int, int]:
    """The (bands, rows) that minimise the false positive plus false negative probability
    (equal weights), first of the minima in datasketch's order. Each probability is the
    integral of a polynomial of degree at most num_perm: Gauss-Legendre with this many nodes
    is exact for it (to rounding)."""
    import numpy as np

    x, w = np.polynomial.legendre.leggauss(num_perm // 2 + 2)
    pairs = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]
    bands = np.array([b for b, _ in pairs], dtype=float)[:, None]
    rows = np.array([r for _, r in pairs], dtype=float)[:, None]
    below = (x + 1) * threshold / 2  # nodes on [0, threshold]: false positives
    above = threshold + (x + 1) * (1 - threshold) / 2  # on [threshold, 1]: false negatives
    fp = ((1 - (1 - below**rows) ** bands) @ w) * threshold / 2
    fn = (((1 - above**rows) ** bands) @ w) * (1 - threshold) / 2
    return pairs[int(np.argmin(fp * 0.5 + fn * 0.5))]
