"""Precision and recall of the pair decision on public paraphrase sets (report only, never tune).

`python -m bench.paraphrase [--data ../shared/eval]` runs `decide(clean_line(a), clean_line(b))`
on MRPC (test, train), PIT-2015 (test with test.label, dev by votes) and the Twitter URL corpus.
Positive = verdict DUPLICATE (also reported: DUPLICATE or REVISED). These sets call rewrites and
paraphrases "the same", which streamer's rules often call different flashes, so recall is expected
to be low; a high false-positive count is the figure to watch.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

Pair = tuple[str, str, bool]
DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"


def _rows(path: Path) -> Iterator[list[str]]:
    with path.open(encoding="utf-8-sig") as fh:
        for line in fh:
            if line.strip():
                yield line.rstrip("\n").split("\t")


def mrpc(path: Path) -> list[Pair]:
    """Quality, id1, id2, string1, string2 (1 = paraphrase)."""
    return [(r[3], r[4], r[0] == "1") for r in _rows(path) if len(r) >= 5 and r[0] in "01"]


def pit_test(data: Path, labels: Path) -> list[Pair]:
    """test.data sentences with test.label true/false ("----" debatable: left out)."""
    out = []
    for row, lab in zip(_rows(data), _rows(labels), strict=True):
        if lab[0] in ("true", "false"):
            out.append((row[2], row[3], lab[0] == "true"))
    return out


def pit_dev(path: Path) -> list[Pair]:
    """dev.data with "(pos, neg)" of 5 votes: pos >= 3 paraphrase, pos <= 1 not, 2 left out."""
    out = []
    for r in _rows(path):
        pos = int(r[4].strip("()").split(",")[0])
        if pos != 2:
            out.append((r[2], r[3], pos >= 3))
    return out


def twitter_url(path: Path) -> list[Pair]:
    """sent1, sent2, "(n,6)": n >= 4 paraphrase, n <= 2 not, 3 left out."""
    out = []
    for r in _rows(path):
        n = int(r[2].strip("()").split(",")[0])
        if n != 3:
            out.append((r[0], r[1], n >= 4))
    return out


@dataclass(frozen=True, slots=True)
class Result:
    """Confusion counts for one set, for DUPLICATE and for DUPLICATE-or-REVISED."""

    name: str
    pairs: int
    positives: int
    tp: int
    fp: int
    tp_any: int
    fp_any: int
    seconds: float

    @staticmethod
    def prf(tp: int, fp: int, pos: int) -> tuple[float, float, float]:
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / pos if pos else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def run_set(name: str, pairs: list[Pair]) -> Result:
    from streamer.core.clean import clean_line
    from streamer.core.match import decide
    from streamer.core.model import Verdict

    tp = fp = tp_any = fp_any = 0
    start = time.perf_counter()
    for a, b, gold in pairs:
        verdict = decide(clean_line(a), clean_line(b)).verdict
        dup = verdict is Verdict.DUPLICATE
        some = dup or verdict is Verdict.REVISED
        tp, fp = tp + (dup and gold), fp + (dup and not gold)
        tp_any, fp_any = tp_any + (some and gold), fp_any + (some and not gold)
    return Result(name, len(pairs), sum(g for *_, g in pairs), tp, fp, tp_any, fp_any,
                  time.perf_counter() - start)


def sets(data: Path) -> list[tuple[str, Callable[[], list[Pair]]]]:
    pit, tw = data / "pit2015", data / "twitter_url_corpus"
    return [
        ("MRPC test", lambda: mrpc(data / "mrpc" / "msr_paraphrase_test.txt")),
        ("MRPC train", lambda: mrpc(data / "mrpc" / "msr_paraphrase_train.txt")),
        ("PIT-2015 test", lambda: pit_test(pit / "test.data", pit / "test.label")),
        ("PIT-2015 dev", lambda: pit_dev(pit / "dev.data")),
        ("Twitter URL test", lambda: twitter_url(tw / "Twitter_URL_Corpus_test.txt")),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.paraphrase",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help=f"folder with mrpc/, pit2015/, twitter_url_corpus/ [{DEFAULT_DATA}]")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no data folder {args.data}", file=sys.stderr)
        return 2
    print(f"{'set':<17} {'pairs':>6} {'pos':>5} | {'DUPLICATE: P':>12} {'R':>6} {'F1':>6} "
          f"{'FP':>5} | {'DUP|REVISED: P':>14} {'R':>6} {'F1':>6} | {'pairs/s':>8}")
    for name, load in sets(args.data):
        r = run_set(name, load())
        p, rc, f = Result.prf(r.tp, r.fp, r.positives)
        pa, ra, fa = Result.prf(r.tp_any, r.fp_any, r.positives)
        print(f"{name:<17} {r.pairs:>6} {r.positives:>5} | {p:>12.3f} {rc:>6.3f} {f:>6.3f} "
              f"{r.fp:>5} | {pa:>14.3f} {ra:>6.3f} {fa:>6.3f} | "
              f"{r.pairs / max(r.seconds, 1e-9):>8,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
