"""Run the engine in-process on a labelled synthetic stream and print its quality figures.

`python -m bench.evaluate [--seed N] [--hours H] [--show K]`; exit 0 when the targets hold
(leaked <= 1% of flashes, missed <= 0.5%, revision recall >= 90%), else 1.
The metrics are defined in `bench.scoring`.
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.scoring import Report, Seen, score
from bench.synth import Stream, generate


def run_engine(stream: Stream) -> list[Seen]:
    """Feed every snapshot, in crawl order, to a fresh Deduplicator; collect its decisions."""
    from streamer.codec import make_snapshot
    from streamer.core.engine import Deduplicator
    from streamer.settings import DedupConfig

    dedup = Deduplicator(DedupConfig())
    out: list[Seen] = []
    for env in stream.snapshots:
        snap = make_snapshot(**env)
        result = dedup.process(snap, snap.fetched_at)
        for d in result.decisions:
            ev = d.event
            out.append(Seen(d.snapshot, d.position, d.text, d.event_id, d.verdict.value, d.score,
                            d.reason, ev.kind.value if ev else None,
                            ev.revision_of if ev else None))
    return out


def evaluate(seed: int = 7, hours: float = 24.0, sources: int = 4,
             lang: str | None = None) -> tuple[Stream, Report, float]:
    """Generate, run and score; also return engine throughput in ticker lines per second."""
    stream = generate(seed=seed, hours=hours, sources=sources, lang=lang)
    start = time.perf_counter()
    seen = run_engine(stream)
    elapsed = time.perf_counter() - start
    return stream, score(seen, stream.lines, stream.flashes), len(seen) / max(elapsed, 1e-9)


def print_report(stream: Stream, rep: Report, rate: float, show: int) -> None:
    p = print
    negatives = sum(1 for f in stream.flashes.values() if f.category == "hard_negative")
    p(f"stream: {len(stream.snapshots)} snapshots ({len(stream.tickerless)} without ticker), "
      f"{stream.ticker_lines} ticker lines, {len(stream.flashes)} flashes "
      f"({negatives} hard negatives, {100.0 * negatives / max(1, len(stream.flashes)):.0f}%)")
    p(f"engine: {rep.sightings} decisions, {rate:,.0f} lines/s")
    p(f"flashes (ground-truth versions): {rep.units} = {rep.new_units} new + "
      f"{rep.revision_units} revisions")
    p(f"events emitted:        {rep.events}  (spurious, from unlabelled lines: {rep.spurious})")
    p(f"leaked duplicates:     {rep.leaked}  ({rep.pct(rep.leaked):.2f}% of flashes; target <= 1%)")
    p(f"missed (merged):       {rep.missed}  ({rep.pct(rep.missed):.2f}% of flashes; "
      "target <= 0.5%)")
    p(f"revision recall:       {rep.revisions_found}/{rep.revision_units} "
      f"({100 * rep.revision_recall:.1f}%; target >= 90%), reported as new: {rep.revisions_as_new}")
    p(f"revision false alarms: {rep.revision_false_alarms}")
    p(f"wrong links (lines):   {rep.wrong_links} of {rep.sightings}; unlabelled lines "
      f"{rep.unlabelled_lines}; labelled lines without decision {rep.lines_without_decision}")
    p("\nby category                units  leaked  missed  revisions found")
    for name, c in sorted(rep.by_category.items()):
        found = f"{c['found']}/{c['units']}" if name.startswith("revision") else ""
        p(f"  {name:<24} {c['units']:>6} {c['leaked']:>7} {c['missed']:>7}  {found}")
    p("\nby variant (lines)          lines  leaked  wrong-link")
    for name, c in sorted(rep.by_variant.items(), key=lambda kv: -kv[1]["lines"]):
        p(f"  {name:<24} {c['lines']:>6} {c['leaked']:>7} {c['wrong_link']:>10}")
    if show and rep.examples:
        p(f"\nworst examples (up to {show} per kind):")
        for what in ("missed", "revision_missed", "leaked"):
            for ex in [e for e in rep.examples if e.what == what][:show]:
                p(f"- {ex.what} [{ex.category}] engine={ex.verdict} score={ex.score:.2f} "
                  f"reason={ex.reason!r}")
                p(f"    line:  {ex.text!r}")
                p(f"    other: {ex.other!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.evaluate",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--sources", type=int, default=4, choices=range(1, 5))
    parser.add_argument("--show", type=int, default=5, help="failure examples per kind")
    parser.add_argument("--lang", choices=("de", "fr", "es", "ar"),
                        help="one site writing in this language instead of the default four")
    args = parser.parse_args(argv)
    stream, rep, rate = evaluate(args.seed, args.hours, args.sources, args.lang)
    print_report(stream, rep, rate, args.show)
    ok = rep.meets()
    print(f"\n{'PASS' if ok else 'FAIL'}: targets leaked <= 1%, missed <= 0.5%, "
          "revision recall >= 90%")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
