"""Which shingles find the candidates? Measured on the labelled synthetic streams.

    python -m bench.shingles [--seeds 1 2 3] [--hours 24]

Runs the whole engine once per shingle scheme (everything else unchanged) and prints leaked
duplicates (mostly candidates LSH never returned), missed flashes, revision recall and speed.
Short flashes (5 words) are where word shingles fall apart: one changed word out of five moves
Jaccard a long way, while character n-grams degrade gracefully under typos and suffixes.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import streamer.core.index as index
from bench.evaluate import evaluate


def words(key: str) -> set[bytes]:
    return {w.encode() for w in key.split()} or {b""}


def word_bigrams(key: str) -> set[bytes]:
    w = key.split()
    return {" ".join(w[i : i + 2]).encode() for i in range(max(1, len(w) - 1))}


def chars(n: int) -> Callable[[str], set[bytes]]:
    def shingle(key: str) -> set[bytes]:
        padded = f" {key} "
        return {padded[i : i + n].encode() for i in range(max(1, len(padded) - n + 1))}

    return shingle


SCHEMES: dict[str, Callable[[str], set[bytes]]] = {
    "words": words,
    "word bigrams": word_bigrams,
    "char 3-grams": chars(3),
    "char 4-grams": chars(4),
    "char 5-grams (default)": chars(5),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--hours", type=float, default=24.0)
    args = ap.parse_args(argv)
    print(f"{'scheme':24} {'flashes':>8} {'leaked':>7} {'missed':>7} {'rev.recall':>10} "
          f"{'lines/s':>8}")
    default = index.shingles
    try:
        for name, fn in SCHEMES.items():
            index.shingles = fn
            index.minhash.__globals__["shingles"] = fn
            units = leaked = missed = rev = rev_units = 0
            rates = []
            for seed in args.seeds:
                _, rep, rate = evaluate(seed=seed, hours=args.hours)
                units += rep.units
                leaked += rep.leaked
                missed += rep.missed
                rev += rep.revisions_found
                rev_units += rep.revision_units
                rates.append(rate)
            print(f"{name:24} {units:8d} {leaked:7d} {missed:7d} {rev / max(rev_units, 1):10.1%} "
                  f"{sum(rates) / len(rates):8,.0f}")
    finally:
        index.shingles = default
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
